// npm run seed -- <file>: loads a seed file into the database the gateway uses (DATABASE_URL,
// or the embedded server in data/). Repeatable: records are upserted by Id.
import path from 'node:path';
import { loadConfig } from '../config';
import { connect, migrate } from '../db/connection';
import { startEmbedded } from '../db/embedded';
import { loadSeed, readSeedFile } from '../db/seed';

async function run(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npm run seed -- <seed.json>');
  const seed = readSeedFile(path.resolve(file));
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbedded(config.dataDir, config.embeddedPort);
  const db = connect(config.databaseUrl ?? embedded!.url, { queryTimeoutMs: 0 }); // a bulk load may take long
  try {
    await migrate(db);
    await loadSeed(db, seed);
    console.log(`loaded ${file}`);
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

run().catch((e: Error) => {
  console.error(`seed failed: ${e.message}`);
  process.exit(1);
});
