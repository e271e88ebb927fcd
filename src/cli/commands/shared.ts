/** Options several commands share. */
import { UsageError, text, type CommandArgs, type CommandOption } from './command.ts';

export const SET_OPTION: CommandOption = {
  name: 'set',
  kind: 'list',
  value: 'PATH=VALUE',
  describe: 'Override a value: PATH dot-separated, list items by index or name (repeatable)',
};

/** --seed: an integer >= 0, or null when not given. */
export function seedOption(args: CommandArgs): number | null {
  const v = text(args, 'seed');
  if (v === undefined) return null;
  const n = v.trim() === '' ? Number.NaN : Number(v.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--seed: ${JSON.stringify(v)} is not an integer >= 0`);
  return n;
}
