// npm run replay -- --url http://127.0.0.1:3900/acmp [paths...]: replays fixture cases against a
// running gateway or a real ACMP (the logic is in fixtures/replay-cases.ts; --help explains).
import { HELP, parseReplayArgs, UsageError } from './fixtures/replay-args';
import { replay } from './fixtures/replay-cases';

async function main(): Promise<number> {
  // npm runs scripts in the project folder; relative paths mean the caller's folder.
  const options = parseReplayArgs(process.argv.slice(2), process.env, process.env.INIT_CWD || process.cwd());
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const summary = await replay(options);
  if (!summary.results.length) {
    console.error(`no fixture cases found in ${options.paths.join(', ')}${options.filter ? ` matching "${options.filter}"` : ''}`);
    return 1;
  }
  return summary.failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    console.error(e instanceof UsageError ? `${e.message}\n\n${HELP}` : `replay failed: ${e.message}`);
    process.exitCode = 2;
  },
);
