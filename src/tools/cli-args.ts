// The CLIs (replay, log, users) read their command lines with node:util parseArgs. It runs
// lenient and its tokens are checked here, because strict mode would word the usage errors its
// own way ("Unknown option '--x'. To specify a positional argument ...") where the CLIs say
// "unknown option --x", and has no flag that may take a value (replay's --record=all).
import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Value<O extends ParseArgsOptionsConfig[string]> = O['type'] extends 'string' ? string : true;

/** What parseArgs' strict mode would give: each option's value, all values for `multiple`. */
export type Values<O extends ParseArgsOptionsConfig> = {
  [K in keyof O]?: O[K]['multiple'] extends true ? Value<O[K]>[] : Value<O[K]>;
};

/**
 * Options and positionals of `args`; `usage` makes the error for a bad option. A string option
 * needs a value, which may not look like an option ("--url --filter x" forgot the URL; give
 * "--filter=--x" for a value starting with "--"). A flag takes no value, except those in
 * `flagValues`, whose "=value" the caller reads from `flagValue`.
 */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
  usage: (message: string) => Error,
  flagValues: Array<keyof O> = [],
) {
  const parsed = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values = parsed.values as Record<string, unknown>;
  const given: Partial<Record<keyof O, string | undefined>> = {};
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    // Own keys only: "--constructor" is no option either.
    if (!Object.hasOwn(options, token.name))
      throw usage(`unknown option ${token.rawName} (--help lists them)`);
    if (options[token.name].type === 'string') {
      if (!token.value || (!token.inlineValue && token.value.startsWith('--')))
        throw usage(`${token.rawName} needs a value`);
    } else if (flagValues.includes(token.name)) {
      given[token.name as keyof O] = token.value;
    } else if (token.value !== undefined) {
      throw usage(`${token.rawName} takes no value`);
    }
  }
  // As in strict mode a flag reads `true`; the value it was given is flagValue's.
  for (const name in given) values[name] = true;
  return {
    values: values as Values<O>,
    positionals: parsed.positionals,
    /** The "=value" a flag of `flagValues` was given, if any (the last one). */
    flagValue: (name: keyof O): string | undefined => given[name],
  };
}
