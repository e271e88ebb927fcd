/** `verdict`, `no_verdict` and `recovered` expectations, evaluated against the report's verdicts. */
import { count, duration, percentExact } from '../report/format.ts';
import type { ExpectationJson, Report } from '../report/types.ts';
import type { Bounds } from '../scenario/types.ts';
import type { VerdictExpectation } from '../scenario/types-managers.ts';

function within(b: Bounds, v: number): boolean {
  return (b.atLeast === null || v >= b.atLeast) && (b.atMost === null || v <= b.atMost);
}

/** `time` writes a report instant as the rest of the report does (the scenario's zone, its day omitted when it is the start's). */
export function evaluateVerdictExpectation(e: VerdictExpectation & { readonly name: string }, r: Pick<Report, 'verdicts' | 'recovery' | 'requests'>, time: (iso: string) => string = (iso) => iso): ExpectationJson {
  const found = (xs: Report['verdicts']) => xs.map((v) => `${v.kind} in ${v.cluster}${v.node ? ` (${v.node})` : ''} ${time(v.from)}–${v.to === null ? 'end' : time(v.to)} (${duration(v.seconds)})`).join('; ');
  switch (e.kind) {
    case 'verdict': {
      const matching = r.verdicts.filter((v) => v.kind === e.verdict && (e.cluster === null || v.cluster === e.cluster) && (e.node === null || v.node === e.node));
      const ok = matching.filter((v) => within(e.seconds, v.seconds) && (e.openAtEnd === null || (v.to === null) === e.openAtEnd));
      if (ok.length > 0) return { name: e.name, passed: true, detail: found(ok) };
      return { name: e.name, passed: false, detail: matching.length === 0 ? `no ${e.verdict} verdict${r.verdicts.length ? ` (verdicts: ${found(r.verdicts)})` : ''}` : `none as expected: ${found(matching)}` };
    }
    case 'noVerdict': {
      const matching = r.verdicts.filter((v) => v.kind === e.verdict && (e.cluster === null || v.cluster === e.cluster) && (e.node === null || v.node === e.node));
      return { name: e.name, passed: matching.length === 0, detail: matching.length === 0 ? `no ${e.verdict} verdict` : found(matching) };
    }
    case 'recovered': {
      const rs = r.recovery.filter((x) => e.cluster === null || x.cluster === e.cluster);
      const problems = rs.filter((x) => x.to === null || (e.within !== null && x.seconds! > e.within / 1e6));
      const text = rs.map((x) => (x.to === null ? `${x.cluster}: not recovered (from ${x.from})` : `${x.cluster}: ${duration(x.seconds!)} (${x.from}–${x.to})`)).join('; ');
      return { name: e.name, passed: problems.length === 0, detail: rs.length === 0 ? 'no verdict: nothing to recover from' : text };
    }
    case 'requests': {
      const ws = r.requests.filter((x) => (e.cluster === null || x.cluster === e.cluster) && (e.workload === null || x.workload === e.workload));
      if (ws.length === 0) return { name: e.name, passed: false, detail: 'no such workload offered requests' };
      const problems: string[] = [];
      const texts = ws.map((w) => {
        const shares = { succeeded: w.succeeded / w.offered, waited: w.waited / w.offered, failed: w.failed / w.offered };
        for (const k of ['succeeded', 'waited', 'failed'] as const) {
          const b = e[k];
          if (b && !within(b, shares[k])) problems.push(`${w.workload}: ${percentExact(shares[k])} ${k}`);
        }
        return `${w.workload}: ${percentExact(shares.succeeded)} succeeded, ${percentExact(shares.waited)} waited, ${percentExact(shares.failed)} failed of ${count(w.offered)} requests`;
      });
      return { name: e.name, passed: problems.length === 0, detail: problems.length === 0 ? texts.join('; ') : `${problems.join('; ')} (${texts.join('; ')})` };
    }
  }
}
