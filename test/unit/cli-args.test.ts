// The command lines of replay and log export (node:util parseArgs with the CLIs' own usage
// errors, src/tools/cli-args.ts); users is spawned in test/tools/users.test.ts.
import { parseCommandLine } from '../../src/tools/cli-args';
import { parseReplayArgs } from '../../src/tools/fixtures/replay-args';
import { parseLogArgs } from '../../src/tools/log';

const usage = (message: string) => new Error(message);
const OPTIONS = {
  url: { type: 'string' },
  record: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

test('unknown options, missing values and values on flags are named in the error', () => {
  const parse =
    (...args: string[]) =>
    () =>
      parseCommandLine(args, OPTIONS, usage, ['record']);
  expect(parse('--recrod')).toThrow('unknown option --recrod (--help lists them)');
  expect(parse('-x')).toThrow('unknown option -x');
  expect(parse('--constructor')).toThrow('unknown option --constructor');
  expect(parse('--url')).toThrow('--url needs a value');
  expect(parse('--url=')).toThrow('--url needs a value');
  // "--url --record" forgot the URL; a value starting with "--" is given inline.
  expect(parse('--url', '--record')).toThrow('--url needs a value');
  expect(parse('--url=--x')().values.url).toBe('--x');
  expect(parse('--help=yes')).toThrow('--help takes no value');
});

test('a flag of flagValues reads as given, its value comes from flagValue; "--" ends the options', () => {
  const { values, positionals, flagValue } = parseCommandLine(
    ['--record=all', 'a', '--', '--b'],
    OPTIONS,
    usage,
    ['record'],
  );
  expect(values).toEqual({ record: true });
  expect(flagValue('record')).toBe('all');
  expect(positionals).toEqual(['a', '--b']);
});

test('replay: every option of --help, and its usage errors', () => {
  expect(parseReplayArgs(['-h'])).toBe('help');
  expect(
    parseReplayArgs(
      [
        '--url=https://gw.example/acmp',
        '--filter',
        'Get',
        '--record=all',
        '--timeout',
        '500',
        '--header',
        'X-A: 1',
        '--header=X-B:2',
        '--ignore-seed',
        '--transport',
        'sics',
        '--user',
        'QA Bot',
        '--junit',
        'r.xml',
        '--concurrency',
        '4',
        'cases',
      ],
      {},
      '/work',
    ),
  ).toEqual({
    url: 'https://gw.example/acmp',
    paths: ['/work/cases'],
    headers: { 'X-A': '1', 'X-B': '2' },
    filter: 'Get',
    record: 'all',
    timeoutMs: 500,
    ignoreSeed: true,
    transport: 'sics',
    user: 'QA Bot',
    junit: '/work/r.xml',
    concurrency: 4,
  });
  // A bare --record does not take the path after it.
  expect(parseReplayArgs(['--record', 'cases'], {}, '/work')).toMatchObject({
    record: 'missing',
    paths: ['/work/cases'],
  });
  expect(parseReplayArgs([], { ACMP_URL: 'http://other/acmp' })).toMatchObject({
    url: 'http://other/acmp',
  });
  expect(() => parseReplayArgs(['--record=some'])).toThrow('--record takes no value or "all"');
  expect(() => parseReplayArgs(['--url', 'ftp://x'])).toThrow('--url must be an http(s) URL');
  expect(() => parseReplayArgs(['--transport', 'ftp'])).toThrow('--transport must be xml, soap');
  expect(() => parseReplayArgs(['--header', 'bad'])).toThrow(
    "--header must look like 'Name: value'",
  );
  expect(() => parseReplayArgs(['--timeout', '-5'])).toThrow('--timeout must be a whole number');
  expect(() => parseReplayArgs(['--record', '--transport', 'json'])).toThrow(
    '--record writes ICQL answers',
  );
});

test('log export: --help anywhere, a stray argument, an option in the --name=value form', () => {
  expect(parseLogArgs(['export', '--help'], '/')).toBe('help');
  expect(parseLogArgs(['help'], '/')).toBe('help');
  expect(() => parseLogArgs(['export', 'stray', '--out', 'c'], '/')).toThrow(
    'unexpected argument "stray"',
  );
  expect(() => parseLogArgs(['export', '--bogus', 'x'], '/')).toThrow(
    /^unknown option --bogus \(--help lists them\)\n\nusage: npm run log -- export/,
  );
  expect(parseLogArgs(['export', '--out=c', '--result', '-1'], '/tmp')).toEqual({
    filters: { result: -1 },
    out: '/tmp/c',
  });
});
