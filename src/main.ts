// The only file with side effects: config -> database -> app -> listen.
import type { Server } from 'http';
import { buildApp } from './app';
import { buildRegistry } from './commands/registry';
import { loadConfig, PROJECT_ROOT } from './config';
import { connect, migrate } from './db/connection';
import { EmbeddedServer, startEmbedded } from './db/embedded';
import { isSeeded, loadSeed, readSeedFile } from './db/seed';
import path from 'path';

async function main(): Promise<void> {
  const config = loadConfig();
  const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));

  let embedded: EmbeddedServer | undefined;
  if (!config.databaseUrl) {
    console.log(`starting the embedded PostgreSQL in ${path.relative(process.cwd(), config.dataDir) || config.dataDir} ...`);
    embedded = await startEmbedded(config.dataDir, config.embeddedPort);
  }
  const db = connect(config.databaseUrl ?? embedded!.url, { poolMax: config.dbPoolMax });
  let server: Server | undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await db.destroy().catch(() => {});
    await embedded?.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    await migrate(db);
    if (!(await isSeeded(db))) {
      await loadSeed(db, readSeedFile(config.seedFile));
      console.log(`loaded the seed ${path.relative(PROJECT_ROOT, config.seedFile)}`);
    }
  } catch (e) {
    await db.destroy().catch(() => {});
    await embedded?.stop().catch(() => {});
    throw e;
  }

  const app = buildApp({ db, registry, bodyLimit: config.bodyLimit });
  server = app.listen(config.port, config.host);
  server.on('listening', () => console.log(`acmp-gateway: ${registry.commands.size} commands on http://${config.host}:${config.port}/acmp (database: ${config.databaseUrl ? 'DATABASE_URL' : 'embedded'})`));
  server.on('error', async (e: NodeJS.ErrnoException) => {
    console.error(e.code === 'EADDRINUSE' ? `Port ${config.port} on ${config.host} is already in use: stop the other process or set PORT.` : `Cannot listen on ${config.host}:${config.port}: ${e.message}`);
    await db.destroy().catch(() => {});
    await embedded?.stop().catch(() => {});
    process.exit(1);
  });
}

main().catch((e: Error) => {
  console.error(`acmp-gateway did not start: ${e.message}`);
  process.exit(1);
});
