/** The prose of the cause chains' steps (history/facts/steps.ts): one sentence each, ending in a full stop. */
import type { PromotionCause } from '../../../history/history.ts';
import type { StepFact, SurvivorWhy, TimelineChain } from '../../../history/facts/steps.ts';
import type { Fact } from '../../../history/facts/index.ts';
import { count, size } from '../../format.ts';
import { join, lsn, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

/** "2 (until 0/3000000) → 3", oldest first. */
const chain = (t: TimelineChain): Token => join([...t].reverse().map((e) => (e.endLsn === null ? `${e.timeline}` : p`${e.timeline} (until ${lsn(e.endLsn)})`)), ' → ');

export function survivorWhy(node: string, why: SurvivorWhy): string {
  return why === 'routed' ? `${node} is the primary writes are routed to at the end` : `${node} is the running primary on the newest timeline at the end`;
}

const promotedBy = (by: PromotionCause, sub: (f: Fact) => Token): Token => (by.kind === 'plan' ? 'by the plan' : p`by the failover manager (policy ${by.policy}: ${sub(by.why)})`);

export const STEPS: TemplatesOf<StepFact> = {
  'loss-acknowledged': (f) =>
    p`${count(f.commits)} commits were acknowledged to clients by ${node(f.node)} on timeline ${f.timeline} between ${time(f.fromAt)} and ${time(f.toAt)} (LSN ${lsn(f.fromLsn)} to ${lsn(f.toLsn)}, ${size(f.walBytes)} of WAL).`,
  'loss-released': (f) =>
    f.how === 'restart'
      ? p`${count(f.commits)} of them were still waiting on ${node(f.node)} for the synchronous standbys' confirmation when it went down, their backends ending with it and their clients told nothing; at ${time(f.at)} ${node(f.node)} started again as a primary with them in its WAL, and from then on every session saw them: committed and flushed on ${node(f.node)} only, never confirmed by a synchronous standby.`
      : p`${count(f.commits)} of them were waiting on ${node(f.node)} for the synchronous standbys' confirmation at ${time(f.at)}, when ${
          f.how === 'cancel'
            ? 'their waits were cancelled and their clients answered COMMIT with a WARNING'
            : 'their backends were terminated and their clients lost the connection without an answer (the commits count here: they were visible to every other session)'
        }: committed and flushed on ${node(f.node)} only, never confirmed by a synchronous standby.`,
  'loss-crash-cut': (f, sub) => p`At ${time(f.at)}, with its WAL flushed only up to ${lsn(f.lsn)}, ${sub(f.cause)}.`,
  'survivor-holds': (f) =>
    p`${node(f.node)} holds the surviving history (${survivorWhy(f.node, f.why)}): timelines ${chain(f.timelines)}${f.rewrittenAfterLsn !== null ? p`; its WAL after ${lsn(f.rewrittenAfterLsn)} was written again after the crash` : ''}.`,
  'no-shared-history': (f) => `Timeline ${f.timeline} and the survivor's timeline ${f.survivorTimeline} share no history.`,
  'promoted-branch': (f, sub) => {
    const lacked = f.lacked === null
      ? ''
      : f.lacked.kind === 'timeline'
        ? `, without the WAL of timeline ${f.lacked.timeline}`
        : p`, with WAL of timeline ${f.lacked.timeline} only up to ${lsn(f.lacked.lsn)}; ${node(f.lacked.term)} had acknowledged commits up to ${lsn(f.lacked.ackedLsn)} that had not reached it`;
    return p`${node(f.node)} was promoted at ${time(f.at)} ${promotedBy(f.by, sub)}: timeline ${f.timeline} branched from timeline ${f.parentTimeline} at ${lsn(f.switchLsn)}${lacked}.`;
  },
  'stopped-receiving': (f, sub) => {
    const repeat = f.repeat !== null ? p`; it logged this ${count(f.repeat.count)} times, the last at ${time(f.repeat.lastAt)}` : '';
    const later = f.later.length > 0 ? p` Later it still could not stream, ${join(f.later.map((l) => p`at ${time(l.at)}: ${sub(l.detail)}`), '; ')}.` : '';
    return p`${node(f.node)} stopped receiving WAL at ${time(f.at)}, at ${lsn(f.lsn)} on timeline ${f.timeline}: ${sub(f.detail)}${repeat}.${later}`;
  },
  'promoted-during-shutdown': (f) =>
    p`${node(f.upstream)} was shut down at ${time(f.stoppedAt)} with WAL ${node(f.node)} still lacked; its walsender was still sending it (a clean shutdown sends everything before the server exits, walsender.c WalSndDone) when ${node(f.node)} was promoted at ${time(f.at)}, and the last ${size(f.left)} never came.`,
  'was-falling-behind': (f, sub) => p`From ${time(f.since)} on, ${sub(f.behind)}; it had not caught up.`,
  'received-up-to': (f) => p`${node(f.node)} had received WAL only up to ${lsn(f.lsn)} on timeline ${f.timeline} when it was promoted.`,
  'loss-conclusion': (f) =>
    f.where.kind === 'unflushed'
      ? `Therefore the ${count(f.commits)} commits acknowledged before the WAL writer flushed them are lost.`
      : f.where.kind === 'after'
        ? p`Therefore the ${count(f.commits)} commits acknowledged after ${lsn(f.where.lsn)}, where the surviving history leaves timeline ${f.where.timeline}, are lost.`
        : `Therefore the ${count(f.commits)} commits acknowledged on timeline ${f.where.timeline}, which is not on the surviving history, are lost.`,
};
