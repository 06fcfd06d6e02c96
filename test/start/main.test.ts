// `npm start` behaviour (issue #2): embedded PostgreSQL in a data folder, seed loaded once,
// tickets kept across restarts, clean stop on SIGTERM/SIGINT, one-line message on a busy port.
import { ChildProcess, spawn } from 'child_process';
import { chmodSync, mkdtempSync, rmSync } from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { PROJECT_ROOT } from '../../src/config';
import { request } from '../support/gateway';

jest.setTimeout(120000);

const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-start-'));
chmodSync(dataRoot, 0o755); // initdb runs as the unprivileged postgres user
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: '', ...env },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(s: Started, text: string): Promise<void> {
  for (let i = 0; i < 600 && !s.output().includes(text); i++) {
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!s.output().includes(text)) throw new Error(`never printed "${text}":\n${s.output()}`);
}

const ID = '{59387FFD-B171-47C5-B735-041FA132CA39}';

test('start, serve, stop cleanly, start again with the tickets kept; a busy port is one line', async () => {
  const env = { PORT: String(await freePort()), ACMP_DATA_DIR: path.join(dataRoot, 'data'), ACMP_EMBEDDED_PG_PORT: String(await freePort()) };
  const url = `http://127.0.0.1:${env.PORT}/acmp`;
  const post = (xml: string) => fetch(url, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml' } }).then((r) => r.text());

  const first = start(env);
  await until(first, 'acmp-gateway:');
  expect(first.output()).toContain('loaded the seed fixtures/seed/demo.json');
  expect(await post(request('SaveTicket', 4, `<Ticket><Id>${ID}</Id><Title>Survives a restart</Title></Ticket>`))).toContain('<ResultCode>0</ResultCode>');
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);

  const second = start(env);
  await until(second, 'acmp-gateway:');
  expect(second.output()).not.toContain('loaded the seed'); // the demo seed is loaded once
  expect(await post(request('GetTicket', 5, `<TicketId>${ID}</TicketId>`))).toContain('<Title>Survives a restart</Title>');

  // Another gateway on the same HTTP port: one line, exit code 1, before any database is started.
  const third = start({ ...env, ACMP_DATA_DIR: path.join(dataRoot, 'other'), ACMP_EMBEDDED_PG_PORT: String(await freePort()) });
  expect(await third.exited).toBe(1);
  expect(third.output().trim().split('\n')).toEqual([`Port ${env.PORT} on 127.0.0.1 is already in use: stop the other process or set PORT.`]);

  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
});
