/**
 * The report as one self-contained HTML page (`replsim run FILE --html OUT.html`, docs/report.md): the
 * summary boxes, the verdicts and the requests (html/outcomes.ts), the cause chains, the timeline-branch diagram, the charts, the event log with the
 * servers' log lines (filterable by node), the nodes and the expectations. Inline SVG and CSS and one small
 * inline script; a Content-Security-Policy allows nothing else, so the page loads nothing from anywhere and
 * opens from disk. Every string from the scenario goes through escapeXml; the page is well-formed XML too
 * (the tests parse it so), with the script written without `<` and `&`.
 */
import type { Micros } from '../../engine/time.ts';
import { createHash } from 'node:crypto';
import { renderChartSvg, type ChartInput } from '../chart.ts';
import { collapseCycles } from '../collapse.ts';
import { escapeXml as esc } from '../escape.ts';
import { count, counted, duration, percent } from '../format.ts';
import { ReportClock } from '../time.ts';
import type { CauseStepJson, Report } from '../types.ts';
import { branchDiagrams } from './branches.ts';
import { requestsSection, verdictsSection } from './outcomes.ts';
import { requestsLine } from '../requests.ts';
import { factFromJson, factHtml, factText, type FactJson } from '../facts/index.ts';
import { ENDED, dataLossHead, nodeStorage, receiverText, refusedLine, repeatedText, repeatText, slotLine, writesLine } from '../lines.ts';
import { alertsSection, assessmentsSection, devicesSection, lockWaitsSection, shortfallsSection, vacuumsTable, xidFigures } from './sections.ts';

const CSS = `
body { font: 14px/1.45 "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #f6f6f4; }
main { max-width: 1060px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #555; margin: 2px 0; }
.verdicts { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.verdict { flex: 1 1 220px; border-radius: 6px; padding: 8px 12px; border: 1px solid #ccc; background: #fafafa; }
.verdict b { display: block; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
.bad { border-color: #d62728; background: #fdf0f0; } .good { border-color: #2ca02c; background: #f0f8f0; } .warn { border-color: #ff7f0e; background: #fff6ec; }
ol.cause { padding-left: 26px; } ol.cause li { margin: 4px 0; }
pre { background: #f4f4f4; border-left: 3px solid #bbb; margin: 4px 0; padding: 4px 8px; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.figure { overflow-x: auto; margin: 8px 0; } .figure svg { display: block; } .figure.chart svg { width: 100%; height: auto; min-width: 720px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid #eee; }
td.t { white-space: nowrap; font-variant-numeric: tabular-nums; color: #444; } td.n { white-space: nowrap; font-weight: bold; }
tr.fault td, tr.fatal td { background: #fff3f3; } tr.plan td { background: #f3f7fc; }
.pass { color: #1a7f1a; font-weight: bold; } .fail { color: #c00; font-weight: bold; }
.filter { margin: 6px 0 10px; } .filter label { margin-right: 12px; white-space: nowrap; }
.muted { color: #666; } .day td { font-weight: bold; background: #fafafa; }
span.node { font-weight: 600; } td code { font-size: 12px; }
span.rule { color: #777; font-family: monospace; font-size: 11px; margin-left: 4px; }
`;

/**
 * The node filter: a checkbox per node shows or hides its rows (no `<` or `&` here: the page stays XML).
 * Reads only data-node attributes, never builds markup, so a scenario's names cannot become code.
 */
const SCRIPT = `
document.querySelectorAll('input[data-filter]').forEach(function (box) {
  box.addEventListener('change', function () {
    var shown = {};
    document.querySelectorAll('input[data-filter]').forEach(function (b) { shown[b.value] = b.checked; });
    document.querySelectorAll('tr[data-node]').forEach(function (row) {
      var node = row.getAttribute('data-node');
      row.hidden = shown[node] === false;
    });
  });
});
`;

