/** The prose of Pacemaker/Corosync facts (history/facts/pacemaker.ts). */
import type { PacemakerFact, PowerOffCause, PowerOnCause, ResumeCause } from '../../../history/facts/pacemaker.ts';
import { duration, size } from '../../format.ts';
import { node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

const powerOn = (c: PowerOnCause): string => (c.kind === 'plan' ? 'the plan' : `fencing-action reboot by ${c.device}`);
const powerOff = (c: PowerOffCause, host: string): string => (c.kind === 'fenced' ? `fenced by ${c.by} with ${c.device}` : `no-quorum-policy suicide: ${host}'s partition has no quorum`);
const quorate = (q: boolean): string => (q ? 'quorate' : 'not quorate');

function resumed(c: ResumeCause, resource: string, host: string): Token {
  return c.kind === 'dc' ? p`the DC ${node(c.dc)} promotes ${resource} on ${node(host)}, which holds its newest data` : p`${node(host)} is made Primary again`;
}

export const PACEMAKER: TemplatesOf<PacemakerFact> = {
  'power-on': (f) => p`${node(f.host)} powers on (${powerOn(f.cause)}); it boots and starts corosync and pacemaker in ${duration(f.bootTime / 1e6)}`,
  'node-up': (f) => p`${node(f.host)} is up: corosync and pacemaker started${f.waitForAll ? '; wait_for_all: not quorate until it has seen every node' : ''}`,
  'powered-off': (f) => p`${node(f.host)} is powered off (${powerOff(f.cause, f.host)})`,
  membership: (f) =>
    f.lost.length > 0
      ? p`corosync on ${node(f.node)}: ${f.lost.join(', ')} lost (no token for ${duration(f.tokenTimeout / 1e6)}, then consensus ${duration(f.consensus / 1e6)}); membership now ${f.members.join(', ')}; ${quorate(f.quorate)}`
      : p`corosync on ${node(f.node)}: ${f.joined.join(', ')} joined; membership now ${f.members.join(', ')}; ${quorate(f.quorate)}`,
  'fencing-disabled': (f) => p`${node(f.dc)}: ${node(f.lost)} is lost and fencing is disabled: assumed stopped`,
  'no-quorum': (f) => p`${node(f.node)}'s partition (${f.members.join(', ')}) has no quorum: no-quorum-policy ${f.policy}`,
  'cannot-promote': (f) =>
    f.why === 'fence-constraint'
      ? p`${node(f.dc)}: ${f.resource} cannot be promoted on ${node(f.host)}: the crm-fence-peer constraint excludes it (Outdated)`
      : p`${node(f.dc)}: ${f.resource} cannot be promoted on ${node(f.host)}: its disk is ${f.why}`,
  'dc-promotes': (f) => p`the DC ${node(f.dc)} promotes ${f.resource} on ${node(f.host)}: ${node(f.old)} is ${f.oldFate}`,
  'fence-request': (f) =>
    p`fencer on ${node(f.by)}: reboot of ${node(f.target)} with ${f.device} (attempt ${f.attempt}${f.delay > 0 ? `, delayed ${duration(f.delay / 1e6)} by pcmk_delay_base ${duration(f.delayBase / 1e6)}${f.delayMax > 0 ? ` / pcmk_delay_max ${duration(f.delayMax / 1e6)}` : ''}` : ''})`,
  'fence-confirmed': (f) => p`fencer on ${node(f.by)}: ${node(f.target)} fenced with ${f.device} (${f.action})`,
  'fence-failed': (f) =>
    p`fencer on ${node(f.by)}: fencing ${node(f.target)} failed: ${f.why.kind === 'no-device' ? `no fence device targets ${f.target}` : `${f.why.device} at ${f.why.site} cannot be reached from ${f.by}: no answer within fencing-timeout ${duration(f.why.timeout / 1e6)}`}${f.maxAttempts !== null ? `; no more attempts (fencing-max-attempts ${f.maxAttempts}): ${f.target}'s resources stay where they are until an operator confirms it down` : '; retried'}`,
  'crm-fence-peer': (f) => p`${f.resource}: crm-fence-peer.9.sh on ${node(f.host)} polls the DC until ${f.peer ?? 'the peer'} is reachable again or fenced (--timeout ${duration(f.timeout / 1e6)})`,
  'fence-peer-exit': (f) => {
    const peer = f.peer ?? 'the peer';
    const why =
      f.exit.why === 'reachable'
        ? `${peer} is reachable: constraint placed, ${peer} may not be promoted until it has resynced`
        : f.exit.why === 'fenced'
          ? `${peer} was fenced (STONITH)`
          : `--timeout ${duration(f.exit.timeout / 1e6)} passed with ${peer} still unclean; the disk is UpToDate: constraint placed anyway`;
    return p`${f.resource}: fence-peer handler exited ${f.exit.code} (${why}): ${f.peer !== null ? node(f.peer) : 'the peer'} is Outdated${f.resumed ? '; I/O resumed' : ''}`;
  },
  'diskless-master-score': (f) =>
    p`${f.resource}: drbd.ocf's monitor on the Diskless ${node(f.host)} sets its master score to ${String(f.score)} ("only remote access to UpToDate data"), below ${node(f.peer)}'s ${String(f.peerScore)}: the cluster moves the Promoted role to ${node(f.peer)}`,
  'host-back-primary': (f) => p`${f.resource}: ${node(f.host)} is back; DRBD Secondary${f.managed ? ', until Pacemaker promotes it' : ''}`,
  'crashed-primary-sync-target': (f) =>
    p`${f.resource}: ${node(f.host)} crashed as Primary and ${node(f.peer)} stayed up: with protocol C, DRBD 9 resyncs the crashed node's activity log (${size(f.bytes)}) from ${node(f.peer)} (${f.rule}); ${node(f.host)} is Inconsistent until it ends, so the UpToDate ${node(f.peer)} is the node to promote`,
  'host-back-peer': (f) =>
    f.diverged !== undefined
      ? p`${f.resource}: ${node(f.host)} is back, DRBD Secondary with ${size(f.diverged)} it wrote alone before it went down; ${node(f.primary)} wrote ${size(f.outOfSync)} since its promotion: a split brain for the handshake`
      : f.current
        ? p`${f.resource}: ${node(f.host)} is back, DRBD Secondary with every write ${node(f.primary)} acknowledged (it was UpToDate when both went down); ${size(f.outOfSync)} out of sync to resync from ${node(f.primary)}`
        : p`${f.resource}: ${node(f.host)} is back, DRBD Secondary and Outdated; ${size(f.outOfSync)} out of sync to resync from ${node(f.primary)}`,
  'promoted-again': (f) =>
    f.first
      ? p`${f.resource}: ${f.cause.kind === 'dc' ? p`the DC ${node(f.cause.dc)} promotes ${f.resource} on ${node(f.host)}, which holds its newest data` : p`${node(f.host)} is made Primary`}; the application writes to ${node(f.host)}`
      : p`${f.resource}: ${resumed(f.cause, f.resource, f.host)}; the application writes to ${node(f.host)} again`,
  'demoted-no-quorum': (f) => p`${f.resource}: no-quorum-policy ${f.policy}: ${node(f.host)}'s partition has no quorum: DRBD demoted on ${node(f.host)}, the application's writes fail`,
};
