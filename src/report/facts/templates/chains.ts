/** The prose of the block, fence, transaction-ID and lock-queue cause chains' steps (history/facts/chains.ts). */
import type { BlockChainFact, BlockCopy, CopiesWhy, FenceReason, LockChainFact, XidChainFact } from '../../../history/facts/chains.ts';
import { count, counted, duration, perSecond, rate, size } from '../../format.ts';
import { join, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

const hosts = (hs: readonly string[]): Token => join(hs.map(node), ' and ');

/** "b: UpToDate as of what it received, without the last 12 MiB a acknowledged, the host is lost". */
function copy(c: BlockCopy): Token {
  const state = c.state.kind === 'primary' ? 'UpToDate (primary)' : c.state.kind === 'lacks' ? p`UpToDate as of what it received, without the last ${size(c.state.bytes)} ${node(c.state.primary)} acknowledged` : c.state.disk;
  const down = c.down === null ? '' : c.down.kind === 'powered-off' ? ', the host is powered off' : c.down.kind === 'host-lost' ? ', the host is lost' : `, its disk ${c.down.disk} has failed`;
  return p`${node(c.host)}: ${state}${down}`;
}

/** Where a device's newest data is after a change (models/block/copies.ts). */
export function copiesWhy(w: CopiesWhy): Token {
  return w.kind === 'superseded' ? p`${node(w.primary)} was made primary without the writes only ${hosts(w.holders)} held` : join(w.copies.map(copy), '; ');
}

/** Why Pacemaker asked for a node to be fenced. */
export function fenceReason(r: FenceReason): Token {
  return r.kind === 'startup-fencing'
    ? p`${node(r.node)} was not seen since ${node(r.dc)} started (startup-fencing)`
    : p`${node(r.node)} left ${node(r.dc)}'s membership unclean: not heard for ${duration(r.deadTime / 1e6)} (token ${duration(r.tokenTimeout / 1e6)} + consensus ${duration(r.consensus / 1e6)})`;
}

export const BLOCK_CHAINS: TemplatesOf<BlockChainFact> = {
  'block-fault': (f, sub) => p`At ${time(f.at)}: ${sub(f.fault)}.`,
  'newest-data-on': (f) => p`Before, the newest data of ${f.resource} (every write it acknowledged) was on ${hosts(f.hosts)} only (${copiesWhy(f.why)}).`,
  'no-disk-holds': (f) => p`At ${time(f.at)} no running disk holds it: ${copiesWhy(f.why)}.`,
  'writes-lost-for-good': (f) => p`At ${time(f.at)} ${copiesWhy(f.why)}: those writes are lost for good.`,
  'newest-data-back': (f) => p`Until ${time(f.at)}: ${hosts(f.hosts)} runs with it again.`,
  'newest-data-still-lost': () => 'Still so at the end of the run.',
  'fence-silent': (f) => p`At ${time(f.at)} ${node(f.by)} stopped hearing ${node(f.node)} (no totem token came round).`,
  'fence-asked': (f) => p`At ${time(f.at)}: ${fenceReason(f.reason)}; ${node(f.by)}'s partition had quorum and asked for ${node(f.node)} to be fenced.`,
  'fence-ran': (f) => p`The fencer on ${node(f.by)} waited ${duration(f.delay / 1e6)} (pcmk_delay) and ran ${f.device} at ${time(f.startedAt)}: ${node(f.node)} was powered off at ${time(f.at)}.`,
  'block-two-primaries': (f) =>
    p`At ${time(f.at)} ${node(f.newer)} was made Primary of ${f.resource} while ${node(f.older)}, its Primary until then, still ran as Primary: nothing fenced or demoted it, so two Primaries of one device were writable apart (what each writes alone, the other never gets).`,
  'block-split-ended': (f) =>
    f.at === null
      ? p`Still so at the end of the run: ${node(f.older)} is still Primary.`
      : p`It ended at ${time(f.at)}: ${f.how === 'demoted' ? p`${node(f.older)} was made Secondary` : f.how === 'host-down' ? p`${node(f.older)}'s host went down` : p`the split brain was resolved against ${node(f.older)} at the reconnection`}.`,
  'fenced-node-back': (f) => (f.at !== null ? p`${node(f.node)} was running its cluster stack again at ${time(f.at)}.` : p`${node(f.node)} was still down at the end of the run.`),
};

export const XID_CHAINS: TemplatesOf<XidChainFact> = {
  'xid-age-peak': (f) =>
    p`age(datfrozenxid) reached ${count(f.maxAge)} at ${time(f.at)}${f.rate > 0 ? `, climbing with XID consumption (${perSecond(f.rate, 'XIDs')}, ${count(f.rate * 86_400)} a day)` : ''}; it was ${count(f.endAge)} at the end.`,
  'xid-horizon-held': (f) =>
    p`${f.holder} held ${f.hold} at XID ${f.xid} from ${time(f.fromAt)}${f.toAt !== null ? p` to ${time(f.toAt)}` : ' to the end'}${
      f.runs > 0 ? `; ${counted(f.runs, 'vacuum run')} of ${f.tables.join(', ')} meanwhile could not remove what it still sees${f.freezeBlocked ? ' nor freeze past it' : ''}` : ''
    }.`,
  'xid-vacuum-froze': (f) =>
    p`After the holder went away at ${time(f.releasedAt)}, the ${f.mode} vacuum of ${f.table} ran from ${time(f.fromAt)} to ${time(f.toAt)} (${duration((f.toAt - f.fromAt) / 1e6)} at ${rate(f.bytesPerSecond)}) and brought its age(relfrozenxid) from ${count(f.ageBefore)} to ${count(f.ageAfter)}.`,
  'xid-limits': (f) => {
    const warn = f.warningAt !== null ? p`the first WARNING came at ${time(f.warningAt)}` : 'no WARNING was reached';
    const stop = f.stopAt !== null ? p`writes stopped at ${time(f.stopAt)}` : f.projectedStopAt !== null ? p`at the end's XID rate writes would stop at ${time(f.projectedStopAt)}` : 'writes never stopped';
    return p`This version warns at age ${count(f.warnAge)} and stops XID assignment at age ${count(f.stopAge)}: ${warn}; ${stop}.`;
  },
};

export const LOCK_CHAINS: TemplatesOf<LockChainFact> = {
  'lock-party': (f) => p`${f.who} ${f.waiting ? 'waited for' : 'held'} ${f.mode} on ${f.table} from ${time(f.fromAt)}`,
  'lock-queued': (f) =>
    p`the queries of ${f.workload} on ${f.table} queued behind them from ${time(f.fromAt)}: ${count(f.arrived)} arrived, ${count(f.failed)} failed, ${count(f.slow)} served after waiting longer than the stall threshold`,
};
