/** `replsim hunt FILE`: search the fault schedules the scenario allows for one that breaks its expectations. */
import { printable } from '../../report/escape.ts';
import { wrap } from '../../report/wrap.ts';
import { loadScenarioText } from '../../scenario/load.ts';
import { UsageError, flag, text, texts, wholeNumber, type CommandArgs, type CommandIo } from './command.ts';
import { readScenario } from './read.ts';
import { seedOption } from './shared.ts';

export async function huntCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const { hunt, renderFound, explainFound, scheduleActions, HuntInputError } = await import('../../rehearsal/hunt.ts');
  const file = args.positionals[0]!;
  const scenario = loadScenarioText(readScenario(file), file, { variant: text(args, 'variant') ?? null, sets: texts(args, 'set') });
  const runs = text(args, 'runs') === undefined ? undefined : wholeNumber(args, 'runs', 1, 100);
  const seed = seedOption(args) ?? 1;
  const bar = io.progressStream;
  let result;
  try {
    result = hunt(scenario, { ...(runs !== undefined ? { runs } : {}), seed, ...(bar ? { onRun: (n: number) => bar.write(`\r\x1b[2Khunt: schedule ${n}`) } : {}) });
  } catch (e) {
    if (e instanceof HuntInputError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  } finally {
    if (bar) bar.write('\r\x1b[2K');
  }
  const width = io.stdoutIsTTY ? Math.min(Math.max(io.columns, 60), 160) : 100;
  if (flag(args, 'json')) {
    const actions = result.found ? scheduleActions(scenario, scenario.hunt!, result.schedule) : [];
    io.out(`${JSON.stringify({ found: result.found, runs: result.runs, shrinks: result.shrinks, seed: result.seed, schedule: actions.map((a) => ({ at: a.at, name: a.name, kind: a.kind })), variant: result.found ? renderFound(scenario, result) : null, failed: result.report?.expectations.filter((e) => !e.passed) ?? [], stopped: result.stopped }, null, 2)}\n`);
    return result.found ? 1 : 0;
  }
  const out: string[] = [];
  if (!result.found) {
    out.push(...wrap(printable(`replsim hunt: ${scenario.name}: no schedule among ${result.runs} broke the expectations (seed ${seed}); more runs or wider bounds search further.`), width, ''));
    io.out(`${out.join('\n')}\n`);
    return 0;
  }
  out.push(...wrap(printable(`replsim hunt: ${scenario.name}: a schedule breaks the expectations (seed ${seed}, ${result.runs} runs, ${result.shrinks} shrinks to this minimal one).`), width, ''));
  out.push('');
  for (const l of explainFound(result)) out.push(...wrap(printable(l), width, '', '    '));
  out.push('', 'As a variant (paste under variants:, then replsim run FILE --variant hunt-found):', '');
  io.out(`${out.join('\n')}\n${renderFound(scenario, result)}`);
  return 1;
}
