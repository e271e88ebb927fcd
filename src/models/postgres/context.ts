import type { Simulation } from '../../engine/simulation.ts';
import type { RandomStreams } from '../../engine/random.ts';
import type { Micros } from '../../engine/time.ts';
import type { History } from '../../history/history.ts';
import type { Network } from '../network/network.ts';
import type { TimelineRegistry } from './timeline.ts';

/** What every model shares: the kernel, the network, the history it records into. Passed, never global. */
export interface WorldContext {
  readonly sim: Simulation;
  readonly net: Network;
  readonly history: History;
  readonly timelines: TimelineRegistry;
  readonly random: RandomStreams;
  readonly stallThreshold: Micros;
}

/** Event priorities at equal times: actions first, then protocol reactions, then the fluid recomputation. */
export const PRIORITY = {
  action: 10,
  protocol: 50,
  manager: 60,
  checkpoint: 70,
  reflow: 900,
} as const;
