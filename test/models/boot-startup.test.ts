import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

describe('nodes running at the scenario start pass the startup checks (rule 9, xlogrecovery.c validateRecoveryParameters)', () => {
  it('a numeric recovery_target_timeline without a history file: FATAL at boot, as on a restart', () => {
    const r = runScenario(mackerel({ db002Timeline: { tli: 99 } })).report;
    const db002 = r.nodes.find((n) => n.name === 'db002')!;
    expect(db002.state).toBe('failed');
    expect(r.events.some((e) => e.node === 'db002' && e.log.some((l) => l.includes('FATAL:  recovery target timeline 99 does not exist')))).toBe(true);
    expect(r.events.some((e) => e.node === 'db002' && e.message.startsWith('streaming from'))).toBe(false);
  });

  it('a numeric target naming the timeline the node is on starts and streams as before', () => {
    const r = runScenario(mackerel({ db002Timeline: { tli: 15 } })).report;
    expect(r.nodes.find((n) => n.name === 'db002')!.state).toBe('running');
    expect(r.events.some((e) => e.node === 'db002' && e.message.startsWith('streaming from db001'))).toBe(true);
  });
});
