/**
 * The HTML page's sections that say what the text report's do (html/page.ts; the same sentences, from
 * report/lines.ts): throughput short of the offer, lock waits, a cluster's transaction-ID figures and long
 * vacuums, alerts, devices at the end and assessments. Each returns nothing when the report has no such data.
 */
import { escapeXml as esc } from '../escape.ts';
import { alertLine, assessmentLine, deviceState, lockWaitLine, shortfallLine, slowQueriesLine, vacuumRows, xidLines } from '../lines.ts';
import type { ReportClock } from '../time.ts';
import type { CauseStepJson, Report, XidJson } from '../types.ts';

type Chain = (steps: readonly CauseStepJson[]) => string;
type At = (iso: string) => string;

/** Writes completing below the offer without a stall (block replication): each with its bottleneck chain. */
export function shortfallsSection(r: Report, at: At, chain: Chain): string[] {
  const sf = r.shortfalls ?? [];
  if (sf.length === 0) return [];
  const out = ['<h2>Write throughput short of the offer (no stall)</h2>'];
  out.push('<p class="muted">No write waited past the stall threshold, but the writes completed well below what the application offered: the queue depth caps each wait, so the rate falls instead.</p>');
  for (const s of sf) {
    out.push(`<h3>${esc(shortfallLine(s, at))}</h3>`);
    if (s.chain.length > 0) out.push(chain(s.chain));
  }
  return out;
}

/** Each statement that waited for a table lock, with who held it and who waited ahead; each workload's slow queries. */
export function lockWaitsSection(r: Report, at: At, chain: Chain): string[] {
  const waits = r.locks?.waits.filter((w) => w.seconds > 0) ?? [];
  const slow = r.locks?.requests.filter((q) => q.failed + q.slow > 0) ?? [];
  if (waits.length === 0 && slow.length === 0) return [];
  const out = ['<h2>Lock waits</h2>'];
  for (const w of waits) {
    out.push(`<h3>${esc(lockWaitLine(w, at))}</h3>`);
    if (w.chain.length > 0) out.push(chain(w.chain));
  }
  for (const q of slow) out.push(`<p>${esc(slowQueriesLine(q))}</p>`);
  return out;
}

/** A cluster's transaction-ID ages and limits, the first WARNING and the stop (before its cause chain). */
export function xidFigures(x: XidJson, at: At): string[] {
  const l = xidLines(x, at);
  return [`<p>${esc(l.head)}</p>`, ...(l.warning ? [`<p class="fail">${esc(l.warning)}</p>`] : []), ...(l.stop ? [`<p class="${x.stopAt ? 'fail' : ''}">${esc(l.stop)}</p>`] : [])];
}

/** The vacuums of a minute or more, as a table. */
export function vacuumsTable(r: Report, clock: ReportClock): string[] {
  const v = vacuumRows(r, clock);
  if (v === null) return [];
  return [
    `<h3>${esc(v.heading.replace(/:$/, ''))}</h3>`,
    '<table><thead><tr><th>from</th><th>how long</th><th>table</th><th>what it did</th></tr></thead><tbody>',
    ...v.rows.map((row) => `<tr><td class="t">${esc(row.cols[0])}</td><td class="t">${esc(row.cols[1])}</td><td>${esc(row.cols[2])}</td><td>${esc(row.text)}</td></tr>`),
    '</tbody></table>',
  ];
}

export function alertsSection(r: Report, at: At): string[] {
  if (r.alerts.length === 0) return [];
  return ['<h2>Alerts</h2>', `<ul>${r.alerts.map((a) => `<li class="${a.firedAt ? 'fail' : ''}">${esc(alertLine(a, at))}</li>`).join('')}</ul>`];
}

/** Replicated block devices at the end: a pair that never connected, or is still resyncing, shows here. */
export function devicesSection(r: Report): string[] {
  const devices = r.devices ?? [];
  if (devices.length === 0) return [];
  const out = ['<h2>Devices at the end</h2>', '<table><thead><tr><th>resource</th><th>replication</th><th>primary → peer</th><th>state</th></tr></thead><tbody>'];
  for (const d of devices) {
    const { pair, state } = deviceState(d);
    out.push(`<tr><td class="n">${esc(d.resource)}</td><td>${esc(d.replication)}</td><td>${esc(pair)}</td><td>${esc(state)}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out;
}

export function assessmentsSection(r: Report, at: At): string[] {
  if (r.assessments.length === 0) return [];
  return ['<h2>Assessments</h2>', `<ul>${r.assessments.map((a) => `<li>${esc(assessmentLine(a, at))}</li>`).join('')}</ul>`];
}
