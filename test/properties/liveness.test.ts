/**
 * Property 9 (liveness over long horizons, issue 9): with no fault, every standby keeps streaming for a
 * simulated year, on every version from 9.2 to 18, at write rates from 1/s to 50,000/s of 100 B to 1 MiB
 * commits. Its walreceiver never leaves `streaming`, and at the end it trails its upstream by no more than
 * what is in flight.
 *
 * The cost of a year is two events per checkpoint and server, and checkpoints come with WAL volume
 * (CheckPointSegments). The WAL rate of a case (commits/s x bytes) is kept within a budget (4 MB/s by default,
 * 64 MB/s in the deep run) and within half the link; a case whose WAL would start more than 60,000 checkpoints
 * a year with the version's default gets the larger checkpoint_segments / max_wal_size a server writing that
 * much is given. Both the defaults and those settings are exercised.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { seconds, type Micros } from '../../src/engine/time.ts';
import { checkpointSegments } from '../../src/models/postgres/retention.ts';
import { resolveSettings } from '../../src/models/postgres/settings.ts';
import type { NodeSpec, PgSettingsSpec, Scenario } from '../../src/scenario/types.ts';
import { assertScenarioProperty, nodeSpec, scenarioOf } from '../../src/testing/index.ts';
import { runTwice } from '../support/determinism.ts';
import { cases, DEEP } from '../support/properties.ts';

const YEAR = seconds(365 * 86_400);
const SEG = 16 * 1024 * 1024;
const VERSIONS = [9.2, 9.3, 9.4, 9.5, 9.6, 10, 11, 12, 13, 14, 15, 16, 17, 18];
/** WAL bytes per second at most. */
const BUDGET = DEEP ? 64e6 : 4e6;
/** Checkpoints a year at most (distance-triggered), per server. */
const MAX_CHECKPOINTS = 60_000;

/** Log-uniform over [lo, hi]: as many cases near 1/s as near 50,000/s. */
const logUniform = (lo: number, hi: number) => fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map((x) => Math.exp(x));

const caseArb: fc.Arbitrary<Scenario> = fc
  .record({
    version: fc.constantFrom(...VERSIONS),
    rate: logUniform(1, 50_000),
    walPerTx: logUniform(100, 1024 * 1024),
    cascade: fc.boolean(),
    standbys: fc.integer({ min: 1, max: 2 }),
    bandwidth: fc.constantFrom(125e6, 1.25e9),
    latency: fc.constantFrom(100, 1000, 5000, 20_000),
    fsync: fc.constantFrom(0, 500, 5000),
    sites: fc.boolean(),
    archive: fc.boolean(),
  })
  .map((d): Scenario => {
    // Within the budget and half the link: scale the commit size down first, then the rate.
    const cap = Math.min(BUDGET, d.bandwidth / 2);
    let rate = Math.max(1, Math.round(d.rate));
    let walPerTx = Math.round(d.walPerTx);
    if (rate * walPerTx > cap) walPerTx = Math.max(100, Math.floor(cap / rate));
    if (rate * walPerTx > cap) rate = Math.max(1, Math.floor(cap / walPerTx));
    // A server writing this much WAL is given room for it between checkpoints.
    const settings: PgSettingsSpec = {};
    const perYear = (rate * walPerTx * YEAR) / 1e6;
    const needed = Math.ceil(perYear / (MAX_CHECKPOINTS * SEG));
    if (checkpointSegments(d.version, resolveSettings(d.version, 'p', {})) < needed) {
      Object.assign(settings, d.version < 9.5 ? { checkpointSegments: needed } : { maxWalSize: Math.ceil(needed * 3) * SEG });
    }
    const site = (i: number) => (d.sites && i > 0 ? 'b' : 'a');
    // Archiving (on a coin) changes what the primary keeps, not what it streams.
    const archiving: PgSettingsSpec = d.archive ? { archiveMode: 'on', archiveCommand: 'cp %p /archive/%f' } : {};
    const nodes: NodeSpec[] = [nodeSpec('p', 'a', d.version, null, { ...settings, ...archiving })];
    for (let i = 1; i <= d.standbys; i++) {
      const upstream = d.cascade && i > 1 ? `s${i - 1}` : 'p';
      nodes.push({ ...nodeSpec(`s${i}`, site(i), d.version, upstream, { ...settings, ...(d.archive ? { restoreCommand: 'cp /archive/%f %p' } : {}) }), storage: { walVolume: null, throughput: null, walFsync: d.fsync as Micros } });
    }
    return scenarioOf({
      nodes,
      sites: d.sites ? ['a', 'b'] : ['a'],
      links: d.sites ? [{ between: ['a', 'b'], bandwidth: d.bandwidth, latency: d.latency as Micros }] : [],
      localLatency: (d.sites ? 100 : d.latency) as Micros,
      workloads: [{ name: 'clients', target: 'p', site: 'a', rate, walPerTx, connections: 100 }],
      end: YEAR,
    });
  });

describe('property 9: with no fault every standby keeps streaming for a year', () => {
  it('on every version, from 1 to 50,000 commits/s of 100 B to 1 MiB', () => {
    assertScenarioProperty(
      'standbys keep streaming for a year',
      caseArb,
      (s) => {
        const { report, history } = runTwice(s);
        const left = history.receiverTransitions.filter((t) => t.status !== 'streaming');
        if (left.length > 0) throw new Error(`${left[0]!.node} stopped streaming at +${left[0]!.at / 1e6} s: ${left[0]!.detail}`);
        const w = s.clusters[0]!.workloads[0]!;
        const walRate = w.rate * w.walPerTx;
        for (const n of report.nodes) {
          if (n.role !== 'standby') continue;
          if (n.receiver !== 'streaming') throw new Error(`${n.name} ends ${n.receiver}`);
          const up = report.nodes.find((x) => x.name === n.upstream)!;
          const lag = lsn(up.lsn) - lsn(n.lsn);
          // In flight at most: the rate times a latency and a fsync per hop, plus rounding.
          const bound = walRate * 0.05 * 2 + 2 * w.walPerTx + 1024;
          if (lag > bound) throw new Error(`${n.name} trails ${up.name} by ${lag} bytes at the end (more than ${bound})`);
        }
      },
      { numRuns: cases(4) },
    );
  });
});

function lsn(text: string): number {
  const [hi, lo] = text.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}
