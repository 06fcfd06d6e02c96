// npm run log -- export [filters] --out <folder>: turns exchanges of the communication log into
// fixture cases that `npm run replay` takes as they are (fixtures/from-log.ts). Reads the database
// the gateway uses: DATABASE_URL, or the embedded server in the data folder (the running
// gateway's, when one runs). Exit codes: 0 done, 1 failed, 2 usage.
import path from 'node:path';
import { loadConfig } from '../config';
import { connect } from '../db/connection';
import { embeddedUrl, startEmbedded } from '../db/embedded';
import { type ExportFilters, exportCases, parseTime } from './fixtures/from-log';

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

export function parseLogArgs(args: string[], cwd: string): { filters: ExportFilters; out: string } {
  const [command, ...rest] = args;
  if (command !== 'export') throw new UsageError(USAGE);
  const filters: ExportFilters = {};
  let out: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[++i];
    if (value === undefined || value.startsWith('--'))
      throw new UsageError(`${flag} needs a value\n\n${USAGE}`);
    const problem = (what: string) => new UsageError(`${flag}: ${what}, not "${value}"`);
    try {
      switch (flag) {
        case '--out':
          out = path.resolve(cwd, value);
          break;
        case '--command':
          if (!/^\w+_V\d+$/.test(value)) throw problem('give <Command>_V<N>, e.g. SaveTicket_V4');
          filters.command = value;
          break;
        case '--result':
          if (!/^-?\d+$/.test(value)) throw problem('give a whole number');
          filters.result = Number(value);
          break;
        case '--user':
          filters.user = value;
          break;
        case '--transport':
          if (!['xml', 'soap', 'json', 'sics', 'http'].includes(value))
            throw problem('give xml, soap, json or sics');
          filters.transport = value;
          break;
        case '--since':
          filters.since = parseTime(value);
          break;
        case '--until':
          filters.until = parseTime(value);
          break;
        case '--limit':
          if (!/^\d+$/.test(value) || Number(value) < 1)
            throw problem('give a whole number from 1');
          filters.limit = Number(value);
          break;
        default:
          throw new UsageError(`unknown option ${flag}\n\n${USAGE}`);
      }
    } catch (e) {
      throw e instanceof UsageError ? e : new UsageError(`${flag}: ${(e as Error).message}`);
    }
  }
  if (!out)
    throw new UsageError(`--out <folder> is missing: where the fixture cases go\n\n${USAGE}`);
  return { filters, out };
}

async function main(): Promise<number> {
  let parsed;
  try {
    if (['-h', '--help', 'help'].includes(process.argv[2] ?? '')) return (console.log(USAGE), 0);
    // npm runs scripts in the project folder; relative paths mean the caller's folder.
    parsed = parseLogArgs(process.argv.slice(2), process.env.INIT_CWD || process.cwd());
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const config = loadConfig();
  let url = config.databaseUrl;
  let embedded;
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
