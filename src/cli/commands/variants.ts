/** `replsim variants FILE`: the variants of a scenario with their descriptions. */
import { renderVariants, variantsJson } from '../../rehearsal/variants.ts';
import { flag, type CommandArgs, type CommandIo, type CommandSpec } from './command.ts';
import { readScenario } from './read.ts';

export const VARIANTS: CommandSpec = {
  name: 'variants',
  summary: 'List the variants of a scenario with what each changes',
  positional: { name: 'file', describe: 'Scenario YAML file' },
  options: [{ name: 'json', kind: 'boolean', describe: 'Print {"file", "variants": [{name, description}]} as JSON' }],
};

export async function variantsCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const file = args.positionals[0]!;
  const text = readScenario(file);
  io.out(flag(args, 'json') ? variantsJson(text, file) : renderVariants(text, file, Math.min(Math.max(io.columns, 60), 160)));
  return 0;
}
