/**
 * lint's logical-cutover: the cut-over of an upgrade by logical replication (rules-logical.ts), each verdict
 * checked against the simulated run (models/logical).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintScenarioText } from '../../src/rehearsal/lint/index.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';

const TEXT = readFileSync('scenarios/logical-upgrade.yaml', 'utf8');
const lintOf = (variant: string | null, sets: string[] = []) => lintScenarioText(TEXT, 'logical-upgrade.yaml', { variant, sets }).filter((f) => f.id === 'logical-cutover');
const runOf = (variant: string | null, sets: string[] = []) => runScenario(loadScenarioText(TEXT, 'logical-upgrade.yaml', { variant, sets })).report;

describe('lint logical-cutover', () => {
  it('a drop before the apply worker caught up: the commits it names are the ones the run loses', () => {
    const found = lintOf(null);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error' });
    expect(found[0]!.message).toContain('about 600,000 commits behind');
    expect(found[0]!.explanation).toContain('caught up at about 11:12');
    expect(runOf(null).dataLoss[0]!.commits).toBe(600_000);
  });

  it('the plan that waits for the catch-up and sets the sequences after the pause: no finding, and the run agrees', () => {
    expect(lintOf('wait-for-catch-up')).toEqual([]);
    const r = runOf('wait-for-catch-up');
    expect(r.dataLoss).toEqual([]);
    expect(r.outages.filter((o) => o.cluster === 'green')).toEqual([]);
  });

  it('a drop one second before the catch-up is still caught, one second after it is not', () => {
    const before = lintOf('wait-for-catch-up', ['plan.drop-subscription.at=11:11:59', 'plan.cut-over.at=11:11:59', 'plan.sync-sequences.at=11:11:59']);
    expect(before[0]!.message).toContain('about 1,000 commits behind');
    expect(runOf('wait-for-catch-up', ['plan.drop-subscription.at=11:11:59', 'plan.cut-over.at=11:11:59', 'plan.sync-sequences.at=11:11:59']).dataLoss[0]!.commits).toBe(1_000);
    expect(lintOf('wait-for-catch-up', ['plan.drop-subscription.at=11:12:01', 'plan.cut-over.at=11:12:01', 'plan.sync-sequences.at=11:12:01'])).toEqual([]);
  });

  it('no setval before the cut-over, or a setval while the publisher still writes: the run has the outage', () => {
    expect(lintOf('no-sequence-sync').map((f) => [f.severity, f.message])).toEqual([['error', 'no setval before the cut-over to green1: its inserts fail with duplicate keys']]);
    expect(runOf('no-sequence-sync').outages.some((o) => o.cluster === 'green')).toBe(true);
    expect(lintOf('sequences-synced-early').map((f) => f.severity)).toEqual(['warning']);
    expect(runOf('sequences-synced-early').outages.some((o) => o.cluster === 'green')).toBe(true);
  });

  it('a column added on the publisher only: the apply stops for good', () => {
    const found = lintOf('column-added-on-blue-only');
    expect(found.map((f) => f.message)).toContain('the column added on blue1 at 10:05:00 is never added on green1: subscription upgrade applies nothing after it');
  });

  it('a cut-over during the initial copy: the table lint names is the one the run loses, and none once the copy is done', () => {
    const copy = readFileSync('scenarios/logical-initial-copy.yaml', 'utf8');
    const lintCopy = (variant: string | null, sets: string[] = []) => lintScenarioText(copy, 'logical-initial-copy.yaml', { variant, sets }).filter((f) => f.id === 'logical-cutover');
    const runCopy = (variant: string | null, sets: string[] = []) => runScenario(loadScenarioText(copy, 'logical-initial-copy.yaml', { variant, sets })).report;
    const found = lintCopy(null);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('orders (300 GiB) is lost whole');
    expect(found[0]!.explanation).toContain('ready at about 10:08');
    expect(runCopy(null).dataLoss.map((l) => l.table?.name)).toEqual(['orders']);
    expect(lintCopy('wait-for-ready')).toEqual([]);
    expect(runCopy('wait-for-ready').dataLoss).toEqual([]);
    // One tablesync worker: orders, then events and customers: the last ready at about 10:34.
    const one = ['clusters.green.nodes.green1.settings.max_sync_workers_per_subscription=1'];
    expect(lintCopy('wait-for-ready', one)[0]!.message).toContain('events (60 GiB), customers (4 GiB) are lost whole');
    expect(runCopy('wait-for-ready', one).dataLoss.map((l) => l.table?.name)).toEqual(['events', 'customers']);
    // Over 200 Mbps each COPY gets its share of the link, more once alone on it: lint and run agree on the instant.
    expect(lintCopy('slow-link')[0]!.explanation).toContain('ready at about 12:28:37.196');
    const late = ['plan.pause-writes.at=13:00', 'plan.cut-over.at=13:01', 'plan.drop-subscription.at=13:02', 'end=14:00'];
    const r = runCopy('slow-link', late);
    expect(r.events.filter((e) => e.fact.kind === 'table-ready').map((e) => e.at).at(-1)).toBe('2025-06-14T12:28:37.196Z');
    expect(lintCopy('slow-link', late)).toEqual([]);
    // statement_timeout on blue1 shorter than orders' COPY: cancelled for ever, and the run never makes it ready.
    const st = ['clusters.blue.nodes.blue1.settings.statement_timeout=30min'];
    expect(lintCopy('wait-for-ready', st).map((f) => f.message)).toEqual([
      'statement_timeout on blue1 (30 min) cancels the COPY of orders (300 GiB): subscription upgrade never copies it',
      "subscription upgrade's initial copy is not done at the cut-over: orders (300 GiB) is lost whole",
    ]);
    expect(runCopy('wait-for-ready', st).dataLoss.map((l) => l.table?.name)).toEqual(['orders']);
  });
});
