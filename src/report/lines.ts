/**
 * The sentences the text report (text.ts) and the HTML page (html/page.ts) share: the summary's Writes line,
 * a throughput shortfall, the transaction-ID figures, a lock wait, an alert, an assessment, a device and a
 * node's storage at the end. One wording for both, so the page says what the text says (test/report/
 * shipped-renders.test.ts compares them section by section). Plain strings: each renderer escapes and styles.
 */
import { count, counted, duration, percent, rate, size } from './format.ts';
import type { ReportClock } from './time.ts';
import type { AlertJson, AssessmentJson, DataLossJson, DeviceJson, LockRequestsJson, LockWaitJson, Report, ShortfallJson, XidJson } from './types.ts';

type At = (iso: string) => string;

/** What a lost unit is: a commit of a PostgreSQL cluster, a write of a replicated block device. */
export function noun(r: Report, cluster: string | null): 'commit' | 'write' {
  const pg = cluster === null ? r.nodes.length > 0 : r.nodes.some((n) => n.cluster === cluster);
  return pg ? 'commit' : 'write';
}

/** A lost range's headline: a block device's loss is writes and bytes of data, a cluster's commits on a timeline and WAL. */
export function dataLossHead(r: Report, l: DataLossJson, at: At, us: (iso: string) => number): string {
  const span = duration((us(l.to) - us(l.from)) / 1e6);
  if (l.table) return `Table ${l.table.name} lost in ${l.cluster}: ${counted(l.table.rows, 'row')}, ${size(l.table.bytes)}, on ${l.node} since ${at(l.from)}, not ready on the new cluster (copied and caught up) at the cut-over at ${at(l.to)}.`;
  return noun(r, l.cluster) === 'write'
    ? `${counted(l.commits, 'write')} lost in ${l.cluster}: acknowledged by ${l.node} from ${at(l.from)} to ${at(l.to)} (${span}), ${size(l.walBytes)} of data.`
    : `${counted(l.commits, 'commit')} lost in ${l.cluster}: acknowledged by ${l.node} on timeline ${l.timeline} from ${at(l.from)} to ${at(l.to)} (${span}), ${size(l.walBytes)} of WAL (${l.fromLsn} to ${l.toLsn}).`;
}

/** The label before how an outage or a stall ended (its `end`), in the text and on the page. */
export const ENDED = 'Ended:';

/** The summary's Writes line: outages, stalls (the longest, how long writes waited), a throughput shortfall. */
export function writesLine(r: Report): string {
  const total = (xs: readonly { seconds: number }[]) => duration(xs.reduce((a, x) => a + x.seconds, 0));
  const longest = (xs: readonly { seconds: number }[]) => duration(Math.max(...xs.map((x) => x.seconds)));
  const outages = r.outages.length === 0 ? 'writes never failed' : `${counted(r.outages.length, 'outage')} (${total(r.outages)} in all${r.outages.length > 1 ? `, the longest ${longest(r.outages)}` : ''})`;
  const stalls = r.stalls.length === 0 ? 'no stall' : `${counted(r.stalls.length, 'stall')} (${total(r.stalls)} in all${r.stalls.length > 1 ? `, the longest ${longest(r.stalls)}` : ''}, ${noun(r, r.stalls[0]!.cluster)}s waited up to ${duration(Math.max(...r.stalls.map((s) => s.maxLatencyMs)) / 1000)})`;
  // A throughput shortfall is no stall, but the application got less than it offered: the headline says so.
  const sf = r.shortfalls ?? [];
  const worst = sf.reduce<ShortfallJson | null>((a, x) => (a === null || x.achieved / x.offered < a.achieved / a.offered ? x : a), null);
  const short = worst === null ? '' : `; throughput short of the offer for ${total(sf)} (at worst ${count(worst.achieved)} writes/s of ${count(worst.offered)}/s, bottleneck ${worst.bottleneck})`;
  return `${outages}; ${stalls}${short}`;
}

