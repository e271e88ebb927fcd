/**
 * The rehearsal commands (variants, compare, lint, sweep, merge, hunt): each a spec (command.ts) and a
 * handler in its own module, loaded only when the command runs. main.ts registers them in a loop.
 */
import type { CommandArgs, CommandIo, CommandSpec } from './command.ts';
import { VARIANTS } from './variants.ts';
import { COMPARE } from './compare.ts';
import { LINT } from './lint.ts';
import { MERGE, SWEEP } from './sweep.ts';
import { HUNT } from './hunt.ts';

export interface CommandEntry {
  readonly spec: CommandSpec;
  readonly handler: () => Promise<(args: CommandArgs, io: CommandIo) => Promise<number>>;
}

export const REHEARSAL_COMMANDS: readonly CommandEntry[] = [
  { spec: VARIANTS, handler: async () => (await import('./variants.ts')).variantsCommand },
  { spec: COMPARE, handler: async () => (await import('./compare.ts')).compareCommand },
  { spec: LINT, handler: async () => (await import('./lint.ts')).lintCommand },
  { spec: SWEEP, handler: async () => (await import('./sweep.ts')).sweepCommand },
  { spec: MERGE, handler: async () => (await import('./sweep.ts')).mergeCommand },
  { spec: HUNT, handler: async () => (await import('./hunt.ts')).huntCommand },
];
