/** Options several commands share. */
import { UsageError, text, type CommandArgs } from './command.ts';

export { SET_OPTION } from './specs.ts';

/** --seed: an integer >= 0, or null when not given. */
export function seedOption(args: CommandArgs): number | null {
  const v = text(args, 'seed');
  if (v === undefined) return null;
  const n = v.trim() === '' ? Number.NaN : Number(v.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed: ${JSON.stringify(v)} is not an integer >= 0`);
  return n;
}
