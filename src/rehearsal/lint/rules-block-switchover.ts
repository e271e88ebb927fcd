/**
 * Lint rule on a planned DRBD switchover (models/block/switchover.ts): `drbdadm primary` on the peer is refused
 * while the demoted Primary's queued writes are still on their way, since its new role travels behind them on
 * the data socket. With protocol A and writes faster than the line, the send buffer is full when the
 * application stops, and draining it takes its size over the line's rate.
 */
import type { Micros } from '../../engine/time.ts';
import { alBound } from '../../models/block/activity-log.ts';
import { tcpCapacity } from '../../models/tcp/connection.ts';
import { duration, rate, size } from '../../report/format.ts';
import type { BlockStep, Finding } from './types.ts';
import { type Rule, at, finding } from './rules-common.ts';
import { workloadsOverTime, writeBytes } from './rules-block.ts';

const SOURCE =
  'drbd-8.4 drbd_nl.c drbd_set_role ("Multiple primaries not allowed by config", one retry after ping-timeout + 0.1 s) and drbd_main.c drbd_send_state (the data socket); drbd-9 conn_send_twopc_request (the data stream); docs/model-drbd.md, planned switchover';

export const drbdPromoteBeforeDrained: Rule = {
  id: 'drbd-promote-before-drained',
  title: 'a planned DRBD switchover whose drbdadm primary comes before the demoted Primary\'s queued writes can have reached the peer',
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      if (rep.kind !== 'drbd' || rep.net.protocol !== 'A' || !r.line) continue;
      const steps = f.block.steps.filter((s): s is Extract<BlockStep, { kind: 'secondary' | 'primary' }> => (s.kind === 'secondary' || s.kind === 'primary') && s.resource === r.spec.name);
      const phases = workloadsOverTime(f.block, r.spec.name);
      let primary = r.spec.primary.host;
      let demotedAt: Micros | null = null;
      for (const st of steps) {
        if (st.kind === 'secondary') {
          if (st.host === primary && demotedAt === null) demotedAt = st.at;
          continue;
        }
        if (st.host === primary || demotedAt === null) {
          if (st.host === primary) demotedAt = null;
          continue;
        }
        // The writes at the demotion: faster than the line, protocol A's send buffer (or what the activity log
        // lets be in flight) is full, and it drains at the line's rate.
        const load = phases.filter((p) => p.at <= demotedAt!).at(-1)?.workloads ?? [];
        const writes = load.reduce((a, w) => a + writeBytes(w), 0);
        const sndbuf = rep.net.sndbufSize;
        const cap = tcpCapacity({ bandwidth: r.line.bandwidth, latency: r.line.latency, sndbuf, rcvbuf: rep.net.rcvbufSize || Number.POSITIVE_INFINITY });
        const queued = writes > cap.rate ? Math.min(sndbuf, alBound(rep.disk, load)) : 0;
        const drain = cap.rate > 0 ? ((queued / cap.rate) * 1e6 + r.line.latency) : 0;
        const grace = rep.net.pingTimeout + (rep.version < 9 ? 100_000 : 0);
        const waited = st.at - demotedAt;
        if (queued > 0 && waited + grace < drain) {
          out.push(
            finding(
              'drbd-promote-before-drained',
              'error',
              st.where,
              `${r.spec.name}: drbdadm primary on ${st.host} at ${at(f, st.at)} is refused: ${primary}, demoted at ${at(f, demotedAt)}, still has about ${size(queued)} queued for it, which takes about ${duration(drain / 1e6)} to arrive`,
              `The application writes ${rate(writes)}, more than the line carries (${rate(cap.rate)}), so protocol A's ${size(sndbuf)} send buffer is full when the application stops. ${primary}'s demotion reaches ${st.host} behind those bytes, and until then ${st.host} still sees a Primary: drbdadm primary fails with "Multiple primaries not allowed by config" after its one retry ${duration(grace / 1e6)} later, and the application stays down until someone promotes again. Wait about ${duration(Math.ceil(drain / 1e6))} after the demotion (or until drbdadm status shows the peer Secondary) before promoting.`,
              SOURCE,
            ),
          );
          continue;
        }
        primary = st.host;
        demotedAt = null;
      }
    }
    return out;
  },
};
