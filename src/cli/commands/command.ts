/**
 * A command of the command line as data and a handler: its positional arguments, its options, and what it
 * does with them. main.ts registers each with the parser; a command's module is loaded only when it runs.
 * The handler sees plain values (strings, booleans, lists) and the output streams, never the parser.
 */

import { UsageError } from '../args.ts';
export { UsageError };
export type { CommandSpec, OptionSpec as CommandOption } from '../args.ts';

/** Where a command writes. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  /** A terminal's stderr, where a progress bar may draw; null when stderr is not a terminal. */
  readonly progressStream: NodeJS.WriteStream | null;
  readonly columns: number;
}

export interface CommandArgs {
  readonly positionals: readonly string[];
  readonly options: ReadonlyMap<string, boolean | string | readonly string[] | undefined>;
}

export function flag(args: CommandArgs, name: string): boolean {
  return args.options.get(name) === true;
}

export function text(args: CommandArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (Array.isArray(v)) return v.at(-1) as string | undefined;
  return typeof v === 'string' ? v : undefined;
}

export function texts(args: CommandArgs, name: string): string[] {
  const v = args.options.get(name);
  if (v === undefined || typeof v === 'boolean') return [];
  return typeof v === 'string' ? [v] : [...v];
}

/** A whole number option, or a usage error naming it. */
export function wholeNumber(args: CommandArgs, name: string, min: number, fallback: number): number {
  const v = text(args, name);
  if (v === undefined) return fallback;
  const n = v.trim() === '' ? Number.NaN : Number(v.trim());
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name}: ${JSON.stringify(v)} is not a whole number >= ${min}`);
  return n;
}

/** An output file's name must end in `ext`. */
export function outputName(option: string, file: string | undefined, ext: string): string | undefined {
  if (file === undefined) return undefined;
  if (file.trim() === '') throw new UsageError(`--${option}: name a file`);
  if (!file.toLowerCase().endsWith(ext)) throw new UsageError(`--${option}: ${JSON.stringify(file)} does not end in ${ext} (did you mean ${JSON.stringify(file.replace(/\.[A-Za-z0-9]*$/, '') + ext)}?)`);
  return file;
}
