/** `replsim variants FILE`: the variants of a scenario with their descriptions. */
import { renderVariants, variantsJson } from '../../rehearsal/variants.ts';
import { flag, type CommandArgs, type CommandIo } from './command.ts';
import { readScenario } from './read.ts';

export async function variantsCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const file = args.positionals[0]!;
  const text = readScenario(file);
  io.out(flag(args, 'json') ? variantsJson(text, file) : renderVariants(text, file, Math.min(Math.max(io.columns, 60), 160)));
  return 0;
}
