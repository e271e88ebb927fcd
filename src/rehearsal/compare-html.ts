/**
 * `replsim compare --html OUT.html`: the compared runs on one page, their charts one above the other on the
 * same time axis (the earliest start to the latest end of all runs, the same plot edges), so a loss window
 * or a stall in one run lines up with the same minutes of the others. Runs that start at different
 * instants (files of different days) are aligned on their starts instead. Self-contained and script-free (a
 * Content-Security-Policy allows only inline styles and data: images); every scenario string is escaped.
 */
import { DateTime } from 'luxon';
import { renderChartSvg } from '../report/chart.ts';
import { escapeXml as esc } from '../report/escape.ts';
import { duration, percent } from '../report/format.ts';
import { ReportClock } from '../report/time.ts';
import type { RunResult } from '../run.ts';
import type { CompareRow } from './compare.ts';
import { lostColumn } from './outcome.ts';

const CSS = `
body { font: 14px/1.45 "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #f6f6f4; }
main { max-width: 1060px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #eee; }
.nw { white-space: nowrap; } .bad { color: #c00; font-weight: bold; } .good { color: #1a7f1a; } .muted { color: #666; }
.figure { overflow-x: auto; margin: 8px 0; } .figure svg { display: block; } .figure.chart svg { width: 100%; height: auto; min-width: 720px; }
`;

const WIDTH = 1000;
const PLOT_LEFT = 110;
const PLOT_RIGHT = WIDTH - 230;

export function renderComparisonHtml(runs: readonly { readonly row: CompareRow; readonly result: RunResult }[]): string {
  const ms = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toMillis();
  // Runs that start at the same instant share the clock; runs that do not (files of different days) are
  // aligned on their starts, each chart labelled with its own clock.
  const sameStart = new Set(runs.map((r) => ms(r.row.start))).size <= 1;
  const from = sameStart ? Math.min(...runs.map((r) => ms(r.row.start))) : 0;
  const to = sameStart ? Math.max(...runs.map((r) => ms(r.row.end))) : Math.max(...runs.map((r) => ms(r.row.end) - ms(r.row.start)));
  const files = new Set(runs.map((r) => r.row.file)).size;
  const label = (row: CompareRow) => `${files > 1 ? `${row.file.replace(/^.*\//, '')}: ` : ''}${row.variant ?? 'baseline'}`;
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8"/>');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
  const title = files === 1 ? `${runs[0]?.row.scenario ?? ''}: ${runs.length} runs compared` : `${runs.length} runs of ${files} files compared`;
  out.push(`<title>${esc(`replsim: ${title}`)}</title>`, `<style>${CSS}</style>`, '</head>', '<body><main>');
  out.push(`<h1>${esc(title)}</h1>`);
  const lostCol = lostColumn(runs.map((x) => x.row));
  out.push(`<table><thead><tr><th>run</th><th>verdicts</th><th>${esc(lostCol.head)}</th><th>stalls</th><th>outages</th><th>requests</th><th>first warning</th><th>expectations</th></tr></thead><tbody>`);
  for (const { row } of runs) {
    const clock = new ReportClock(row);
    const at = (iso: string) => clock.short(iso);
    const cells = [
      `<b>${esc(label(row))}</b>${row.description ? `<br/><span class="muted">${esc(row.description)}</span>` : ''}`,
      row.verdicts.length ? [...new Set(row.verdicts.map((v) => v.kind))].map((k) => `<span class="nw">${esc(k)}</span>`).join('<br/>') : '-',
      row.dataLoss.length ? `<span class="bad">${esc(`${lostCol.cell(row)}${row.lossWindow ? ` (${at(row.lossWindow.from)} to ${at(row.lossWindow.to)})` : ''}`)}</span>` : '<span class="good">none</span>',
      esc(`${row.stallCount ? `${row.stallCount}: ${duration(row.stallSeconds)}, longest ${duration(row.longestStallSeconds)}` : 'none'}${row.shortfall ? `; slowed to ${percent(row.shortfall.worstShare)} for ${duration(row.shortfall.seconds)}` : ''}`),
      esc(row.outageCount ? `${row.outageCount}: ${duration(row.outageSeconds)}` : 'none'),
      requestsCell(row.requests),
      esc(row.firstWarning ? `${at(row.firstWarning.at)}: ${row.firstWarning.what}` : '-'),
      row.expectations.length === 0 ? '-' : row.expectationsFailed ? `<span class="bad">${row.expectationsFailed} of ${row.expectations.length} fail</span>` : `<span class="good">${row.expectations.length} pass</span>`,
    ];
    out.push(`<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
  }
  out.push('</tbody></table>');
  out.push('<h2>The runs on one time axis</h2>');
  if (!sameStart) out.push('<p class="muted">The runs start at different times: the charts are aligned on their starts (the same distance from the left edge is the same time since the start), each labelled with its own clock.</p>');
  for (const { row, result } of runs) {
    const start = sameStart ? ms(row.start) : 0;
    const svg = renderChartSvg(result, { width: WIDTH, title: label(row), timeAxis: { from: (from - start) * 1000, to: (to - start) * 1000, plotLeft: PLOT_LEFT, plotRight: PLOT_RIGHT } });
    out.push(`<div class="figure chart">${svg}</div>`);
  }
  out.push('</main></body></html>');
  return `${out.join('\n')}\n`;
}

/** What the requests got, for a row: the shares that failed and waited past the stall threshold. */
function requestsCell(q: { readonly offered: number; readonly waited: number; readonly failed: number }): string {
  if (q.offered === 0) return '-';
  if (q.failed === 0 && q.waited === 0) return '<span class="good">all succeeded</span>';
  const pct = (x: number) => percent(x / q.offered);
  return `<span class="${q.failed > 0 ? 'bad' : ''}">${esc(`${pct(q.failed)} failed, ${pct(q.waited)} waited`)}</span>`;
}
