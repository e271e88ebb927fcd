/** `replsim compare FILE... [--variant V]...`: baseline and variants side by side. */
import { writeFileSync } from 'node:fs';
import { comparedRuns, comparisonJson, renderComparison, runComparison } from '../../rehearsal/compare.ts';
import { flag, outputName, text, texts, type CommandArgs, type CommandIo, type CommandSpec } from './command.ts';
import { readScenario } from './read.ts';
import { seedOption, SET_OPTION } from './shared.ts';

export const COMPARE: CommandSpec = {
  name: 'compare',
  summary: 'Run the baseline and the variants of one or several scenarios and set them side by side',
  positional: { name: 'files', describe: 'Scenario YAML files', many: true },
  options: [
    { name: 'variant', kind: 'list', value: 'NAME', describe: 'Compare only these variants (repeatable; default: all), beside the baseline' },
    SET_OPTION,
    { name: 'seed', kind: 'string', value: 'N', describe: "Seed for every run (default: each scenario's)" },
    { name: 'json', kind: 'boolean', describe: 'Print {"rows": [...]}, one row per run' },
    { name: 'html', kind: 'string', value: 'FILE.html', describe: 'Also write the runs as one page, their charts on the same time axis' },
  ],
};

export async function compareCommand(args: CommandArgs, io: CommandIo): Promise<number> {
  const html = outputName('html', text(args, 'html'), '.html');
  const sources = args.positionals.map((file) => ({ file, text: readScenario(file) }));
  const runs = comparedRuns(sources, texts(args, 'variant'));
  const bar = io.progressStream;
  const results = runComparison(runs, {
    sets: texts(args, 'set'),
    seed: seedOption(args),
    onRun: bar ? (r, i, n) => bar.write(`\r\x1b[2Kcompare: run ${i + 1} of ${n}: ${r.variant ?? 'baseline'}`) : undefined,
  });
  if (bar) bar.write('\r\x1b[2K');
  const rows = results.map((r) => r.row);
  if (html) {
    const { renderComparisonHtml } = await import('../../rehearsal/compare-html.ts');
    writeFileSync(html, renderComparisonHtml(results));
    io.err(`replsim: comparison written to ${html}\n`);
  }
  io.out(flag(args, 'json') ? comparisonJson(rows) : renderComparison(rows, io.stdoutIsTTY ? Math.min(Math.max(io.columns, 60), 160) : 100));
  return rows.some((r) => r.expectationsFailed > 0) ? 1 : 0;
}
