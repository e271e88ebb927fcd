/**
 * Pacemaker's own switchover (switchover.ts pacemakerMove): crm resource move / pcs resource move --promoted places
 * a location constraint; the transition demotes the Primary (its application stopped first), then promotes the other
 * node once the demote is done. The promote action (drbd-utils drbd.ocf drbd_promote) runs drbdadm primary and,
 * while it is refused, sleeps a second and tries again: the demotion reaches the peer behind the data it still
 * queued, so the first attempt fails (SS_TWO_PRIMARIES after drbd_set_role's retry) and a later one swaps the roles,
 * where the manual drbdadm steps are refused on a resource Pacemaker manages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';

const PACEMAKER = `  pacemaker:
    nodes: [stor-a, stor-b]
    resources: [data]
    corosync: {version: 3.1, two_node: true}
    stonith:
      ipmi-stor-a: {target: stor-a, site: dc-a}
      ipmi-stor-b: {target: stor-b, site: dc-b}
`;
const TEXT = readFileSync('test/fixtures/drbd-planned-switchover.yaml', 'utf8').replace(/^plan:\n(?: {2}- .*\n)+/m, (plan) => `${PACEMAKER}${plan}`);
const withPlan = (plan: string) => TEXT.replace(/^plan:\n(?: {2}- .*\n)+/m, `plan:\n${plan}`);
const run = (text: string) => runScenario(loadScenarioText(text, 'move.yaml')).report;
const facts = (r: ReturnType<typeof run>, kind: string): Record<string, unknown>[] => r.events.filter((e) => e.fact.kind === kind).map((e) => ({ at: e.at, ...(e.fact as Record<string, unknown>) }));

describe('crm resource move of a DRBD resource Pacemaker manages', () => {
  it('demotes, and promotes the peer once the demotion has arrived behind the queued data: retried by the agent every second', () => {
    const r = run(withPlan('  - {at: "14:00", name: move, move: {resource: data, to: stor-b}}\n'));
    // 8.4: the first drbdadm primary is refused after drbd_set_role's retry (ping-timeout 0.5 s + 0.1 s); the agent
    // sleeps a second and tries again at 14:00:01.6, when the ~8 MiB queue has drained (50 Mbit/s: about 1.3 s).
    expect(facts(r, 'block-role-refused')).toMatchObject([{ at: '2025-03-04T14:00:00.600Z', host: 'stor-b', op: 'primary', why: 'two-primaries' }]);
    expect(facts(r, 'block-roles-switched')).toMatchObject([{ at: '2025-03-04T14:00:01.600Z', primary: 'stor-b', secondary: 'stor-a' }]);
    expect(r.outages).toMatchObject([{ from: '2025-03-04T14:00:00Z', to: '2025-03-04T14:00:01.600Z' }]);
    expect(r.dataLoss).toEqual([]);
    expect(r.devices![0]!.primary).toBe('stor-b');
  });

  it('the manual drbdadm steps are refused on it, and a move of a resource Pacemaker does not manage is refused', () => {
    const manual = run(TEXT);
    expect(facts(manual, 'block-role-refused').map((f) => f.why)).toEqual(['pacemaker', 'pacemaker', 'pacemaker']);
    const unmanaged = run(withPlan('  - {at: "14:00", name: move, move: {resource: data, to: stor-b}}\n').replace(PACEMAKER, ''));
    expect(facts(unmanaged, 'block-role-refused')).toMatchObject([{ op: 'move', why: 'not-managed' }]);
    expect(unmanaged.outages).toEqual([]);
  });
});
