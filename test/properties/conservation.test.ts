/**
 * Property 5: conservation in every run. Per write term, acknowledged commits = surviving + lost, in commits
 * and in WAL bytes, and the report's totals agree with the checker; no WAL level or acknowledgement is ever
 * negative, and acknowledgements never pass what the node has written.
 */
import { describe, it } from 'vitest';
import { ackedCommits, ackedEnd, cutoffFor, findDataLoss, survivingCommits } from '../../src/checkers/dataLoss.ts';
import { txAt } from '../../src/history/history.ts';
import { assertScenarioProperty, scenarioArbitrary } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { allNodes, cases } from '../support/properties.ts';

describe('property 5: conservation', () => {
  it('acknowledged = surviving + lost, in commits and bytes; levels never negative', () => {
    assertScenarioProperty('conservation of commits', scenarioArbitrary({ failover: true, operations: { count: { max: 10 } } }), (s) => {
      const { world, report, history } = runTwice(s, {
        afterEvent: (w) => {
          const now = w.ctx.sim.now;
          for (const n of allNodes(w)) if (!(n.walEnd(now) >= 0)) throw new Error(`${n.name}: negative WAL end at +${now} us`);
          for (const t of w.ctx.history.terms) {
            const c = t.ackCurve;
            for (let i = 1; i < c.length; i++) {
              if (c[i]!.lsn < c[i - 1]!.lsn || c[i]!.at < c[i - 1]!.at) throw new Error(`term ${t.id} of ${t.node}: acknowledgements went back`);
            }
            if (c.at(-1)!.lsn < t.startLsn) throw new Error(`term ${t.id}: acknowledged before its start`);
          }
        },
      });
      const end = s.end;
      let reported = 0;
      for (const c of world.clusters.values()) {
        const sv = c.survivor(end);
        const survivor = sv ? { wal: { node: sv.node.name, timeline: sv.node.wal.timeline, end: sv.node.walEnd(end), diskAvailable: true }, why: sv.why } : null;
        const views = [...c.nodes.values()].map((n) => ({ node: n.name, timeline: n.wal.timeline, end: n.walEnd(end), diskAvailable: true }));
        const lost = findDataLoss(history, c.name, survivor, views, c.spec.walArchive);
        for (const term of history.terms.filter((t) => t.cluster === c.name)) {
          const node = c.node(term.node);
          const acked = ackedCommits(term);
          const surviving = survivingCommits(term, survivor?.wal ?? null);
          const ranges = lost.filter((l) => l.term === term);
          const lostCommits = ranges.reduce((a, l) => a + l.commits, 0);
          if (acked !== surviving + lostCommits) throw new Error(`term ${term.id} of ${term.node}: ${acked} acknowledged != ${surviving} surviving + ${lostCommits} lost`);
          const ackedBytes = ackedEnd(term) - term.startLsn;
          const cutoff = cutoffFor(term, survivor?.wal ?? null);
          const survivingBytes = Math.max(0, Math.min(ackedEnd(term), cutoff) - term.startLsn);
          const lostBytes = ranges.reduce((a, l) => a + l.walBytes, 0);
          if (ranges.length > 0 && Math.abs(ackedBytes - survivingBytes - lostBytes) > 1e-6) {
            throw new Error(`term ${term.id} of ${term.node}: ${ackedBytes} B acknowledged != ${survivingBytes} B surviving + ${lostBytes} B lost`);
          }
          if (ranges.length === 0 && txAt(term, ackedEnd(term)) - txAt(term, Math.max(term.startLsn, Math.min(cutoff, ackedEnd(term)))) >= 1 + 1e-9) {
            throw new Error(`term ${term.id} of ${term.node}: a whole acknowledged commit past the surviving history is not reported lost`);
          }
          if (ackedEnd(term) < 0 || ackedBytes < 0) throw new Error(`term ${term.id}: negative acknowledgement`);
          // What clients were told is committed was written by the node (on the term's timeline), unless a crash
          // lost it before it was flushed (synchronous_commit = off: the term records where its WAL was cut).
          if (node.wal.timeline === term.timeline && term.truncated === undefined && ackedEnd(term) > node.walEnd(end) + 1e-6) {
            throw new Error(`term ${term.id} of ${term.node}: acknowledged ${ackedEnd(term)} beyond the node's WAL ${node.walEnd(end)}`);
          }
        }
        reported += lost.reduce((a, l) => a + l.commits, 0);
      }
      const inReport = report.dataLoss.reduce((a, l) => a + l.commits, 0);
      if (inReport !== reported) throw new Error(`the report loses ${inReport} commits, the checker ${reported}`);
      for (const o of [...report.outages, ...report.stalls]) if (!(o.seconds >= 0)) throw new Error(`negative interval ${JSON.stringify(o)}`);
    }, { numRuns: cases(300) });
  });
});
