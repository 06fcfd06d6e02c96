// Discovers fixture cases: fixtures/<Command>_V<N>/<case>/request.xml + response.xml (+ seed.json).
import { existsSync, readdirSync, readFileSync } from 'fs';
import path from 'path';
import { PROJECT_ROOT } from '../../src/config';

export const FIXTURE_DIR = path.join(PROJECT_ROOT, 'fixtures');

export interface FixtureCase {
  command: string; // "SaveTicket_V4"
  name: string;
  dir: string;
  request: string;
  /** Undefined until recorded: the fixture test writes it on a first local run. */
  response?: string;
  seed?: Record<string, unknown>;
}

export function listFixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const command of readdirSync(FIXTURE_DIR).filter((d) => /^\w+_V\d+$/.test(d)).sort()) {
    for (const name of readdirSync(path.join(FIXTURE_DIR, command)).sort()) {
      const dir = path.join(FIXTURE_DIR, command, name);
      const seedFile = path.join(dir, 'seed.json');
      cases.push({
        command,
        name,
        dir,
        request: readFileSync(path.join(dir, 'request.xml'), 'utf8'),
        response: existsSync(path.join(dir, 'response.xml')) ? readFileSync(path.join(dir, 'response.xml'), 'utf8') : undefined,
        seed: existsSync(seedFile) ? JSON.parse(readFileSync(seedFile, 'utf8')) : undefined,
      });
    }
  }
  return cases;
}
