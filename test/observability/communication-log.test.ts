import { createTestDatabase, TestDatabase } from '../support/db';

let t: TestDatabase;
beforeAll(async () => (t = await createTestDatabase()));
afterAll(async () => t.close());

test('the communication_log table has the agreed columns', async () => {
  const cols = (await t.db.raw(`select column_name, data_type, is_nullable from information_schema.columns where table_schema = ? and table_name = 'communication_log' order by ordinal_position`, [t.schema])).rows;
  expect(cols.map((c: any) => c.column_name)).toEqual(['id', 'at', 'request_id', 'transport', 'method', 'path', 'remote_address', 'user_id', 'user_name', 'commands', 'result_code', 'http_status', 'duration_ms', 'request_content_type', 'response_content_type', 'request_body', 'response_body']);
});