export function renderHtml(result: ChartInput): string {
  const r = result.report;
  const clock = new ReportClock(r);
  const at = (iso: string) => clock.short(iso);
  const chain = (steps: readonly CauseStepJson[]) => chainHtml(steps, clock);
  const title = `${r.scenario}${r.variant ? ` (variant ${r.variant})` : ''}`;
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8"/>');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:"/>`);
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
  out.push(`<title>${esc(`replsim: ${title}`)}</title>`);
  out.push(`<style>${CSS}</style>`);
  out.push('</head>');
  out.push('<body><main>');

  // ---- Header and verdicts.
  out.push(`<h1>${esc(title)}</h1>`);
  if (r.description.trim()) out.push(`<p>${esc(r.description.trim().replace(/\s*\n\s*/g, ' '))}</p>`);
  const endText = clock.day(r.end) === clock.day(r.start) ? clock.time(r.end) : clock.full(r.end);
  out.push(`<p class="meta">${esc(`${clock.full(r.start)} to ${endText} (${duration((clock.us(r.end) - clock.us(r.start)) / 1e6)}), times in ${clock.zoneName} · seed ${r.seed} · replsim`)}</p>`);
  out.push('<section class="verdicts">');
  out.push(...verdicts(r, at));
  out.push('</section>');

  // ---- The end state judged, and what the clients got.
  out.push(...verdictsSection(r, at, chain));
  out.push(...requestsSection(r, at));

  // ---- Why: the cause chains.
  if (r.dataLoss.length > 0) {
    out.push('<h2>Data loss: why</h2>');
    for (const l of r.dataLoss) {
      // A block device has no timeline nor WAL: its loss is writes and bytes of data (lines.ts, as the text).
      out.push(`<h3>${esc(dataLossHead(r, l, at, (iso) => clock.us(iso)).replace(/\.$/, ''))}</h3>`);
      out.push(`<p>${esc(`Recoverable by PITR: ${l.recoverableByPitr ? 'yes' : 'no'}: ${l.pitr}.`)}</p>`);
      out.push(chain(l.cause));
    }
  }
  const stalls = r.stalls.filter((s) => s.chain && s.chain.length > 0);
  if (r.outages.length > 0 || r.stalls.length > 0) {
    out.push('<h2>Write outages and stalls</h2>');
    out.push('<table><thead><tr><th>from</th><th>to</th><th>how long</th><th>what</th><th>where</th><th>why</th></tr></thead><tbody>');
    for (const o of r.outages) out.push(`<tr><td class="t">${esc(at(o.from))}</td><td class="t">${esc(at(o.to))}</td><td class="t">${esc(duration(o.seconds))}</td><td>outage</td><td>${esc(`${o.cluster} ${o.workload}${o.node ? ` → ${o.node}` : ''}`)}</td><td>${causeHtml(o, clock)}${endHtml(o, clock)}</td></tr>`);
    for (const s of r.stalls) {
      const why = (s.chain && s.chain.length > 0 ? esc(s.bottleneck ? `bottleneck ${s.bottleneck}: see below` : 'see the chain below') : causeHtml(s, clock)) + endHtml(s, clock);
      out.push(`<tr><td class="t">${esc(at(s.from))}</td><td class="t">${esc(at(s.to))}</td><td class="t">${esc(duration(s.seconds))}</td><td>${esc(`stall (up to ${duration(s.maxLatencyMs / 1000)})`)}</td><td>${esc(`${s.cluster} ${s.workload}${s.node ? ` on ${s.node}` : ''}`)}</td><td>${why}</td></tr>`);
    }
    out.push('</tbody></table>');
    for (const s of stalls) {
      out.push(`<h3>${esc(`Stall from ${at(s.from)} (${duration(s.seconds)}): the back-pressure path, from its root`)}</h3>`);
      out.push(chain(s.chain!));
    }
  }
  out.push(...shortfallsSection(r, at, chain));
  out.push(...lockWaitsSection(r, at, chain));
  for (const x of r.xid) {
    out.push(`<h2>${esc(`Transaction IDs in ${x.cluster} (PostgreSQL ${x.version}): why`)}</h2>`);
    out.push(...xidFigures(x, at));
    out.push(chain(x.cause));
  }
  out.push(...vacuumsTable(r, clock));
  out.push(...alertsSection(r, at));

  // ---- Pictures.
  const diagrams = branchDiagrams(r, result.history);
  if (diagrams.length > 0) {
    out.push('<h2>Timelines</h2>');
    out.push('<p class="muted">Each timeline is a branch along the WAL, forking from its parent at its switchpoint; a dot is where a node\'s WAL ends. The thick branches are the surviving history; red is the WAL of lost commits.</p>');
    for (const d of diagrams) out.push(`<div class="figure">${d.svg}</div>`);
  }
  out.push('<h2>Charts</h2>');
  out.push(`<div class="figure chart">${renderChartSvg(result)}</div>`);

  // ---- The event log.
  out.push('<h2>What happened</h2>');
  const who = (e: { node: string | null; cluster: string | null }) => e.node ?? e.cluster ?? '';
  const names = [...new Set(r.events.map(who))].filter((n) => n !== '').sort();
  if (names.length > 1) {
    out.push('<p class="filter">Show: ');
    for (const n of names) out.push(`<label><input type="checkbox" data-filter="" value="${esc(n)}" checked="checked"/> ${esc(n)}</label>`);
    out.push('</p>');
  }
  out.push('<table class="events"><thead><tr><th>time</th><th>node</th><th>what happened, and what the server logged</th></tr></thead><tbody>');
  const items = collapseCycles(r.events.filter((e) => e.kind !== 'checkpoint'), (iso) => clock.us(iso));
  let day = clock.day(r.start);
  for (const item of items) {
    const e = item.kind === 'cycle' ? item.pattern[0]! : item.event;
    if (clock.day(e.at) !== day) {
      day = clock.day(e.at);
      out.push(`<tr class="day"><td colspan="3">${esc(clock.dayHeading(e.at))}</td></tr>`);
    }
    const cells = (body: string) => `<tr class="${esc(e.kind)}" data-node="${esc(who(e))}"><td class="t">${esc(clock.time(e.at))}</td><td class="n">${esc(who(e))}</td><td>${body}</td></tr>`;
    if (item.kind === 'cycle') {
      const body = [`<b>${esc(`${item.pattern.length} messages in turn, ${repeatText(item.turns, item.period, item.regular, at(item.last))}:`)}</b>`, '<ol>', ...item.pattern.map((p) => `<li>${factHtml(factFromJson(p.fact))}${logLines(p.log)}</li>`), '</ol>'];
      out.push(cells(body.join('')));
      continue;
    }
    // The repeats as the text words them (lines.ts): the count, the period, the last.
    const rep = e.repeated ? ` <span class="muted">${esc(`(${repeatedText(e.at, e.repeated, clock)})`)}</span>` : '';
    out.push(cells(`${factHtml(factFromJson(e.fact))}${rep}${logLines(e.log)}`));
  }
  out.push('</tbody></table>');

  // ---- Nodes and expectations.
  if (r.nodes.length > 0) {
    out.push('<h2>Nodes at the end</h2>');
    out.push('<table><thead><tr><th>node</th><th>version</th><th>state</th><th>role</th><th>timeline</th><th>WAL written</th><th>flushed</th><th>replayed</th><th>history</th><th>walreceiver</th><th>pg_wal</th></tr></thead><tbody>');
    for (const n of r.nodes) {
      out.push(
        `<tr><td class="n">${esc(n.name)}</td><td>${esc(n.version)}</td><td>${esc(n.state)}</td><td>${esc(n.role)}</td><td>${n.timeline}</td><td>${esc(n.lsn)}</td><td>${esc(n.flushLsn)}</td><td>${esc(n.replayLsn ?? '')}</td><td>${esc(n.history)}</td><td>${esc(n.role === 'standby' ? receiverText(n) : '')}</td><td>${esc(nodeStorage(n).replace(/^pg_wal /, ''))}</td></tr>`,
      );
      // Its replication slots, as pg_replication_slots shows them.
      for (const sl of n.slots ?? []) out.push(`<tr class="slot"><td></td><td colspan="10">${esc(slotLine(sl))}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  out.push(...devicesSection(r));
  out.push(...assessmentsSection(r, at));
  if (r.expectations.length > 0) {
    out.push('<h2>Expectations</h2>');
    out.push('<table><tbody>');
    for (const e of r.expectations) out.push(`<tr><td class="${e.passed ? 'pass' : 'fail'}">${e.passed ? 'PASS' : 'FAIL'}</td><td>${esc(e.name)}</td><td>${esc(e.detail)}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push(`<p class="muted">${esc(`fingerprint ${r.fingerprint} · ${count(r.stats.events)} simulation events`)}</p>`);
  out.push('</main>');
  out.push(`<script>${SCRIPT}</script>`);
  out.push('</body>');
  out.push('</html>');
  return `${out.join('\n')}\n`;
}

/** A server's log lines (a DETAIL or HINT goes on its own line, indented), each line escaped on its own. */
function logLines(log: readonly string[]): string {
  const lines = log.flatMap((l) => l.split('\n')).map((l) => esc(l.replace(/^\t/, '  ')));
  return lines.length === 0 ? '' : `<pre>${lines.join('\n')}</pre>`;
}

/** An outage's or a stall's cause: its fact with markup where its prose is the recorded sentence, else the sentence. */
function causeHtml(x: { readonly cause: string; readonly causeFact?: FactJson }, clock: ReportClock): string {
  return factOrText(x.cause, x.causeFact, clock);
}

/** How an outage or a stall ended (the text's words after "Ended:"), as its cause is shown. */
function endHtml(x: { readonly end?: string; readonly endFact?: FactJson }, clock: ReportClock): string {
  return x.end ? `<div class="ended"><b>${esc(ENDED)}</b> ${factOrText(x.end, x.endFact, clock)}</div>` : '';
}

/** A fact (times ISO) with markup when its prose is `text` (the words the text report shows), else `text`. */
function factOrText(text: string, json: FactJson | undefined, clock: ReportClock): string {
  if (!json) return esc(text);
  const f = factFromJson(json, (iso) => clock.us(iso));
  const time = (t: Micros) => clock.short(clock.iso(t));
  return factText(f, time) === text ? factHtml(f, time) : esc(text);
}

function chainHtml(steps: readonly CauseStepJson[], clock: ReportClock): string {
  return `<ol class="cause">${steps.map((s) => `<li>${stepHtml(s, clock)}${logLines(s.log)}</li>`).join('')}</ol>`;
}

/** A step with its fact's markup where its sentence is exactly the fact's prose, else its sentence. */
function stepHtml(s: CauseStepJson, clock: ReportClock): string {
  if (!s.fact) return esc(s.text);
  const f = factFromJson(s.fact, (iso) => clock.us(iso));
  const time = (t: Micros) => clock.short(clock.iso(t));
  return factText(f, time) === s.text ? factHtml(f, time) : esc(s.text);
}

/** The verdict boxes: data loss, writes, transaction IDs, expectations. */
function verdicts(r: Report, at: (iso: string) => string): string[] {
  const box = (cls: string, head: string, body: string) => `<div class="verdict ${cls}"><b>${esc(head)}</b>${esc(body)}</div>`;
  const out: string[] = [];
  const lost = r.dataLoss.reduce((a, l) => a + l.commits, 0);
  const unit = r.nodes.length > 0 ? 'commit' : 'write';
  out.push(
    r.dataLoss.length > 0
      ? box('bad', 'Data loss', `${counted(lost, `acknowledged ${unit}`)} lost (${r.dataLoss.map((l) => `${l.cluster}: ${l.node}, ${at(l.from)} to ${at(l.to)}`).join('; ')})${pitrClause(r)}.`)
      : box('good', 'Data loss', `no acknowledged ${unit} was lost`),
  );
  // The text summary's Writes line (lines.ts): outages, stalls, and throughput short of the offer.
  const slowed = r.stalls.length > 0 || (r.shortfalls ?? []).length > 0;
  out.push(box(r.outages.length ? 'bad' : slowed ? 'warn' : 'good', 'Writes', writesLine(r)));
  const several = new Set(r.requests.map((x) => x.cluster)).size > 1;
  for (const x of r.requests) {
    const line = requestsLine(x, 'the stall threshold', several);
    if (line) out.push(box(x.failed > 0 ? 'bad' : 'warn', 'Requests', line));
  }
  for (const x of r.xid) {
    const state = x.stopAt ? `writes stopped at ${at(x.stopAt)}` : x.projectedStopAt ? `would stop at ${at(x.projectedStopAt)} at the end's rate` : (x.endAge < x.maxAge ? 'no stop ahead: vacuums bring it back down' : 'not rising at the end');
    out.push(box(x.stopAt ? 'bad' : x.firstWarningAt ? 'warn' : 'good', `Transaction IDs: ${x.cluster}`, `peak age ${count(x.maxAge)} (${percent(x.maxAge / x.stopAge)} of the stop limit); ${state}`));
  }
  const refusals = r.refusals ?? [];
  // The first three, as the text's summary: a loop of refusals would fill the page's head.
  if (refusals.length > 0) out.push(box('bad', 'Refused', refusedLine(r, at)));
  if (r.nodes.length > 0) out.push(box('', r.survivors.length > 1 ? 'Survivors' : 'Survivor', r.survivors.map((s) => `${s.node ?? 'none'}${r.survivors.length > 1 ? ` (${s.cluster})` : ''}`).join(', ')));
  if (r.expectations.length > 0) {
    const failed = r.expectations.filter((e) => !e.passed).length;
    out.push(box(failed ? 'bad' : 'good', 'Expectations', failed ? `${failed} of ${r.expectations.length} FAILED` : `all ${r.expectations.length} hold`));
  }
  return out;
}

/** PITR is PostgreSQL's: the clause covers the clusters' losses, none for a block device's lost writes. */
function pitrClause(r: Report): string {
  const pg = r.dataLoss.filter((l) => r.nodes.some((n) => n.cluster === l.cluster));
  if (pg.length === 0) return '';
  return `; ${pg.every((l) => !l.recoverableByPitr) ? 'PITR cannot bring them back' : 'PITR could bring back some'}`;
}
