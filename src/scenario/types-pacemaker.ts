/**
 * The decoded `block.pacemaker:` section: a Pacemaker/Corosync cluster that manages DRBD resources as
 * promotable clones and fences lost nodes with STONITH devices (src/models/block/pacemaker). Units as in the
 * model: µs; names as Pacemaker and Corosync spell them, in camelCase (pcmk_delay_base → delayBase).
 */
import type { Micros } from '../engine/time.ts';

/** Corosync 2.x and 3.0 default `token` to 1000 ms, 3.1.0 and later to 3000 ms (corosync commit 8221f780). */
export type CorosyncVersion = '2' | '3.0' | '3.1';
export const COROSYNC_VERSIONS: readonly CorosyncVersion[] = ['2', '3.0', '3.1'];

export interface CorosyncSpec {
  readonly version: CorosyncVersion;
  /** totem.token: time without the token before it is declared lost. */
  readonly token: Micros;
  /** totem.token_coefficient: added to token per node beyond two in the nodelist. */
  readonly tokenCoefficient: Micros;
  /** totem.consensus: time to wait for consensus before a new membership round (default 1.2 × token). */
  readonly consensus: Micros;
  /** totem.join: time to wait for join messages; a node that answers joins after it. */
  readonly join: Micros;
  /** votequorum two_node: a two-node cluster is quorate with one vote. */
  readonly twoNode: boolean;
  /** votequorum wait_for_all: quorate for the first time only once every node was seen together (default: on with two_node). */
  readonly waitForAll: boolean;
}

export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore' | 'demote' | 'suicide';

/** A STONITH device: a fence agent that powers one node off (fence_ipmilan against its BMC, a PDU port). */
export interface StonithDeviceSpec {
  readonly name: string;
  /** The node it fences (pcmk_host_list). */
  readonly target: string;
  /** Where the device answers (a BMC on the target's network, a separate management network): a site. */
  readonly site: string;
  /** pcmk_delay_base, pcmk_delay_max: the fencer waits base + a random whole number of seconds up to max (fenced_commands.c). */
  readonly delayBase: Micros;
  readonly delayMax: Micros;
  /** From the agent's request to the target confirmed off (power off and status check). */
  readonly actionTime: Micros;
}

export interface PacemakerSpec {
  /** The cluster's nodes (block hosts; a host without a disk is a quorum node). */
  readonly nodes: readonly string[];
  readonly corosync: CorosyncSpec;
  readonly noQuorumPolicy: NoQuorumPolicy;
  /** fencing-enabled (stonith-enabled before 3.0.2). */
  readonly fencingEnabled: boolean;
  /** fencing-action: reboot (the node comes back after bootTime) or off. */
  readonly fencingAction: 'reboot' | 'off';
  /** fencing-timeout: a fence action without an answer fails after this. */
  readonly fencingTimeout: Micros;
  /** fencing-max-attempts: failed attempts on one target before the cluster stops retrying. */
  readonly fencingMaxAttempts: number;
  /** dc-deadtime: how long a starting node waits for a DC before electing itself. */
  readonly dcDeadtime: Micros;
  /** From power-on to the cluster stack running (firmware, OS, corosync and pacemaker started). */
  readonly bootTime: Micros;
  /** DRBD resources Pacemaker manages as promotable clones (ocf:linbit:drbd). */
  readonly resources: readonly string[];
  readonly devices: readonly StonithDeviceSpec[];
}
