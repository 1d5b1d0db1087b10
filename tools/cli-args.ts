/**
 * The command-line conventions every bin/ and tools/ command shares, on top of node:util parseArgs
 * (strict): --help / -h prints the usage on stdout and exits 0; a bad argument (unknown option,
 * missing value, unexpected positional, a value that is not what the option takes) prints what is
 * wrong and the usage on stderr and exits with the command's usage code.
 *
 * The usage code is 2, except in commands where 2 already means a result that scripts and alarms
 * act on (`outbox status`: dead entries; `loss-report`: over --max-loss; `consumer-lag`: no commit):
 * those use 64 (EX_USAGE), so a mistyped flag in a scheduled check never reads as a finding.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Exit code of a usage error, unless the command says otherwise. */
const USAGE_EXIT = 2;
/** EX_USAGE (sysexits.h): for commands whose exit code 2 is a result. */
export const USAGE_EXIT_WHEN_2_IS_A_RESULT = 64;

export interface CommandLineSpec<O extends OptionsConfig> {
  /** The whole --help text; printed after every usage error too. */
  usage: string;
  options: O;
  /** Whether the command takes positional arguments (subcommands, files, ids). Default: none. */
  positionals?: boolean;
  usageExit?: number;
  /** Whether what follows `--` is handed on unparsed (to another program) as `passThrough`. */
  passThrough?: boolean;
  /** Default: process.argv.slice(2). */
  args?: readonly string[];
}

type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O & typeof HELP_OPTION; strict: true; allowPositionals: true; tokens: true }>>;
type Values<O extends OptionsConfig> = Parsed<O>['values'];
type StringOption<O extends OptionsConfig> = { [K in keyof O]: O[K]['type'] extends 'string' ? (O[K]['multiple'] extends true ? never : K) : never }[keyof O] & string;
/** A converted option is always there when the option has a default, else only when given. */
type Converted<O extends OptionsConfig, K extends keyof O, T> = O[K]['default'] extends string ? T : T | undefined;

export interface Range {
  min?: number;
  max?: number;
}

export interface CommandLine<O extends OptionsConfig> {
  values: Values<O>;
  positionals: string[];
  /** With `passThrough`: the arguments after `--`, as given. */
  passThrough: string[];
  /** Prints `message` and the usage on stderr and exits with the usage code. */
  fail(message: string): never;
  /** Options on the command line (defaults do not count) that `context` (a subcommand) does not take are a usage error. */
  only(allowed: readonly (keyof O & string)[], context: string): void;
  /** The option's value through `parse`; one it rejects (undefined) is a usage error saying what was `expected`. */
  convert<K extends StringOption<O>, T>(name: K, parse: (text: string) => T | undefined, expected: string): Converted<O, K, T>;
  /** A whole number within the range (bounds included). */
  integer<K extends StringOption<O>>(name: K, range?: Range): Converted<O, K, number>;
  /** A finite decimal number within the range (bounds included). */
  number<K extends StringOption<O>>(name: K, range?: Range): Converted<O, K, number>;
}

function isParseArgsError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

const withinRange = (n: number, { min = -Infinity, max = Infinity }: Range) => n >= min && n <= max;

function describeRange(kind: string, { min, max }: Range): string {
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} of at least ${min}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

/** Parses the command line, or exits: 0 after --help, the usage code after a bad argument. */
export function parseCommandLine<const O extends OptionsConfig>(spec: CommandLineSpec<O>): CommandLine<O> {
  const usageExit = spec.usageExit ?? USAGE_EXIT;
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${spec.usage}\n`);
    process.exit(usageExit);
  };
  const args = spec.args ?? process.argv.slice(2);
  const terminator = spec.passThrough ? args.indexOf('--') : -1;
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args: terminator < 0 ? args : args.slice(0, terminator),
      options: { ...spec.options, ...HELP_OPTION },
      strict: true,
      // Typed as allowed so every command sees string[]; the parser still refuses them when not.
      allowPositionals: (spec.positionals ?? false) as true,
      tokens: true,
    }) as Parsed<O>;
  } catch (err) {
    if (isParseArgsError(err)) return fail(err.message);
    throw err;
  }
  const optionValue = (name: string): unknown => (parsed.values as Record<string, unknown>)[name];
  if (optionValue('help')) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  const givenNames = new Set(parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  const convert = <T>(name: string, parse: (text: string) => T | undefined, expected: string): T | undefined => {
    const text = optionValue(name) as string | undefined; // StringOption: only string options get here
    if (text === undefined) return undefined;
    const value = parse(text);
    return value === undefined ? fail(`--${name} takes ${expected}, got "${text}"`) : value;
  };
  const numeric = (pattern: RegExp, kind: string) => (name: string, range: Range = {}) =>
    convert(name, (text) => (pattern.test(text.trim()) && withinRange(Number(text), range) ? Number(text) : undefined), describeRange(kind, range));
  return {
    values: parsed.values,
    positionals: parsed.positionals,
    passThrough: terminator < 0 ? [] : args.slice(terminator + 1),
    fail,
    only(allowed, context) {
      const stray = [...givenNames].filter((name) => name !== 'help' && !allowed.includes(name));
      if (stray.length) fail(`${context} does not take ${stray.map((name) => `--${name}`).join(', ')}`);
    },
    convert: convert as CommandLine<O>['convert'],
    integer: numeric(/^[-+]?\d+$/, 'a whole number') as CommandLine<O>['integer'],
    number: numeric(/^[-+]?(\d+\.?\d*|\.\d+)$/, 'a number') as CommandLine<O>['number'],
  };
}
