/**
 * The block devices' end state, judged from the history's copy samples (models/block/copies.ts): a device
 * whose newest data (every write it acknowledged) is on no running disk has lost data, from the moment its
 * last such disk was lost until one comes back, or for good once an older copy was made primary and wrote
 * on. Reads only the History.
 */
import type { Micros } from '../engine/time.ts';
import type { BlockCopiesSample } from '../history/block.ts';
import type { History } from '../history/history.ts';
import type { CauseStep } from './explain.ts';
import type { Recovery, Verdict } from './verdicts.ts';
import { factText } from '../report/facts/index.ts';

type Fmt = (t: Micros) => string;

/** No running disk has the newest data, and none that is only powered off (a fenced host boots with its disk). */
const lost = (s: BlockCopiesSample) => s.running.length === 0 && (s.off?.length ?? 0) === 0;

export function judgeBlock(history: History, fmt: Fmt): { verdicts: Verdict[]; recovery: Recovery[] } {
  const verdicts: Verdict[] = [];
  const recovery: Recovery[] = [];
  const byResource = new Map<string, BlockCopiesSample[]>();
  for (const s of history.block.copies) byResource.set(s.resource, [...(byResource.get(s.resource) ?? []), s]);
  for (const [resource, samples] of byResource) {
    const mine: Verdict[] = [];
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (!lost(s) || (i > 0 && lost(samples[i - 1]!))) continue;
      const before = i > 0 ? samples[i - 1]! : null;
      let j = i + 1;
      while (j < samples.length && lost(samples[j]!)) j++;
      const end = j < samples.length ? samples[j]! : null;
      const faults = history.events.filter((e) => e.kind === 'fault' && e.at <= s.at && e.at >= s.at - 600e6);
      const cause: CauseStep[] = [
        ...faults.map((e) => ({ text: `At ${fmt(e.at)}: ${factText(e.fact)}.`, log: e.log })),
        ...(before ? [{ text: `Before, the newest data of ${resource} (every write it acknowledged) was on ${before.running.join(' and ')} only (${before.why}).`, log: [] }] : []),
        { text: `At ${fmt(s.at)} no running disk holds it: ${s.why}.`, log: [] },
        ...samples.slice(i + 1, j).filter((x) => x.superseded).slice(0, 1).map((x) => ({ text: `At ${fmt(x.at)} ${x.why}: those writes are lost for good.`, log: [] })),
        end ? { text: `Until ${fmt(end.at)}: ${end.running.join(' and ')} runs with it again.`, log: [] } : { text: 'Still so at the end of the run.', log: [] },
      ];
      mine.push({ kind: 'data-loss', cluster: resource, node: before?.running[0] ?? null, from: s.at, to: end ? end.at : null, cause });
    }
    verdicts.push(...mine);
    if (mine.length === 0) continue;
    const first = mine[0]!.from;
    const fault = history.events.find((e) => e.kind === 'fault' && e.at <= first && e.at >= first - 600e6);
    recovery.push({ cluster: resource, from: fault ? fault.at : first, to: mine.some((v) => v.to === null) ? null : (Math.max(...mine.map((v) => v.to!)) as Micros) });
  }
  verdicts.push(...fenced(history, fmt));
  return { verdicts, recovery };
}

/** Each node a STONITH device powered off: who fenced it, after what, and until when it was down. */
function fenced(history: History, fmt: Fmt): Verdict[] {
  return history.block.fences.map((f): Verdict => {
    const s = (us: number) => `${+(us / 1e6).toFixed(1)} s`;
    const cause: CauseStep[] = [
      ...(f.silentSince !== null ? [{ text: `At ${fmt(f.silentSince)} ${f.by} stopped hearing ${f.node} (no totem token came round).`, log: [] }] : []),
      { text: `At ${fmt(f.lostAt)}: ${f.reason}; ${f.by}'s partition had quorum and asked for ${f.node} to be fenced.`, log: [] },
      { text: `The fencer on ${f.by} waited ${s(f.delay)} (pcmk_delay) and ran ${f.device} at ${fmt(f.startedAt)}: ${f.node} was powered off at ${fmt(f.at)}.`, log: [] },
      f.backAt !== null ? { text: `${f.node} was running its cluster stack again at ${fmt(f.backAt)}.`, log: [] } : { text: `${f.node} was still down at the end of the run.`, log: [] },
    ];
    return { kind: 'fenced', cluster: f.resources[0] ?? 'pacemaker', node: f.node, from: f.at, to: f.backAt, cause };
  });
}
