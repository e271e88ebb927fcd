/** The words for why a DRBD connection is down, the split-brain rule that decided, and a block data loss's steps (history/facts/block-why.ts). */
import type { BlockLossStep, CacheLossWhy, ConnReason, Sb0Rule, SbRule } from '../../../history/facts/block-why.ts';
import { duration, size } from '../../format.ts';
import { node, p, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';
import { copiesWhy } from './chains.ts';

const TIE = "; a tie, broken as the handshake's resolve-conflicts flag would (here: by name)";

function sb0(r: Sb0Rule): Token {
  switch (r.kind) {
    case 'disconnect':
      return 'after-sb-0pri disconnect';
    case 'primary-age':
      return p`${r.policy}: ${node(r.host)} ${r.policy === 'discard-younger-primary' ? 'became Primary after the split' : 'was Primary before the split'}`;
    case 'changed-nothing':
      return p`${r.policy}: ${node(r.host)} changed nothing`;
    case 'both-changed':
      return 'after-sb-0pri discard-zero-changes: both changed data';
    case 'changed-less':
      return p`discard-least-changes: ${node(r.host)} changed less`;
    case 'tie':
      return r.why === 'neither-changed' ? `${r.policy}: neither changed anything${TIE}` : `discard-least-changes: equal changes${TIE}`;
  }
}

/** "after-sb-1pri discard-secondary: b is Secondary". */
export function sbRule(r: SbRule): Token {
  if (r.kind === '0pri') return sb0(r.rule);
  const label = `after-sb-${r.primaries}pri ${r.policy}`;
  const h = r.how;
  switch (h.kind) {
    case 'plain':
      return label;
    case 'as-0pri':
      return p`${label}: as after-sb-0pri (${sb0(h.zero)})`;
    case '0pri-decides-nothing':
      return p`${label}: after-sb-0pri decides nothing (${sb0(h.zero)})`;
    case 'is-secondary':
      return p`${label}: ${node(h.host)} is Secondary`;
    case '0pri-agrees':
      return p`${label}: after-sb-0pri agrees (${sb0(h.zero)})`;
    case '0pri-disagrees':
      return p`${label}: after-sb-0pri does not discard the Secondary (${sb0(h.zero)})`;
    case 'cannot-demote':
      return p`${label}: ${node(h.host)} must lose but cannot give up the Primary role (in use): the pri-lost-after-sb handler is called`;
    case 'by-0pri':
      return p`${label}: ${sb0(h.zero)}${h.gaveUp !== null ? p`; ${node(h.gaveUp)} gave up the Primary role` : ''}`;
  }
}

/** An unresolved split brain: the rule, and whether it chose the Primary the application writes to. */
export const sbUnresolved = (rule: SbRule, writerVictim: boolean): Token =>
  writerVictim ? p`${sbRule(rule)}; replsim does not model the Primary the application writes to becoming SyncTarget` : sbRule(rule);

/** Why a DRBD connection is StandAlone or Connecting. */
export function connReason(r: ConnReason): Token {
  switch (r.kind) {
    case 'not-connected-yet':
      return 'not connected yet';
    case 'by-plan':
      return 'disconnected by the plan';
    case 'line-down':
      return 'the line between the sites is down';
    case 'peer-unreachable':
      return 'the peer cannot be reached';
    case 'no-answer':
      return `network failure: no answer within timeout ${duration(r.timeout / 1e6)}`;
    case 'ping-unanswered':
      return `network failure: ping unanswered (ping-int ${duration(r.pingInt / 1e6)} + ping-timeout ${duration(r.pingTimeout / 1e6)})`;
    case 'reconnecting':
      return 'reconnecting';
    case 'split-brain-resolved':
      return 'split brain resolved';
    case 'split-brain':
      return p`split brain: ${sbUnresolved(r.rule, r.writerVictim)}`;
    case 'disk-failed':
      return r.host !== null ? p`${r.disk}, ${node(r.host)}'s disk, failed` : `${r.disk}, the peer's disk, failed`;
    case 'host-lost':
      return p`${node(r.host)} is lost`;
    case 'host-back':
      return p`${node(r.host)} came back`;
    case 'promoted-again':
      return 'promoted again';
    case 'old-still-primary':
      return p`${node(r.host)} is still Primary`;
    case 'old-gone':
      return p`${node(r.host)} is gone`;
    case 'congestion':
      return `congestion: ${size(r.inflight)} in flight ≥ congestion-fill, on-congestion disconnect`;
    case 'walb-overflow':
      return 'WalB ring overflow';
    case 'ko-count':
      return `no progress for ko-count × timeout = ${duration(r.after / 1e6)} (rule 7)`;
    case 'request-timeout':
      return `the peer did not acknowledge a write within ko-count × timeout = ${duration(r.after / 1e6)}: protocol ${r.protocol} writes wait ${duration(r.wait / 1e6)} for it ("Remote failed to finish a request", drbd_req.c request_timer_fn)`;
  }
}

/** A step of a block device's data loss, as the report's cause chain lists it. */
export function blockLossStep(s: BlockLossStep): Token {
  switch (s.kind) {
    case 'loss-send-path':
      return p`${size(s.bytes)} of acknowledged writes were in ${node(s.primary)}'s send path or in ${String(s.peer)}'s socket receive buffer (${s.label} acknowledges before the peer has the data, rule 1)`;
    case 'loss-bitmap-only':
      return p`${size(s.bytes)} of blocks written while the peer was not being replicated to were only marked in the bitmap (${s.conn.kind === 'reason' ? connReason(s.conn.reason) : s.conn.state})`;
    case 'loss-peer-queue':
      return p`${size(s.bytes)} of acknowledged writes were in ${node(s.peer)}'s receive pages (max-buffers), not yet on its disk, when it went down too (protocol ${s.protocol} acknowledges before the peer's disk has them)`;
    case 'loss-volatile-cache':
      return p`${size(s.bytes)} of writes ${s.role === 'primary' ? 'the device had reported complete' : 'the peer had acknowledged'} were only in the volatile write cache of ${node(s.host)}'s disk ${s.disk} when its power was lost (${cacheLossWhy(s.why, s.role)}), and no bitmap marks them`;
    case 'loss-crashed-primary-source':
      return s.peer !== null
        ? p`${node(s.host)}, the crashed Primary, came back as the source of its activity log's resync (drbd_receiver.c drbd_uuid_compare): its older blocks overwrote ${node(s.peer)}'s copy of them`
        : p`${node(s.host)}, the crashed Primary, came back without them and writes on`;
    case 'loss-peer-inconsistent':
      return `${String(s.peer)} was Inconsistent (a resync was running): its data is not a consistent image until the resync ends`;
    case 'loss-nowhere': {
      const nowhere = p`no running host holds every write ${s.resource} acknowledged (${copiesWhy(s.why)})`;
      return s.survivor !== null ? p`${nowhere}: ${node(s.survivor)}'s older copy lacks them` : nowhere;
    }
    case 'loss-no-consistent-image':
      return `no surviving disk has a consistent image of the device (${size(s.size)}): every write acknowledged in the run (${size(s.acked)}) is lost with it`;
    case 'loss-made-primary-without':
      return p`${node(s.host)} was made primary without them: they are not on the surviving device`;
    case 'loss-split-kept-writing':
      return p`${node(s.old)} kept writing after it lost ${node(s.primary)}; ${node(s.primary)} was made primary without those writes`;
    case 'loss-split-resolved':
      return p`at the reconnection the split brain was resolved by ${sbRule(s.rule)}: ${node(s.old)} discards its changes`;
    case 'loss-split-at-end':
      return p`the run ended with ${node(s.old)} and ${node(s.primary)} still apart, both Primary: the application writes to ${node(s.primary)}, and when they meet again DRBD finds a split brain whose resolution discards one side's changes`;
    case 'loss-split-unresolved':
      return p`at the reconnection DRBD found the split brain and left it unresolved (${sbRule(s.rule)}): both stand alone, the application writes to ${node(s.primary)}, and joining them again (drbdadm connect --discard-my-data on ${node(s.old)}) discards ${node(s.old)}'s changes; keeping them instead would discard everything ${node(s.primary)} acknowledged since`;
  }
}

function cacheLossWhy(why: CacheLossWhy, role: 'primary' | 'secondary'): string {
  switch (why) {
    case 'flushes-ignored':
      return 'its controller ignores flushes';
    case 'no-barrier-flush':
      return 'disk-flushes and disk-barrier off: the peer acknowledges an epoch\'s barrier without flushing its disk (drbd_receiver.c drbd_flush_after_epoch)';
    case 'between-al-transactions':
      return 'written since the last activity-log transaction, whose meta-data write flushes the cache (md-flushes)';
    case 'never-flushed':
      return role === 'primary' ? 'nothing flushed it: no activity-log transaction (the writes stay in hot extents, or md-flushes off) and the application issues no flushes' : 'nothing flushed it: md-flushes off or an 8.4 peer, which writes no activity log';
  }
}

export const BLOCK_LOSS: TemplatesOf<BlockLossStep> = {
  'loss-volatile-cache': blockLossStep,
  'loss-crashed-primary-source': blockLossStep,
  'loss-send-path': blockLossStep,
  'loss-bitmap-only': blockLossStep,
  'loss-peer-inconsistent': blockLossStep,
  'loss-peer-queue': blockLossStep,
  'loss-nowhere': blockLossStep,
  'loss-no-consistent-image': blockLossStep,
  'loss-made-primary-without': blockLossStep,
  'loss-split-kept-writing': blockLossStep,
  'loss-split-resolved': blockLossStep,
  'loss-split-unresolved': blockLossStep,
  'loss-split-at-end': blockLossStep,
};
