/**
 * The command line's grammar and its parser: commands, their positional argument and options, declared as
 * data (spec.ts), parsed strictly. Every problem is a UsageError (exit code 2) naming the option and what
 * was typed, with a did-you-mean for misspelt options and commands. Nothing here loads the simulator.
 */
import { closest } from '../scenario/errors.ts';

export type OptionSpec =
  /** `--name`, `--name=true|false`, and `--no-name` when `negatable` or on by default. */
  | { readonly name: string; readonly kind: 'boolean'; readonly describe: string; readonly negatable?: boolean; readonly default?: boolean }
  /** `--name VALUE` or `--name=VALUE`; the last one counts. */
  | { readonly name: string; readonly kind: 'string'; readonly describe: string; readonly value: string; readonly default?: string }
  /** `--name VALUE`, repeatable: every value, in order. */
  | { readonly name: string; readonly kind: 'list'; readonly describe: string; readonly value: string; readonly default?: undefined };

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** The positional argument, if the command takes one: one (the default), one or more (`many`), or none or one (`optional`). */
  readonly positional?: { readonly name: string; readonly describe: string; readonly many?: boolean; readonly optional?: boolean };
  readonly options: readonly OptionSpec[];
  /** The exit codes this command gives, for its help (default: the program's list). */
  readonly exitCodes?: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, if known. */
    readonly command: string | null = null,
  ) {
    super(message);
  }
}

export type OptionValue = boolean | string | readonly string[];

export type Parsed =
  | { readonly kind: 'help'; readonly command: string | null }
  | { readonly kind: 'version' }
  | { readonly kind: 'command'; readonly command: string; readonly positional: string | null; readonly positionals: readonly string[]; readonly options: ReadonlyMap<string, OptionValue> };

const HELP = ['-h', '--help'];

/** `--no-NAME` turns it off: asked for, or implied by an option that is on unless turned off. */
export function negatable(o: OptionSpec): boolean {
  return o.kind === 'boolean' && (o.negatable === true || o.default === true);
}

function option(spec: CommandSpec, name: string): OptionSpec | undefined {
  return spec.options.find((o) => o.name === name);
}

/** `--varient`: did you mean `--variant`? (also an option of another command, or a negation). */
function unknownOption(arg: string, spec: CommandSpec, all: readonly CommandSpec[]): UsageError {
  const name = arg.replace(/^-+/, '').split('=')[0] ?? '';
  const own = spec.options.flatMap((o) => (negatable(o) ? [o.name, `no-${o.name}`] : [o.name]));
  const other = all.find((c) => c !== spec && c.options.some((o) => o.name === name));
  let hint = '';
  const positive = name.startsWith('no-') ? option(spec, name.slice(3)) : undefined;
  if (positive?.kind === 'boolean') hint = `: --${positive.name} is off unless given; leave it out`;
  else if (other) hint = `: --${name} is an option of "${other.name}", not of "${spec.name}"`;
  else {
    const c = closest(name, [...own, 'help', 'version']);
    if (c !== null) hint = `; did you mean --${c}?`;
  }
  return new UsageError(`unknown option ${JSON.stringify(arg.split('=')[0])} for "${spec.name}"${hint}`, spec.name);
}

/** An option before any command: `-v`, `--verison` (did you mean --version?), `--json run x` (options follow the command). */
function beforeCommand(arg: string, commands: readonly CommandSpec[]): UsageError {
  const name = arg.replace(/^-+/, '').split('=')[0] ?? '';
  if (name === 'help' || name === 'version') return new UsageError(`--${name} takes no value`);
  const owners = commands.filter((c) => c.options.some((o) => o.name === name));
  const owner = owners[0];
  if (owner) {
    // "run", "validate" and 4 other commands: the first two name the usual ones, the rest are counted.
    const named = owners.slice(0, 2).map((c) => `"${c.name}"`);
    const of = owners.length <= 2 ? named.join(' and ') : `${named.join(', ')} and ${owners.length - 2} other command${owners.length > 3 ? 's' : ''}`;
    return new UsageError(`--${name} is an option of ${of}: put it after the command: replsim ${owner.name}${owner.positional ? ` <${owner.positional.name}>` : ''} --${name}`, owner.name);
  }
  const c = arg === '-v' ? 'version' : closest(name, ['help', 'version']);
  const hint = c === null ? '' : `; did you mean --${c}?`;
  return new UsageError(`unknown option ${JSON.stringify(arg.split('=')[0])}${hint} (a command comes first: ${commands.map((x) => `replsim ${x.name} ...`).join(', ')})`);
}

