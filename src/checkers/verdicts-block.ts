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
import type { BlockChainFact } from '../history/facts/chains.ts';
import type { Fact } from '../history/facts/index.ts';

const step = (fact: BlockChainFact): CauseStep => ({ fact, log: [] });

/** No running disk has the newest data, and none that is only powered off (a fenced host boots with its disk). */
const lost = (s: BlockCopiesSample) => s.running.length === 0 && (s.off?.length ?? 0) === 0;

export function judgeBlock(history: History): { verdicts: Verdict[]; recovery: Recovery[] } {
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
      // A host that held the newest data came back with its disk before any older copy was made primary:
      // the data was unavailable meanwhile (a write outage), not lost (models/block/power.ts hostBack).
      const superseded = samples.slice(i, j).some((x) => x.superseded);
      if (end && !superseded && !end.superseded && end.running.some((h) => s.down.includes(h))) continue;
      const faults = history.events.filter((e) => e.kind === 'fault' && e.at <= s.at && e.at >= s.at - 600e6);
      const cause: CauseStep[] = [
        ...faults.map((e) => ({ fact: { kind: 'block-fault' as const, at: e.at, fault: e.fact }, log: e.log })),
        ...(before ? [step({ kind: 'newest-data-on', resource, hosts: before.running, why: before.why })] : []),
        step({ kind: 'no-disk-holds', at: s.at, why: s.why }),
        ...samples.slice(i + 1, j).filter((x) => x.superseded).slice(0, 1).map((x) => step({ kind: 'writes-lost-for-good', at: x.at, why: x.why })),
        step(end ? { kind: 'newest-data-back', at: end.at, hosts: end.running } : { kind: 'newest-data-still-lost' }),
      ];
      mine.push({ kind: 'data-loss', cluster: resource, node: before?.running[0] ?? null, from: s.at, to: end ? end.at : null, cause });
    }
    verdicts.push(...mine);
    if (mine.length === 0) continue;
    const first = mine[0]!.from;
    const fault = history.events.find((e) => e.kind === 'fault' && !restores(e.fact) && e.at <= first && e.at >= first - 600e6);
    recovery.push({ cluster: resource, from: fault ? fault.at : first, to: mine.some((v) => v.to === null) ? null : (Math.max(...mine.map((v) => v.to!)) as Micros) });
  }
  verdicts.push(...fenced(history), ...splits(history));
  return { verdicts, recovery };
}

/** A fault step that ends a fault (a link healed, packet loss back to 0, a host powered on, a disk healthy again): no failure to recover from. */
function restores(f: Fact): boolean {
  if (f.kind !== 'step') return false;
  const a = f.action;
  switch (a.kind) {
    case 'link':
      return !a.cut;
    case 'gray-failure':
      return (a.failure.kind === 'packetLoss' && a.failure.probability === 0) || a.failure.kind === 'healOneWay';
    case 'host-power-on':
      return true;
    case 'disk-slowdown':
      return a.factor === 1;
    default:
      return false;
  }
}

/** Each time two Primaries of one device ran apart (history/block.ts BlockSplitRecord). */
function splits(history: History): Verdict[] {
  return history.block.splits.map((s): Verdict => {
    const faults = history.events.filter((e) => e.kind === 'fault' && e.at <= s.from && e.at >= s.from - 600e6).slice(-3);
    const cause: CauseStep[] = [
      ...faults.map((e) => ({ fact: { kind: 'block-fault' as const, at: e.at, fault: e.fact }, log: e.log })),
      step({ kind: 'block-two-primaries', resource: s.resource, at: s.from, older: s.older, newer: s.newer }),
      step({ kind: 'block-split-ended', at: s.to, older: s.older, how: s.how }),
    ];
    return { kind: 'split-brain', cluster: s.resource, node: s.newer, from: s.from, to: s.to, cause };
  });
}

/** Each node a STONITH device powered off: who fenced it, after what, and until when it was down. */
function fenced(history: History): Verdict[] {
  return history.block.fences.map((f): Verdict => {
    const cause: CauseStep[] = [
      ...(f.silentSince !== null ? [step({ kind: 'fence-silent', at: f.silentSince, by: f.by, node: f.node })] : []),
      step({ kind: 'fence-asked', at: f.lostAt, reason: f.reason, by: f.by, node: f.node }),
      step({ kind: 'fence-ran', by: f.by, delay: f.delay, device: f.device, startedAt: f.startedAt, node: f.node, at: f.at }),
      step({ kind: 'fenced-node-back', node: f.node, at: f.backAt }),
    ];
    return { kind: 'fenced', cluster: f.resources[0] ?? 'pacemaker', node: f.node, from: f.at, to: f.backAt, cause };
  });
}
