/** `expect:` assertions of a scenario, evaluated against the report; any failure makes the run exit 1. */
import type { Micros } from '../engine/time.ts';
import { count, counted, duration } from '../report/format.ts';
import type { Clock } from '../report/time.ts';
import type { ExpectationJson, Report } from '../report/types.ts';
import type { Bounds, Scenario } from '../scenario/types.ts';
import { evaluateLockExpectation } from './locks.ts';
import { evaluateVerdictExpectation } from './expect-verdicts.ts';

type Partial = Omit<Report, 'expectations'>;

function within(b: Bounds, v: number): boolean {
  return (b.atLeast === null || v >= b.atLeast) && (b.atMost === null || v <= b.atMost);
}

/** "between 2 and 4 stalls", "exactly 1 stall", "at most 30 s": `one` is the noun of one, or 's' for seconds. */
function boundsText(b: Bounds, one: string): string {
  const n = (v: number) => (one === 's' ? duration(v) : counted(v, one));
  if (b.atLeast !== null && b.atMost !== null) return b.atLeast === b.atMost ? `exactly ${n(b.atLeast)}` : `between ${n(b.atLeast)} and ${n(b.atMost)}`;
  if (b.atLeast !== null) return `at least ${n(b.atLeast)}`;
  if (b.atMost !== null) return `at most ${n(b.atMost)}`;
  return one === 's' ? 'any time' : `any number of ${one}s`;
}

/** A PostgreSQL cluster loses commits, a replicated block device writes (as the text report says). */
function lostNoun(r: Partial, clusters: readonly string[]): string {
  // None named: a run of block devices only (no PostgreSQL node) loses writes.
  if (clusters.length === 0) return r.nodes.length > 0 ? 'acknowledged commit' : 'acknowledged write';
  return clusters.some((c) => r.nodes.some((n) => n.cluster === c)) ? 'acknowledged commit' : 'acknowledged write';
}