/** A shortfall's headline (its chain follows it). */
export function shortfallLine(s: ShortfallJson, at: At): string {
  return `${at(s.from)} to ${at(s.to)} (${duration(s.seconds)}) ${s.cluster}, workload ${s.workload} on ${s.node}: ${count(s.achieved)} writes/s of ${count(s.offered)}/s offered (${percent(s.achieved / s.offered)}), writes waited up to ${duration(s.latencyMs / 1000)}; bottleneck: ${s.bottleneck}${s.chain.length > 0 ? ':' : ''}`;
}

/** A cluster's transaction-ID figures: the ages and limits, the first WARNING, the stop or the projected stop. */
export function xidLines(x: XidJson, at: At): { head: string; warning: string | null; stop: string | null } {
  return {
    head: `${x.cluster} (PostgreSQL ${x.version}): largest age(datfrozenxid) ${count(x.maxAge)} at ${at(x.maxAgeAt)}, ${count(x.endAge)} at the end; warns at ${count(x.warnAge)}, stops at ${count(x.stopAge)}.`,
    warning: x.firstWarningAt ? `First wraparound WARNING at ${at(x.firstWarningAt)}.` : null,
    stop: x.stopAt ? `Writes stopped at ${at(x.stopAt)}.` : x.projectedStopAt ? `At the end's XID rate, writes would stop at ${at(x.projectedStopAt)}.` : null,
  };
}

export function lockWaitLine(w: LockWaitJson, at: At): string {
  return `${at(w.from)} to ${at(w.to)} (${duration(w.seconds)}) ${w.who}: ${w.mode} on ${w.table}, ${w.outcome}`;
}

export function slowQueriesLine(q: LockRequestsJson): string {
  return `${q.workload} on ${q.table}: ${counted(q.failed, 'query', 'queries')} of ${count(q.requests)} failed, ${percent(q.share)} failed or waited longer than the stall threshold`;
}

export function alertLine(a: AlertJson, at: At): string {
  return `alert ${a.name} (${a.metric} above ${count(a.above)}): ${a.firedAt ? `fired at ${at(a.firedAt)}${a.value === null ? '' : ` (${count(a.value)})`}` : 'did not fire'}`;
}

export function assessmentLine(a: AssessmentJson, at: At): string {
  const lost = a.dataLoss.reduce((x, l) => x + l.commits, 0);
  return `assessment at ${at(a.at)} (${a.cluster}): ${a.dataLoss.length === 0 ? 'no loss' : `${counted(lost, 'commit')} would be lost`} against ${a.survivor ?? 'no survivor'}`;
}

/** A device's pair (`primary → peer`) and its state: connection (and why), peer disk, out of sync, hosts down. */
export function deviceState(d: DeviceJson): { pair: string; state: string } {
  const pair = d.secondary === null ? d.primary : `${d.primary} → ${d.secondary}`;
  const state = [
    `${d.connection}${d.reason ? ` (${d.reason})` : ''}`,
    d.secondary === null ? null : `peer disk ${d.peerDisk}`,
    d.outOfSync > 0 ? `${size(d.outOfSync)} out of sync` : null,
    d.hostsDown.length > 0 ? `down: ${d.hostsDown.join(', ')}` : null,
  ].filter((x) => x !== null);
  return { pair, state: state.join(', ') };
}

type NodeJson = Report['nodes'][number];

/** A node's pg_wal size and archiving at the end ("" when the model has none). */
export function nodeStorage(n: NodeJson): string {
  const archiving = n.archive ? `, archived to ${n.archive.archivedLsn}${n.archive.backlogBytes > 0 ? ` (${size(n.archive.backlogBytes)} waiting${n.archive.failing ? ', archive_command failing' : ''})` : ''}` : '';
  return n.pgWalSize !== undefined ? `pg_wal ${size(n.pgWalSize)}${archiving}` : '';
}

/** A replication slot at the end, as pg_replication_slots shows it. */
export function slotLine(sl: NonNullable<NodeJson['slots']>[number]): string {
  const state = [sl.walStatus !== null ? `wal_status ${sl.walStatus}` : null, sl.safeWalSize !== null ? `safe_wal_size ${sl.safeWalSize < 0 ? '-' : ''}${size(Math.abs(sl.safeWalSize))}` : null].filter((x) => x !== null);
  return `slot ${sl.name} (${sl.type}, ${sl.active ? 'active' : 'inactive'}${sl.standby ? `, used by ${sl.standby}` : ''}): restart_lsn ${sl.restartLsn ?? 'NULL (invalidated)'}${state.length ? `, ${state.join(', ')}` : ''}`;
}

