/**
 * drbdadm primary on a SyncTarget whose peer is UpToDate and connected: DRBD accepts it (8.4 drbd_state.c
 * is_valid_state refuses SS_NO_UP_TO_DATE_DISK only when neither the disk nor the peer's is UpToDate; 9
 * drbd_data_accessible: a connected UpToDate peer gives access), its reads of the blocks not yet resynced going
 * to the peer. replsim has no Primary SyncTarget; before, it refused with DRBD's "Need access to UpToDate data",
 * which DRBD would not say there. It still says that where DRBD does (the peer gone: no UpToDate data anywhere).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../src/run.ts';
import { loadScenarioText } from '../../../src/scenario/load.ts';
import { drbdScenario } from './fixture.ts';

const run = (plan: string[]) => runScenario(loadScenarioText(drbdScenario({ protocol: 'C', duration: '10m', resyncRate: '100MB/s', extraPlan: plan }).replace('version: 8.4', 'version: 9.2'), 'fixture.yaml')).report;

describe('a switchover to the SyncTarget during a resync', () => {
  it('is reported as not modelled, not as DRBD\'s refusal', () => {
    const r = run(['{ at: +1m, disconnect: r0 }', '{ at: +5m, connect: r0 }', '{ at: +5m10s, secondary: { resource: r0, host: p } }', '{ at: +5m10s, primary: { resource: r0, host: s } }']);
    const refused = r.events.filter((e) => /drbdadm primary r0 on s/.test(e.message) && /refused|not modelled/.test(e.message));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toMatch(/not modelled: DRBD would make this SyncTarget Primary/);
    expect(refused[0]!.message).not.toMatch(/Need access to UpToDate data/);
  });
  it('an Inconsistent node cut off from its SyncSource is refused as DRBD does', () => {
    const r = run(['{ at: +1m, disconnect: r0 }', '{ at: +5m, connect: r0 }', '{ at: +5m5s, disconnect: r0 }', '{ at: +5m10s, secondary: { resource: r0, host: p } }', '{ at: +5m10s, primary: { resource: r0, host: s } }']);
    expect(r.events.some((e) => /drbdadm primary r0 on s refused: State change failed: \(-2\) Need access to UpToDate data/.test(e.message))).toBe(true);
  });
});
