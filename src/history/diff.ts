/**
 * Where two histories of the same scenario and seed part: the determinism self-check
 * (`replsim run --check-determinism`, the test helper) names the first event that differs.
 */
import type { History, SimEvent } from './history.ts';
import { factKey } from './facts/index.ts';

function describe(e: SimEvent | undefined): string {
  if (!e) return '(no event)';
  const who = e.node ?? (e.cluster ? `cluster ${e.cluster}` : 'world');
  const rep = e.repeat ? ` (x${e.repeat.count}, last at +${e.repeat.last} us)` : '';
  return `+${e.at} us ${who} [${e.kind}] ${e.fact.kind === 'prose' ? e.fact.text : factKey(e.fact)}${rep}`;
}

function sameEvent(a: SimEvent, b: SimEvent): boolean {
  return (
    a.at === b.at &&
    a.node === b.node &&
    a.cluster === b.cluster &&
    a.kind === b.kind &&
    factKey(a.fact) === factKey(b.fact) &&
    a.log.join('\n') === b.log.join('\n') &&
    (a.repeat?.count ?? 1) === (b.repeat?.count ?? 1) &&
    (a.repeat?.last ?? a.at) === (b.repeat?.last ?? b.at)
  );
}

/**
 * Null when the two histories have the same fingerprint; otherwise a sentence naming the first recorded
 * event that differs (its index, and both versions), or, when the event lists agree, the first other
 * record that does (walreceiver transitions, promotions, write terms).
 */
export function historyDifference(a: History, b: History): string | null {
  if (a.fingerprint === b.fingerprint) return null;
  const n = Math.max(a.events.length, b.events.length);
  for (let i = 0; i < n; i++) {
    const x = a.events[i];
    const y = b.events[i];
    if (x && y && sameEvent(x, y)) continue;
    return `fingerprints ${a.fingerprint} and ${b.fingerprint} differ; first differing event #${i + 1}: ${describe(x)} <> ${describe(y)}`;
  }
  const rx = (h: History) => h.receiverTransitions.map((t) => `+${t.at} us ${t.node} ${t.status} ${t.reason} ${t.lsn} tli ${t.tli}`);
  const promo = (h: History) => h.promotions.map((p) => `+${p.at} us ${p.node} promoted to timeline ${p.timeline.tli} at ${p.switchpoint}`);
  const terms = (h: History) => h.terms.map((t) => `term ${t.id} ${t.node} tli ${t.timeline.tli} from ${t.startLsn} acked to ${t.ackCurve.at(-1)?.lsn}`);
  for (const [what, f] of [['walreceiver transition', rx], ['promotion', promo], ['write term', terms]] as const) {
    const xs = f(a);
    const ys = f(b);
    for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
      if (xs[i] !== ys[i]) return `fingerprints ${a.fingerprint} and ${b.fingerprint} differ; the events agree, first differing ${what} #${i + 1}: ${xs[i] ?? '(none)'} <> ${ys[i] ?? '(none)'}`;
    }
  }
  return `fingerprints ${a.fingerprint} and ${b.fingerprint} differ (the kept records agree; the difference is in a record not kept, e.g. a write-status change)`;
}
