/**
 * Lint rule on DRBD over volatile write caches (models/block/write-cache.ts): what a power loss of a node takes
 * that DRBD had already reported complete and will not resync.
 */
import { unflushed } from '../../models/block/write-cache.ts';
import { size } from '../../report/format.ts';
import type { Finding } from './types.ts';
import { type Rule, finding } from './rules-common.ts';
import { busiestPhase } from './rules-block.ts';

export const drbdVolatileCache: Rule = {
  id: 'drbd-volatile-cache',
  title: 'A DRBD peer whose volatile write cache a power loss empties of writes the primary counts as replicated',
  check(f) {
    if (!f.block) return [];
    const out: Finding[] = [];
    for (const r of f.block.resources) {
      const rep = r.spec.replication;
      const disk = r.secondaryDisk;
      if (rep.kind !== 'drbd' || !disk?.writeCache) continue;
      // The busiest phase: the most written between two flushes.
      const u = unflushed(disk.writeCache, 'secondary', rep, busiestPhase(f.block, r.spec.name).workloads, Number.POSITIVE_INFINITY);
      if (!u) continue;
      const how = u.why === 'flushes-ignored' ? `its controller ignores flushes` : u.why === 'no-barrier-flush' ? 'disk-flushes and disk-barrier are off' : 'disk-flushes and disk-barrier are off; only its activity-log transactions (md-flushes) flush it';
      out.push(
        finding(
          'drbd-volatile-cache',
          'warning',
          r.where,
          `${r.spec.name}: ${disk.name} on ${disk.host} has a volatile write cache and ${how}: a power loss of ${disk.host} takes up to ${size(u.bytes)} of writes the primary has released, which no bitmap marks`,
          'The peer acknowledges an epoch\'s barrier once its writes are in the cache; the primary then forgets them. After the power loss they are not resynced: the peer is UpToDate but older in those blocks, and a failover or switchover to it loses them (drbdadm verify would find them). Keep disk-flushes on unless the cache is battery- or flash-backed, and make the controller honour flushes.',
          'drbd_receiver.c drbd_flush_after_epoch, max_allowed_wo; drbd.conf(5) disk-flushes: "use one of the first two" with a volatile cache',
        ),
      );
    }
    return out;
  },
};
