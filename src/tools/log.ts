// npm run log -- export [filters] --out <folder>: turns exchanges of the communication log into
// fixture cases that `npm run replay` takes as they are (fixtures/from-log.ts). Reads the database
// the gateway uses: DATABASE_URL, or the embedded server in the data folder (the running
// gateway's, when one runs). Exit codes: 0 done, 1 failed, 2 usage.
import path from 'node:path';
import { loadConfig } from '../config';
import { connect } from '../db/connection';
import { type EmbeddedServer, embeddedUrl, startEmbedded } from '../db/embedded';
import { type ExportFilters, exportCases, parseTime } from '../fixtures/from-log';
import { parseCommandLine } from './cli-args';

const USAGE = `usage: npm run log -- export --out <folder> [filters]
  --command <Command>_V<N>   exchanges that ran this command, e.g. SaveTicket_V4
  --result <code>            with this ResultCode, e.g. 35
  --user <name>              of this user (the caller's login name)
  --transport <t>            xml, soap, json or sics
  --since <when>             30m, 1h, 2d (before now) or a date (2026-11-24T18:00:00Z)
  --until <when>             the same
  --limit <n>                the newest n exchanges that match (default 1000)
Writes <out>/<Command>_V<N>/<time>-rc<ResultCode>-<transport>-<id>/request.xml + response.xml;
replay them with: npm run replay -- --url http://127.0.0.1:3900/acmp <out>
Exchanges that cannot be replayed as logged (a login: its secrets are redacted; a body cut by
ACMP_LOG_MAX_BODY_BYTES; bus calls that run no command; JSON batches) are listed as skipped.`;

class UsageError extends Error {}

const OPTIONS = {
  out: { type: 'string' },
  command: { type: 'string' },
  result: { type: 'string' },
  user: { type: 'string' },
  transport: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseLogArgs(
  args: string[],
  cwd: string,
): { filters: ExportFilters; out: string } | 'help' {
  const usage = (message: string) => new UsageError(`${message}\n\n${USAGE}`);
  const { values, positionals } = parseCommandLine(args, OPTIONS, usage);
  if (values.help || positionals[0] === 'help') return 'help';
  if (positionals[0] !== 'export') throw new UsageError(USAGE);
  if (positionals.length > 1) throw usage(`unexpected argument "${positionals[1]}"`);
  const problem = (name: string, value: string, what: string) =>
    new UsageError(`--${name}: ${what}, not "${value}"`);
  const { command, result, user, transport, limit } = values;
  const filters: ExportFilters = {};
  if (command !== undefined) {
    if (!/^\w+_V\d+$/.test(command))
      throw problem('command', command, 'give <Command>_V<N>, e.g. SaveTicket_V4');
    filters.command = command;
  }
  if (result !== undefined) {
    if (!/^-?\d+$/.test(result)) throw problem('result', result, 'give a whole number');
    filters.result = Number(result);
  }
  if (user !== undefined) filters.user = user;
  if (transport !== undefined) {
    if (!['xml', 'soap', 'json', 'sics', 'http'].includes(transport))
      throw problem('transport', transport, 'give xml, soap, json or sics');
    filters.transport = transport;
  }
  if (values.since !== undefined) filters.since = time('since', values.since);
  if (values.until !== undefined) filters.until = time('until', values.until);
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1)
      throw problem('limit', limit, 'give a whole number from 1');
    filters.limit = Number(limit);
  }
  if (!values.out) throw usage('--out <folder> is missing: where the fixture cases go');
  return { filters, out: path.resolve(cwd, values.out) };
}

function time(name: string, value: string): Date {
  try {
    return parseTime(value);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseLogArgs>;
  try {
    // npm runs scripts in the project folder; relative paths mean the caller's folder.
    parsed = parseLogArgs(process.argv.slice(2), process.env.INIT_CWD || process.cwd());
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  let url = config.databaseUrl;
  let embedded: EmbeddedServer | undefined;
  if (!url) {
    try {
      embedded = await startEmbedded(config.dataDir, config.embeddedPort);
      url = embedded.url;
    } catch (e) {
      // The gateway runs the embedded server: read through it.
      if (!/Another gateway .* runs the embedded PostgreSQL/.test((e as Error).message)) throw e;
      url = embeddedUrl(config.embeddedPort);
    }
  }
  const db = connect(url, { poolMax: 2 });
  try {
    const summary = await exportCases(db, parsed.filters, parsed.out);
    for (const s of summary.skipped) console.log(`skipped ${s.id}: ${s.reason}`);
    console.log(
      `${summary.written.length} exchanges exported to ${path.relative(process.cwd(), parsed.out) || parsed.out}, ${summary.skipped.length} skipped`,
    );
    if (!summary.written.length && !summary.skipped.length)
      console.log('no exchange in the communication log matches (is ACMP_LOG on? see --since)');
    return 0;
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`log export failed: ${e.message.split('\n')[0]}`);
      process.exit(1);
    },
  );
}
