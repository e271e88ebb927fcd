/**
 * The HTML page's end-state sections (html/page.ts): the verdicts with their cause chains and each
 * cluster's time to recover (as the text report's "Verdicts"), and what each workload's requests got
 * (report/requests.ts: over the run, and per interval in which not every request succeeded).
 */
import { escapeXml as esc } from '../escape.ts';
import { count, duration, percent } from '../format.ts';
import { requestsLine } from '../requests.ts';
import type { CauseStepJson, Report } from '../types.ts';
import { recoveryLine, verdictHeadline } from '../verdicts.ts';

type Chain = (steps: readonly CauseStepJson[]) => string;

/** The verdicts section (nothing when there is no verdict). */
export function verdictsSection(r: Report, at: (iso: string) => string, chain: Chain): string[] {
  if (r.verdicts.length === 0) return [];
  const out = ['<h2>Verdicts</h2>'];
  for (const v of r.verdicts) {
    out.push(`<h3 class="${v.to === null ? 'fail' : ''}">${esc(verdictHeadline(v, at, duration))}</h3>`);
    out.push(chain(v.cause));
  }
  for (const x of r.recovery) out.push(`<p>${esc(recoveryLine(x, at, duration))}</p>`);
  return out;
}

/** The share of `x` in `of`, for the table: "13%", "0.4%". */
function share(x: number, of: number): string {
  return percent(x / Math.max(1, of));
}

/** The requests section: a line per workload that did not always succeed, and its intervals (nothing when all succeeded). */
export function requestsSection(r: Report, at: (iso: string) => string): string[] {
  const several = new Set(r.requests.map((x) => x.cluster)).size > 1;
  const shown = r.requests.filter((x) => requestsLine(x, '', several) !== null);
  if (shown.length === 0) return [];
  const out = ['<h2>Requests</h2>', '<p class="muted">Per workload, the requests (write transactions) offered and what they got: succeeded, waited past the stall threshold (in the pool\'s queue, for their commit, or retrying), or failed; then the intervals in which not every request succeeded.</p>'];
  out.push('<table><thead><tr><th>workload</th><th>from</th><th>to</th><th>offered</th><th>succeeded</th><th>waited</th><th>failed</th></tr></thead><tbody>');
  for (const x of shown) {
    const name = `${several ? `${x.cluster} ` : ''}${x.workload}`;
    const row = (from: string, to: string, c: { offered: number; succeeded: number; waited: number; failed: number }, head: boolean) =>
      `<tr><td class="n">${head ? esc(name) : ''}</td><td class="t">${esc(from)}</td><td class="t">${esc(to)}</td><td>${esc(count(c.offered))}</td><td>${esc(`${count(c.succeeded)} (${share(c.succeeded, c.offered)})`)}</td><td>${esc(`${count(c.waited)} (${share(c.waited, c.offered)})`)}</td><td class="${c.failed > 0 ? 'fail' : ''}">${esc(`${count(c.failed)} (${share(c.failed, c.offered)})`)}</td></tr>`;
    out.push(row('the whole run', '', x, true));
    for (const i of x.intervals) out.push(row(at(i.from), at(i.to), i, false));
    if (x.queuedAtEnd > 0) out.push(`<tr><td></td><td colspan="6" class="muted">${esc(`${count(x.queuedAtEnd)} still queued at the end`)}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out;
}