function booleanValue(o: OptionSpec, text: string, command: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new UsageError(`--${o.name} takes no value (or =true, =false), not ${JSON.stringify(text)}`, command);
}

/**
 * Parses `argv` (without node and the script): a command first (or only --help / --version), then its
 * positional argument and options in any order; `--` ends the options; `-` is a positional (stdin).
 */
export function parseArgs(argv: readonly string[], commands: readonly CommandSpec[]): Parsed {
  const first = argv[0];
  if (first === undefined) throw new UsageError(`name a command: ${commands.map((c) => c.name).join(', ')}`);
  if (HELP.includes(first) || first === 'help') return { kind: 'help', command: first === 'help' && argv[1] !== undefined ? commandNamed(argv[1], commands).name : null };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first.startsWith('-')) throw beforeCommand(first, commands);
  const spec = commandNamed(first, commands);
  const options = new Map<string, OptionValue>();
  for (const o of spec.options) if (o.default !== undefined) options.set(o.name, o.default);
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (HELP.includes(arg)) return { kind: 'help', command: spec.name };
    if (arg === '--version') return { kind: 'version' };
    if (!arg.startsWith('--')) throw unknownOption(arg, spec, commands);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? null : arg.slice(eq + 1);
    const o = option(spec, name);
    if (o === undefined && name.startsWith('no-')) {
      const negated = option(spec, name.slice(3));
      if (negated !== undefined && negatable(negated)) {
        if (inline !== null) throw new UsageError(`--${name} takes no value, not ${JSON.stringify(inline)}`, spec.name);
        options.set(negated.name, false);
        continue;
      }
    }
    if (o === undefined) throw unknownOption(arg, spec, commands);
    if (o.kind === 'boolean') {
      options.set(o.name, inline === null ? true : booleanValue(o, inline, spec.name));
      continue;
    }
    let value = inline;
    if (value === null) {
      const next = argv[i + 1];
      // A value may start with "-" (a negative number, "-" for stdout) but not look like an option.
      if (next === undefined || (next.startsWith('--') && next.length > 2) || HELP.includes(next)) {
        throw new UsageError(`--${o.name} needs a value: --${o.name} ${o.value}`, spec.name);
      }
      value = next;
      i++;
    }
    if (o.kind === 'list') options.set(o.name, [...((options.get(o.name) as readonly string[] | undefined) ?? []), value]);
    else options.set(o.name, value);
  }
  const p = spec.positional;
  const most = p ? (p.many ? Number.POSITIVE_INFINITY : 1) : 0;
  if (positionals.length > most) {
    const extra = positionals[most]!;
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}${p ? ` (${spec.name} takes one ${p.name})` : ''}`, spec.name);
  }
  if (p && !p.optional && positionals.length === 0) throw new UsageError(`${spec.name} needs a ${p.name}: replsim ${spec.name} ${positionalUsage(p)}`, spec.name);
  return { kind: 'command', command: spec.name, positional: positionals[0] ?? null, positionals, options };
}

/** `<file>`, `<files..>` or `[file]`, as usage lines write a positional. */
export function positionalUsage(p: NonNullable<CommandSpec['positional']>): string {
  const name = `${p.name}${p.many ? '..' : ''}`;
  return p.optional ? `[${name}]` : `<${name}>`;
}

function commandNamed(name: string, commands: readonly CommandSpec[]): CommandSpec {
  const spec = commands.find((c) => c.name === name);
  if (spec) return spec;
  const c = closest(name, commands.map((x) => x.name));
  throw new UsageError(`unknown command ${JSON.stringify(name)}${c ? `; did you mean "${c}"?` : ''} (commands: ${commands.map((x) => x.name).join(', ')})`);
}

/** A number option: what was typed, checked, or a usage error naming the option. */
export function numberOption(options: ReadonlyMap<string, OptionValue>, name: string, check: (n: number) => boolean, expected: string, command: string | null = null): number | undefined {
  const v = options.get(name);
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const n = text === '' ? Number.NaN : Number(text);
  if (!check(n)) throw new UsageError(`--${name}: ${JSON.stringify(text)} is not ${expected}`, command);
  return n;
}