/**
 * The vacuums of a minute or more: a heading (why they ran, their mode and speed when all share them) and a
 * row each: when, how long, which table, what it did; a retry loop's runs are one row with their count.
 */
export function vacuumRows(r: Report, clock: ReportClock): { heading: string; rows: { cols: [string, string, string]; text: string }[] } | null {
  const long = r.vacuums.filter((v) => v.seconds >= 60);
  if (long.length === 0) return null;
  const weeks = clock.us(r.end) - clock.us(r.start) > 14 * 86_400e6;
  const when = (iso: string) => (weeks ? clock.minute(iso) : clock.short(iso));
  const how = (v: (typeof long)[number]) => `${v.trigger ? `${v.trigger}, ` : ''}${v.mode}, ${rate(v.mbPerSecond * 1e6)}`;
  const same = new Set(long.map(how)).size === 1;
  // A loop's span goes in its text, not in the duration column (which holds the time spent vacuuming).
  const loop = (v: (typeof long)[number]) => (v.runs ? `${counted(v.runs, 'run')} to ${v.to ? when(v.to) : 'the end'}: ` : '');
  return {
    heading: `Vacuums of a minute or more${same ? ` (${how(long[0]!)})` : ''}:`,
    rows: long.map((v) => ({ cols: [when(v.from), duration(v.seconds), v.table], text: `${same ? '' : `(${how(v)}) `}${loop(v)}${v.result}` })),
  };
}

/** A standby's walreceiver at the end: "streaming from pg1", "waiting, upstream pg1" (not "waiting from pg1"). */
export function receiverText(n: NodeJson): string {
  if (n.upstream === null) return n.receiver;
  return n.receiver === 'streaming' ? `streaming from ${n.upstream}` : `${n.receiver}, upstream ${n.upstream}`;
}

/** The summary's refusals: the first three, then how many more the event log has. */
export function refusedLine(r: Report, at: At): string {
  const refusals = r.refusals ?? [];
  const shown = refusals.slice(0, 3).map((x) => `${at(x.at)} ${x.message}`);
  const more = refusals.length > 3 ? `; and ${count(refusals.length - 3)} more (What happened)` : '';
  return `${shown.join('; ')}${more}`;
}

/**
 * An event's repeats: "59 times, every 5 s, the last at 14:35:00"; a loop whose second time came sooner than
 * the rest (a retry at once, then every interval) says so: "59 times, again at once, then every 5 s, ...".
 */
export function repeatedText(first: string, r: NonNullable<Report['events'][number]['repeated']>, clock: ReportClock): string {
  const t0 = clock.us(first);
  const last = clock.us(r.last);
  const second = r.second !== undefined ? clock.us(r.second) : null;
  const lastText = clock.short(r.last);
  if (second === null || r.count < 3) return repeatText(r.count, (last - t0) / 1e6 / (r.count - 1), true, lastText);
  const rest = (last - second) / 1e6 / (r.count - 2);
  const gap = (second - t0) / 1e6;
  // Within a millisecond: the same period (the grid of a loop is whole microseconds).
  if (Math.abs(gap - rest) <= 1e-3) return repeatText(r.count, rest, true, lastText);
  return `${counted(r.count, 'time')}, again ${gap === 0 ? 'at once' : `after ${duration(gap)}`}, then ${rest > 0 ? `every ${duration(rest)}` : 'at once'}, the last at ${lastText}`;
}

/** "59 times, every 5 s, the last at 14:35:00"; "twice, 7 min apart, the second at 14:37:00". */
export function repeatText(times: number, period: number, regular: boolean, last: string): string {
  if (times === 2) return `twice${Number.isFinite(period) && period > 0 ? `, ${duration(period)} apart` : ''}, the second at ${last}`;
  const every = Number.isFinite(period) && period > 0 ? `, ${regular ? 'every' : 'on average every'} ${duration(period)}` : '';
  return `${counted(times, 'time')}${every}, the last at ${last}`;
}
