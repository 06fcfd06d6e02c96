// Fixture case discovery lives in src/fixtures/discover.ts, shared with `npm run replay`.

export type { FixtureCase } from '../../src/fixtures/discover';
export { FIXTURE_DIR, listFixtureCases } from '../../src/fixtures/discover';
