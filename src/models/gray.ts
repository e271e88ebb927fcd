/**
 * Gray failures: faults that degrade without cutting. Packet loss on a link and one-way partitions act on
 * the network (network.ts); a saturated CPU or a degraded disk multiplies a PostgreSQL node's service
 * times, and a disk whose throughput collapses limits its WAL writes (postgres/service.ts, load.ts). Returns what happened, for the event.
 */
import type { GrayFailure } from '../scenario/types-managers.ts';
import type { Network } from './network/network.ts';
import type { PgNode } from './postgres/node.ts';
import { diskThroughput } from './postgres/service.ts';

export function applyGrayFailure(net: Network, node: (name: string) => PgNode, g: GrayFailure): string {
  switch (g.kind) {
    case 'packetLoss':
      net.setLoss(g.sites[0], g.sites[1], g.probability);
      return g.probability > 0 ? `${+(g.probability * 100).toFixed(3)}% of packets between ${g.sites[0]} and ${g.sites[1]} are lost` : `no more packet loss between ${g.sites[0]} and ${g.sites[1]}`;
    case 'oneWayPartition':
      net.cutOneWay(g.from, g.to);
      return `packets from ${g.from} to ${g.to} are dropped (the other way they pass)`;
    case 'healOneWay':
      net.healOneWay(g.from, g.to);
      return `packets from ${g.from} to ${g.to} pass again`;
    case 'stopManager':
      net.isolate(g.process);
      return `${g.process} stops: it answers nobody`;
    case 'startManager':
      net.rejoin(g.process);
      return `${g.process} runs again`;
    case 'slowNode': {
      const n = node(g.node);
      if (g.cpu !== null) n.service.cpu = g.cpu;
      if (g.disk !== null) n.service.disk = g.disk;
      const share = g.diskThroughput ?? null;
      if (share !== null) n.service.throughput = share;
      const parts = [
        g.cpu !== null ? `CPU ${g.cpu === 1 ? 'back to normal' : `saturated (${g.cpu}x service times)`}` : null,
        g.disk !== null ? `disk ${g.disk === 1 ? 'back to normal' : `${g.disk}x slower`}` : null,
        share !== null ? `disk throughput ${share === 1 ? 'back to normal' : `collapsed to ${+(share * 100).toFixed(3)}% (${(diskThroughput(n) / 1e6).toFixed(1)} MB/s)`}` : null,
      ];
      return `${g.node}: ${parts.filter((p) => p !== null).join(', ')}`;
    }
  }
}
