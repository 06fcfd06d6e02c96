// The only file with side effects: config -> listen -> database -> app.
import { createServer, IncomingMessage, ServerResponse } from 'http';
import path from 'path';
import { buildApp } from './app';
import { buildRegistry } from './commands/registry';
import { loadConfig, PROJECT_ROOT } from './config';
import { connect, migrate } from './db/connection';
import { EmbeddedServer, startEmbedded } from './db/embedded';
import { isSeeded, loadSeed, readSeedFile } from './db/seed';

async function main(): Promise<void> {
  const config = loadConfig();
  const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));

  // Take the port first: a busy port is reported before the database is started for nothing.
  let handle = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'Retry-After': '1' }).end('starting');
  };
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'EADDRINUSE' ? `Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT.` : `Cannot listen on ${config.host}:${config.port}: ${e.message}`);
  });

  let embedded: EmbeddedServer | undefined;
  let db: ReturnType<typeof connect> | undefined;
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (reason) console.log(`${reason}: stopping`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db?.destroy().catch(() => {});
    await embedded?.stop().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));

  try {
    if (!config.databaseUrl) {
      console.log(`starting the embedded PostgreSQL in ${path.relative(process.cwd(), config.dataDir) || config.dataDir} ...`);
      embedded = await startEmbedded(config.dataDir, config.embeddedPort);
    }
    db = connect(config.databaseUrl ?? embedded!.url, { poolMax: config.dbPoolMax, queryTimeoutMs: config.dbQueryTimeoutMs });
    await migrate(db);
    if (!(await isSeeded(db))) {
      await loadSeed(db, readSeedFile(config.seedFile));
      console.log(`loaded the seed ${path.relative(PROJECT_ROOT, config.seedFile)}`);
    }
  } catch (e) {
    console.error(`acmp-gateway did not start: ${(e as Error).message}`);
    return stop('', 1);
  }

  handle = buildApp({ db, registry, bodyLimit: config.bodyLimit });
  console.log(`acmp-gateway: ${registry.commands.size} commands on http://${config.host}:${config.port}/acmp (database: ${config.databaseUrl ? 'DATABASE_URL' : 'embedded'})`);
}

main().catch((e: Error) => {
  console.error(e.message.startsWith('Port ') ? e.message : `acmp-gateway did not start: ${e.message}`);
  process.exit(1);
});
