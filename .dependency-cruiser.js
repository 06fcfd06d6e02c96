/**
 * The layer rules of docs/architecture.md, checked by `npm run lint` (dependency-cruiser).
 *
 * From the bottom up; each layer may import the ones below it, never one above:
 *   vocabulary/   typed errors, ResultCodes, wire value formats: imports nothing of src/
 *   config, db/, observability/logger
 *   domain/, identity/, bus/, validation/, observability/
 *   commands/     one file per command version, and the registry
 *   protocol/     the pipeline: parse, resolve, authorize, validate, handle, render
 *   fixtures/     the fixture case format (read by the console, the OpenAPI examples and replay)
 *   http/, transports/<name>/, console/   thin adapters around the pipeline
 *   app.ts, serve.ts, cluster.ts, main.ts
 *   tools/        command-line programs: may use anything, used by nothing at run time
 */
const TOP = '^src/(app|serve|main|cluster)\\.ts$';
const EXPRESS = '(^|/)node_modules/express/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import circle ties its files into one unit: no layer can be read or tested alone.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'vocabulary-stands-alone',
      severity: 'error',
      comment: 'Errors, ResultCodes and value formats sit below everything that uses them.',
      from: { path: '^src/vocabulary/' },
      to: { path: '^src/(?!vocabulary/)' },
    },
    {
      name: 'domain-below-the-wire',
      severity: 'error',
      comment:
        'The domain is free of versions and transports: it never sees the pipeline, a command file, a transport, HTTP or the console.',
      from: { path: '^src/domain/' },
      to: {
        path: `^src/(protocol|commands|fixtures|transports|http|console|validation|observability)/|${TOP}|${EXPRESS}`,
      },
    },
    {
      name: 'lower-layers-stay-low',
      severity: 'error',
      comment:
        'db/, identity/, bus/, observability/ and validation/ serve the pipeline; they never import it, a command or a transport.',
      from: { path: '^src/(db|identity|bus|observability|validation)/' },
      to: { path: `^src/(protocol|commands|fixtures|transports|http|console)/|${TOP}` },
    },
    {
      name: 'commands-see-no-wire',
      severity: 'error',
      comment:
        'A command file maps a validated payload to the domain and back: it never sees XML text, the pipeline, HTTP or a transport.',
      from: { path: '^src/commands/' },
      to: { path: `^src/(protocol|fixtures|transports|http|console)/|${TOP}|${EXPRESS}` },
    },
    {
      name: 'protocol-knows-no-transport',
      severity: 'error',
      comment:
        'The core (processCommand) does not know HTTP: each transport adapts to it, not the other way round.',
      from: { path: '^src/protocol/' },
      to: { path: `^src/(fixtures|transports|http|console)/|${TOP}|${EXPRESS}` },
    },
    {
      name: 'http-helpers-know-no-transport',
      severity: 'error',
      comment: 'http/ holds what every transport shares; it never reaches into one of them.',
      from: { path: '^src/http/' },
      to: { path: `^src/(transports|console)/|${TOP}` },
    },
    {
      name: 'transports-apart',
      severity: 'error',
      comment: 'Each transport is a thin adapter around the core; one never reaches into another.',
      from: { path: '^src/transports/([^/]+)/' },
      to: { path: '^src/transports/', pathNot: '^src/transports/$1/' },
    },
    {
      name: 'runtime-never-imports-tools',
      severity: 'error',
      comment: 'Command-line programs sit on top: the server starts and runs without them.',
      from: { path: '^src/(?!tools/)' },
      to: { path: '^src/tools/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports tie layers together as much as value imports do.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