export function evaluateExpectations(scenario: Scenario, r: Partial, clock: Clock): ExpectationJson[] {
  const toMicros = (iso: string): Micros => Math.round((Date.parse(iso) - scenario.startEpochMs) * 1000) as Micros;
  const inCluster = <T extends { cluster: string }>(xs: readonly T[], cluster: string | null) => xs.filter((x) => cluster === null || x.cluster === cluster);
  return scenario.expectations.map((e): ExpectationJson => {
    switch (e.kind) {
      case 'noDataLoss': {
        const lost = inCluster(r.dataLoss, e.cluster);
        const n = lost.reduce((a, l) => a + l.commits, 0);
        // Tables an upgrade's cut-over loses whole (not ready: checkers/logical-loss.ts) are named, not counted as ranges.
        const tables = lost.flatMap((l) => (l.table ? [l.table.name] : []));
        const ranges = lost.length - tables.length;
        const found = [ranges > 0 ? `${counted(n, lostNoun(r, lost.map((l) => l.cluster)))} lost in ${counted(ranges, 'range')}` : '', tables.length > 0 ? `${tables.length === 1 ? 'table' : 'tables'} ${tables.join(', ')} lost whole` : ''].filter((x) => x);
        return { name: e.name, passed: lost.length === 0, detail: lost.length === 0 ? `no ${lostNoun(r, e.cluster === null ? [] : [e.cluster])} was lost` : found.join('; ') };
      }
      case 'dataLoss': {
        let lost = inCluster(r.dataLoss, e.cluster);
        if (e.timeline !== null) lost = lost.filter((l) => l.timeline === e.timeline);
        const n = lost.reduce((a, l) => a + l.commits, 0);
        const problems: string[] = [];
        if (lost.length === 0) problems.push('no data loss found');
        if (e.window) {
          const lo = e.window.from - e.window.tolerance;
          const hi = e.window.to + e.window.tolerance;
          for (const l of lost) {
            if (toMicros(l.from) < lo || toMicros(l.to) > hi) problems.push(`range ${clock.short(toMicros(l.from))}–${clock.short(toMicros(l.to))} is outside ${clock.short(e.window.from)}–${clock.short(e.window.to)} ± ${e.window.tolerance / 1e6} s`);
          }
          const first = Math.min(...lost.map((l) => toMicros(l.from)));
          const last = Math.max(...lost.map((l) => toMicros(l.to)));
          if (lost.length > 0 && (first > e.window.from + e.window.tolerance || last < e.window.to - e.window.tolerance)) {
            problems.push(`loss spans ${clock.short(first as Micros)}–${clock.short(last as Micros)}, not the whole window ${clock.short(e.window.from)}–${clock.short(e.window.to)} ± ${e.window.tolerance / 1e6} s`);
          }
        }
        if (!within(e.commits, n)) problems.push(`${count(n)} commits lost, expected ${boundsText(e.commits, 'commit')}`);
        if (e.recoverableByPitr !== null && lost.some((l) => l.recoverableByPitr !== e.recoverableByPitr)) {
          problems.push(`expected recoverable by PITR = ${e.recoverableByPitr}`);
        }
        const found = lost.map((l) => (l.table ? `table ${l.table.name} lost whole (${count(l.table.rows)} rows)` : `${count(l.commits)} commits on timeline ${l.timeline} ${clock.short(toMicros(l.from))}–${clock.short(toMicros(l.to))}`)).join('; ');
        return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? found : `${problems.join('; ')}${found ? ` (found: ${found})` : ''}` };
      }
      case 'noOutage': {
        const o = inCluster(r.outages, e.cluster);
        return { name: e.name, passed: o.length === 0, detail: o.length === 0 ? 'writes never failed' : `${counted(o.length, 'outage')}, ${duration(o.reduce((a, x) => a + x.seconds, 0))} in all` };
      }
      case 'outage': {
        const o = inCluster(r.outages, e.cluster);
        const total = o.reduce((a, x) => a + x.seconds, 0);
        const ok = o.length > 0 && within(e.seconds, total);
        return { name: e.name, passed: ok, detail: `${counted(o.length, 'outage')}, ${duration(total)} in all; expected ${boundsText(e.seconds, 's')}` };
      }
      case 'stalls': {
        const s = inCluster(r.stalls, e.cluster).filter((x) => e.bottleneck === null || x.bottleneck === e.bottleneck);
        const total = s.reduce((a, x) => a + x.seconds, 0);
        const ok = within(e.count, s.length) && within(e.seconds, total);
        const wanted = [e.count.atLeast !== null || e.count.atMost !== null ? boundsText(e.count, 'stall') : null, e.seconds.atLeast !== null || e.seconds.atMost !== null ? boundsText(e.seconds, 's') : null];
        return { name: e.name, passed: ok, detail: `${counted(s.length, 'stall')}, ${duration(total)} in all${ok ? '' : `; expected ${wanted.filter((w) => w !== null).join(', ')}`}` };
      }
      case 'fenced': {
        const f = r.verdicts.filter((v) => v.kind === 'fenced' && (e.node === null || v.node === e.node));
        const ok = within(e.count, f.length);
        const found = f.map((v) => `${v.node} at ${clock.short(toMicros(v.from))}`).join(', ');
        return { name: e.name, passed: ok, detail: `${f.length === 0 ? `${e.node ?? 'no node'} never fenced` : `fenced: ${found}`}${ok ? '' : `; expected ${boundsText(e.count, 'fence')}`}` };
      }
      case 'noStall': {
        const s = inCluster(r.stalls, e.cluster);
        return { name: e.name, passed: s.length === 0, detail: s.length === 0 ? 'no write stall' : `${counted(s.length, 'stall')}, ${duration(s.reduce((a, x) => a + x.seconds, 0))} in all` };
      }
      case 'xid': {
        const xs = inCluster(r.xid, e.cluster);
        if (xs.length === 0) return { name: e.name, passed: false, detail: 'no cluster models transaction IDs (give it databases:)' };
        const problems: string[] = [];
        for (const x of xs) {
          if (!within(e.maxAge, x.maxAge)) problems.push(`${x.cluster}: largest age ${count(x.maxAge)}, expected ${boundsText(e.maxAge, 'XID')}`);
          if (!within(e.endAge, x.endAge)) problems.push(`${x.cluster}: age at the end ${count(x.endAge)}, expected ${boundsText(e.endAge, 'XID')}`);
          if (e.stopped !== null && (x.stopAt !== null) !== e.stopped) problems.push(`${x.cluster}: writes ${x.stopAt ? `stopped at ${clock.short(toMicros(x.stopAt))}` : 'never stopped'}`);
        }
        const found = xs.map((x) => `${x.cluster}: largest age ${count(x.maxAge)} at ${clock.short(toMicros(x.maxAgeAt))}, ${count(x.endAge)} at the end${x.stopAt ? `, writes stopped at ${clock.short(toMicros(x.stopAt))}` : ''}`).join('; ');
        return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? found : problems.join('; ') };
      }
      case 'alert': {
        const a = r.alerts.find((x) => x.name === e.alert);
        if (!a) return { name: e.name, passed: false, detail: `no alert rule named ${e.alert}` };
        const fired = a.firedAt !== null;
        const problems: string[] = [];
        if (fired !== e.fired) problems.push(fired ? `it fired at ${clock.short(toMicros(a.firedAt))}` : 'it never fired');
        if (e.window && a.firedAt !== null) {
          const t = toMicros(a.firedAt);
          if (t < e.window.from || t > e.window.to) problems.push(`it fired at ${clock.short(toMicros(a.firedAt))}, outside ${clock.short(e.window.from)}–${clock.short(e.window.to)}`);
        }
        return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? (fired ? `fired at ${clock.short(toMicros(a.firedAt!))}` : 'did not fire') : problems.join('; ') };
      }
      case 'lockWait':
      case 'lockQueue':
        return evaluateLockExpectation(e, r);
      case 'verdict':
      case 'noVerdict':
      case 'recovered':
      case 'requests':
        return evaluateVerdictExpectation(e, r, (iso) => clock.short(toMicros(iso)));
      case 'nodeState': {
        const n = r.nodes.find((x) => x.name === e.node);
        if (!n) return { name: e.name, passed: false, detail: `no node ${e.node}` };
        const problems: string[] = [];
        if (e.timeline !== null && n.timeline !== e.timeline) problems.push(`timeline ${n.timeline}, expected ${e.timeline}`);
        if (e.role !== null && n.role !== e.role) problems.push(`role ${n.role}, expected ${e.role}`);
        if (e.receiver !== null && n.receiver !== e.receiver) problems.push(`walreceiver ${n.receiver}, expected ${e.receiver}`);
        return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? `${n.name}: ${n.role} on timeline ${n.timeline}, walreceiver ${n.receiver}` : problems.join('; ') };
      }
    }
  });
}
