// What a database failure answers (docs/protocol.md §3), on errors PostgreSQL really raises: only an
// unreachable, stopping or exhausted database is 19; deadlocks and serialization failures run the
// command again; any other SQLSTATE is a gateway bug, 18 with a reference, never "try again".
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { connect } from '../../src/db/connection';
import { isDatabaseUnavailable, isRetryableConflict } from '../../src/db/failures';
import { readSeedFile } from '../../src/db/seed';
import { CONFLICT_RETRIES, retryConflicts, toWire } from '../../src/protocol/process-command';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway.stop();
});

const failureOf = (run: () => Promise<unknown>) =>
  run().then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
const raise = (sqlState: string) =>
  gateway.db.raw(
    `do $$ begin raise exception 'raised for the test' using errcode = '${sqlState}'; end $$`,
  );

describe('classification', () => {
  test.each([
    [
      '22021 a NUL character in a text parameter',
      () => gateway.db.raw('select ?::text', ['a\u0000b']),
      '22021',
    ],
    [
      '22003 an integer out of range',
      () => gateway.db.raw('select 2147483647::integer + 1'),
      '22003',
    ],
    [
      '22008 a date out of range',
      () => gateway.db.raw(`select '300000-01-01T00:00:00Z'::timestamptz`),
      '22008',
    ],
    [
      '23505 a unique violation',
      () =>
        gateway.db.raw(
          'create temporary table t1 (id int primary key); insert into t1 values (1), (1)',
        ),
      '23505',
    ],
  ])('%s is 18 with a reference, not 19', async (_name, run, sqlState) => {
    const error = await failureOf(run);
    expect(error?.code).toBe(sqlState);
    expect([isDatabaseUnavailable(error), isRetryableConflict(error)]).toEqual([false, false]);
    const logged: unknown[] = [];
    const wire = toWire(error, (m, e) => logged.push(m, e));
    expect(wire.resultCode).toBe(18);
    expect(wire.message).toMatch(
      /^Internal error; the gateway log has the details under reference [0-9a-f-]{36}$/,
    );
    expect(logged[1]).toBe(error); // the details stay in the log
  });

  test('57P01, the server terminating the connection, is 19', async () => {
    const db = connect(process.env.TEST_DATABASE_URL!, { poolMax: 1 });
    try {
      const error = await failureOf(() => db.raw('select pg_terminate_backend(pg_backend_pid())'));
      expect(error?.code).toBe('57P01');
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(toWire(error, () => {}).resultCode).toBe(19);
    } finally {
      await db.destroy();
    }
  });

  test('a refused connection is 19', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.port = '1'; // nothing listens there
    const db = connect(url.toString(), { poolMax: 1 });
    try {
      const error = await failureOf(() => db.raw('select 1'));
      expect(error?.code).toBe('ECONNREFUSED');
      expect(toWire(error, () => {}).resultCode).toBe(19);
    } finally {
      await db.destroy();
    }
  });

  test('a real deadlock (40P01) is a retryable conflict, 19 when it does not go away', async () => {
    await gateway.db.raw(
      'create table if not exists deadlock_rows (id int primary key, n int); insert into deadlock_rows values (1, 0), (2, 0) on conflict do nothing',
    );
    let lockedFirst!: () => void;
    const bothLocked = new Promise<void>((resolve) => (lockedFirst = resolve));
    let count = 0;
    const lockInOrder = (a: number, b: number) =>
      gateway.db.transaction(async (trx) => {
        await trx.raw('update deadlock_rows set n = n + 1 where id = ?', [a]);
        if (++count === 2) lockedFirst();
        await bothLocked;
        await trx.raw('update deadlock_rows set n = n + 1 where id = ?', [b]);
      });
    const results = await Promise.allSettled([lockInOrder(1, 2), lockInOrder(2, 1)]);
    const failed = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason);
    expect(failed.map((e) => e.code)).toEqual(['40P01']);
    expect([isRetryableConflict(failed[0]), isDatabaseUnavailable(failed[0])]).toEqual([
      true,
      false,
    ]);
    expect(toWire(failed[0], () => {})).toEqual({
      resultCode: 19,
      message: expect.stringMatching(
        /^The database is busy with conflicting changes to the same data; nothing was changed\. Try again later \(reference [0-9a-f-]{36}\)$/,
      ),
    });
  });
});

describe('retries', () => {
  test('a deadlocked or serialization-failed run is run again, up to CONFLICT_RETRIES times', async () => {
    for (const sqlState of ['40P01', '40001']) {
      let runs = 0;
      const result = await retryConflicts(
        async () => {
          if (++runs < 3) await raise(sqlState);
          return runs;
        },
        () => {},
      );
      expect(result).toBe(3);
    }
    let runs = 0;
    const error = await failureOf(() =>
      retryConflicts(
        () => {
          runs++;
          return raise('40P01');
        },
        () => {},
      ),
    );
    expect([error?.code, runs]).toEqual(['40P01', 1 + CONFLICT_RETRIES]);
  });

  test('any other failure is not run again', async () => {
    let runs = 0;
    const error = await failureOf(() =>
      retryConflicts(
        () => {
          runs++;
          return raise('22003');
        },
        () => {},
      ),
    );
    expect([error?.code, runs]).toEqual(['22003', 1]);
  });

  test('a command that loses a real deadlock is run again and answers 0', async () => {
    // A ticket with working times (b1…01, b2…01): a fixture seed that stays a seed (its costs' creator is not the caller).
    await gateway.reset(
      readSeedFile(path.join(PROJECT_ROOT, 'fixtures/SaveTicketCosts_V1/create-several/seed.json')),
    );
    const ticket = 'b1000000-0000-4000-8000-000000000001';
    const workingTime = 'b2000000-0000-4000-8000-000000000001';
    // The test's transaction locks the ticket; the command locks the working time, then waits for
    // the ticket (its LastModified follows the working time); the test then wants the working time.
    const other = await gateway.db.transaction();
    await other('tickets').update({ title: 'Locked by the test' }).where({ id: ticket });
    const answer = gateway.post(
      request(
        'SaveTicketWorkingTime',
        1,
        `<WorkingTime><Id>{${workingTime}}</Id><Description>Saved by the command</Description></WorkingTime>`,
      ),
    );
    while (
      Number(
        (await gateway.db.raw(`select count(*) as n from pg_locks where not granted`)).rows[0].n,
      ) === 0
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // PostgreSQL aborts the transaction that waited longest, the command's, after deadlock_timeout.
    await other('ticket_working_times')
      .update({ description: 'Saved by the test' })
      .where({ id: workingTime });
    await other.commit();
    const { resultCode, body } = await answer;
    expect([resultCode, body]).toEqual([
      0,
      expect.stringContaining('<ResultMessage>OK</ResultMessage>'),
    ]);
    const stored = await gateway
      .db('ticket_working_times')
      .first('description')
      .where({ id: workingTime });
    expect(stored.description).toBe('Saved by the command'); // its second run came after the test's commit
  }, 20_000);
});
