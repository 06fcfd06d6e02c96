// Fixture case discovery lives in src/tools/fixtures/discover.ts, shared with `npm run replay`.
export { FIXTURE_DIR, listFixtureCases } from '../../src/tools/fixtures/discover';
export type { FixtureCase } from '../../src/tools/fixtures/discover';
