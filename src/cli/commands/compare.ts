/** `replsim compare FILE... [--variant V]...`: baseline and variants side by side. */
import { writeFileSync } from 'node:fs';
import { comparedRuns, comparisonJson, renderComparison, runComparison } from '../../rehearsal/compare.ts';
import { flag, outputName, text, texts, type CommandArgs, type CommandIo } from './command.ts';
import { readScenario } from './read.ts';
import { seedOption } from './shared.ts';

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
