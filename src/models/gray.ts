/**
 * Gray failures: faults that degrade without cutting. Packet loss on a link and one-way partitions act on
 * the network (network.ts); a saturated CPU or a degraded disk multiplies a PostgreSQL node's service
 * times, and a disk whose throughput collapses limits its WAL writes (postgres/service.ts, load.ts). The
 * report says what happened (report/facts/templates/world.ts).
 */
import type { GrayFailure } from '../scenario/types-managers.ts';
import type { Network } from './network/network.ts';
import type { PgNode } from './postgres/node.ts';
import { diskThroughput } from './postgres/service.ts';

export function applyGrayFailure(net: Network, node: (name: string) => PgNode, g: GrayFailure): void {
  switch (g.kind) {
    case 'packetLoss':
      net.setLoss(g.sites[0], g.sites[1], g.probability);
      return;
    case 'oneWayPartition':
      net.cutOneWay(g.from, g.to);
      return;
    case 'healOneWay':
      net.healOneWay(g.from, g.to);
      return;
    case 'stopManager':
      net.isolate(g.process);
      return;
    case 'startManager':
      net.rejoin(g.process);
      return;
    case 'slowNode': {
      const n = node(g.node);
      if (g.cpu !== null) n.service.cpu = g.cpu;
      if (g.disk !== null) n.service.disk = g.disk;
      if (g.diskThroughput != null) n.service.throughput = g.diskThroughput;
      return;
    }
  }
}
