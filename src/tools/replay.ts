// npm run replay -- --url http://127.0.0.1:3900/acmp [paths...]: replays fixture cases against a
// running gateway or a real ACMP (the logic is in fixtures/replay-cases.ts; --help explains).
import { writeFileSync } from 'node:fs';
import { junitReport } from './fixtures/junit';
import { progressLine } from './fixtures/progress';
import { HELP, parseReplayArgs, UsageError } from './fixtures/replay-args';
import { replay, Unreachable } from './fixtures/replay-cases';

/** The exit codes CI relies on (--help and the README list them). */
const EXIT = { passed: 0, failed: 1, usage: 2, unreachable: 3 };

async function main(): Promise<number> {
  // npm runs scripts in the project folder; relative paths mean the caller's folder.
  const options = parseReplayArgs(
    process.argv.slice(2),
    process.env,
    process.env.INIT_CWD || process.cwd(),
  );
  if (options === 'help') {
    console.log(HELP);
    return EXIT.passed;
  }
  if (options.user) options.login = { user: options.user, password: await password(options.user) };
  const progress = progressLine();
  const summary = await replay({
    ...options,
    progress: progress?.update,
    out: progress?.print,
  }).finally(() => progress?.end());
  if (!summary.results.length) {
    console.error(
      `no fixture cases found in ${options.paths.join(', ')}${options.filter ? ` matching "${options.filter}"` : ''}`,
    );
    return EXIT.usage;
  }
  if (options.junit) writeFileSync(options.junit, junitReport(summary.results));
  if (summary.results.some((r) => r.unreachable)) return EXIT.unreachable;
  return summary.failed ? EXIT.failed : EXIT.passed;
}

/** The --user password: ACMP_PASSWORD, else asked for on a terminal without echo. */
async function password(user: string): Promise<string> {
  if (process.env.ACMP_PASSWORD !== undefined) return process.env.ACMP_PASSWORD;
  if (!process.stdin.isTTY)
    throw new UsageError(
      `--user ${user} needs a password: set ACMP_PASSWORD (there is no terminal to ask on)`,
    );
  const stdin = process.stdin;
  process.stderr.write(`password for ${user}: `);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0003') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          return ch === '\u0003'
            ? reject(new UsageError('no password given (Ctrl-C)'))
            : resolve(typed);
        }
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    stdin.on('data', onData);
  });
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    // A bad argument, a path without cases, a refused login: a usage error; anything else (a
    // broken fixture file) also stops before a verdict and gets the same code. An unreachable
    // gateway during the login is 3, as during the cases.
    console.error(
      e instanceof UsageError ? `${e.message}\n\n${HELP}` : `replay failed: ${e.message}`,
    );
    process.exitCode = e instanceof Unreachable ? EXIT.unreachable : EXIT.usage;
  },
);
