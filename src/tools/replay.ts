// npm run replay -- --url http://127.0.0.1:3900/acmp [paths...]: replays fixture cases against a
// running gateway or a real ACMP (the logic is in fixtures/replay-cases.ts; --help explains).
import { writeFileSync } from 'fs';
import { HELP, parseReplayArgs, UsageError } from './fixtures/replay-args';
import { replay } from './fixtures/replay-cases';
import { junitReport } from './fixtures/junit';

/** The exit codes CI relies on (--help and the README list them). */
const EXIT = { passed: 0, failed: 1, usage: 2, unreachable: 3 };

async function main(): Promise<number> {
  // npm runs scripts in the project folder; relative paths mean the caller's folder.
  const options = parseReplayArgs(process.argv.slice(2), process.env, process.env.INIT_CWD || process.cwd());
  if (options === 'help') {
    console.log(HELP);
    return EXIT.passed;
  }
  const summary = await replay(options);
  if (!summary.results.length) {
    console.error(`no fixture cases found in ${options.paths.join(', ')}${options.filter ? ` matching "${options.filter}"` : ''}`);
    return EXIT.usage;
  }
  if (options.junit) writeFileSync(options.junit, junitReport(summary.results));
  if (summary.results.some((r) => r.unreachable)) return EXIT.unreachable;
  return summary.failed ? EXIT.failed : EXIT.passed;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    // A bad argument or a path without cases is a usage error; anything else (a broken fixture
    // file) is reported too and also stops before a verdict, so it gets the same code.
    console.error(e instanceof UsageError ? `${e.message}\n\n${HELP}` : `replay failed: ${e.message}`);
    process.exitCode = EXIT.usage;
  },
);
