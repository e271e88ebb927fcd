/**
 * The rehearsal commands (variants, compare, lint, sweep, merge, hunt): each a spec (specs.ts, light) and a
 * handler in its own module, loaded only when the command runs. main.ts dispatches to them by name.
 */
import type { CommandArgs, CommandIo } from './command.ts';

export type CommandHandler = (args: CommandArgs, io: CommandIo) => Promise<number>;

export const REHEARSAL_HANDLERS: Readonly<Record<string, () => Promise<CommandHandler>>> = {
  variants: async () => (await import('./variants.ts')).variantsCommand,
  compare: async () => (await import('./compare.ts')).compareCommand,
  lint: async () => (await import('./lint.ts')).lintCommand,
  sweep: async () => (await import('./sweep.ts')).sweepCommand,
  merge: async () => (await import('./sweep.ts')).mergeCommand,
  hunt: async () => (await import('./hunt.ts')).huntCommand,
};
