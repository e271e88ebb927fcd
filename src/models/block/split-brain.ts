/**
 * DRBD's split-brain recovery policies, decided at the connection handshake (drbd_receiver.c
 * drbd_asb_recover_0p / _1p / _2p, read in LINBIT/drbd). A split brain is seen only on reconnect, when both
 * nodes changed the data after they lost each other (their current generation UUIDs differ, their bitmap
 * UUIDs match). The policy that applies depends on how many of the two are Primary then. The outcome is
 * either a victim (its changes are discarded: it becomes SyncTarget of the other, bitmap-based) or no
 * decision (the connection is dropped: both StandAlone, "Split-Brain detected but unresolved").
 */

import type { Sb0Rule, SbRule } from '../../history/facts/block-why.ts';

export type AfterSb0pri = 'disconnect' | 'discard-younger-primary' | 'discard-older-primary' | 'discard-zero-changes' | 'discard-least-changes';
export type AfterSb1pri = 'disconnect' | 'consensus' | 'discard-secondary' | 'call-pri-lost-after-sb' | 'violently-as0p';
export type AfterSb2pri = 'disconnect' | 'call-pri-lost-after-sb' | 'violently-as0p';

export const AFTER_SB_0PRI: readonly AfterSb0pri[] = ['disconnect', 'discard-younger-primary', 'discard-older-primary', 'discard-zero-changes', 'discard-least-changes'];
export const AFTER_SB_1PRI: readonly AfterSb1pri[] = ['disconnect', 'consensus', 'discard-secondary', 'call-pri-lost-after-sb', 'violently-as0p'];
export const AFTER_SB_2PRI: readonly AfterSb2pri[] = ['disconnect', 'call-pri-lost-after-sb', 'violently-as0p'];

export interface SplitSide {
  readonly host: string;
  /** Primary at the handshake. */
  readonly primary: boolean;
  /** Was Primary when the two lost each other (DRBD's UUID_PRIMARY bit of the bitmap UUID). */
  readonly primaryAtSplit: boolean;
  /** Bytes it changed since (its bitmap's bits). */
  readonly changes: number;
}

export interface SbPolicies {
  readonly afterSb0pri: AfterSb0pri;
  readonly afterSb1pri: AfterSb1pri;
  readonly afterSb2pri: AfterSb2pri;
}

/** Whose changes are discarded, or null: the connection is dropped; `rule`: which rule decided (worded by the report). */
export type SbOutcome = { readonly victim: string | null; readonly rule: SbRule };
type Sb0Outcome = { readonly victim: string | null; readonly rule: Sb0Rule };

/**
 * The 0pri rules on (a, b); ties the kernel breaks by its RESOLVE_CONFLICTS flag (set on one node of the
 * pair by the handshake) are broken here by host name, as deterministically.
 */
function recover0p(p: AfterSb0pri, a: SplitSide, b: SplitSide): Sb0Outcome {
  const tie = (why: 'neither-changed' | 'equal-changes'): Sb0Outcome => ({ victim: [a.host, b.host].sort()[1]!, rule: { kind: 'tie', policy: p, why } });
  if (p === 'disconnect') return { victim: null, rule: { kind: 'disconnect' } };
  if (p === 'discard-younger-primary' || p === 'discard-older-primary') {
    // The younger primary became Primary after the split: it was not Primary when they lost each other.
    if (a.primaryAtSplit !== b.primaryAtSplit) {
      const younger = a.primaryAtSplit ? b : a;
      const older = a.primaryAtSplit ? a : b;
      const victim = p === 'discard-younger-primary' ? younger.host : older.host;
      return { victim, rule: { kind: 'primary-age', policy: p, host: victim } };
    }
  }
  if (p !== 'discard-least-changes') {
    if (a.changes === 0 && b.changes === 0) return tie('neither-changed');
    if (a.changes === 0) return { victim: a.host, rule: { kind: 'changed-nothing', policy: p, host: a.host } };
    if (b.changes === 0) return { victim: b.host, rule: { kind: 'changed-nothing', policy: p, host: b.host } };
    if (p === 'discard-zero-changes') return { victim: null, rule: { kind: 'both-changed' } };
  }
  if (a.changes < b.changes) return { victim: a.host, rule: { kind: 'changed-less', host: a.host } };
  if (b.changes < a.changes) return { victim: b.host, rule: { kind: 'changed-less', host: b.host } };
  return tie('equal-changes');
}

/**
 * The decision at a handshake that found a split brain between `a` and `b`. A Primary chosen as victim under
 * call-pri-lost-after-sb must give up its role first; `canDemote(host)` says whether it can (a device in
 * use cannot): if not, the pri-lost-after-sb handler is called and the connection is dropped.
 */
export function recoverSplitBrain(pol: SbPolicies, a: SplitSide, b: SplitSide, canDemote: (host: string) => boolean): SbOutcome & { readonly priLost?: string } {
  const primaries = [a, b].filter((s) => s.primary);
  if (primaries.length === 0) {
    const zero = recover0p(pol.afterSb0pri, a, b);
    return { victim: zero.victim, rule: { kind: '0pri', rule: zero.rule } };
  }
  const p = primaries.length === 1 ? pol.afterSb1pri : pol.afterSb2pri;
  const rule = (how: Extract<SbRule, { kind: 'npri' }>['how']): SbRule => ({ kind: 'npri', primaries: primaries.length === 1 ? 1 : 2, policy: p, how });
  if (p === 'disconnect') return { victim: null, rule: rule({ kind: 'plain' }) };
  const zero = recover0p(pol.afterSb0pri, a, b);
  if (p === 'violently-as0p') return zero.victim ? { victim: zero.victim, rule: rule({ kind: 'as-0pri', zero: zero.rule }) } : { victim: null, rule: rule({ kind: '0pri-decides-nothing', zero: zero.rule }) };
  if (p === 'discard-secondary') {
    const secondary = a.primary ? b : a;
    return { victim: secondary.host, rule: rule({ kind: 'is-secondary', host: secondary.host }) };
  }
  if (p === 'consensus') {
    // Only if the 0pri rule would discard the Secondary too.
    const secondary = a.primary ? b : a;
    return zero.victim === secondary.host ? { victim: secondary.host, rule: rule({ kind: '0pri-agrees', zero: zero.rule }) } : { victim: null, rule: rule({ kind: '0pri-disagrees', zero: zero.rule }) };
  }
  // call-pri-lost-after-sb
  if (!zero.victim) return { victim: null, rule: rule({ kind: '0pri-decides-nothing', zero: zero.rule }) };
  const v = zero.victim === a.host ? a : b;
  if (v.primary && !canDemote(v.host)) return { victim: null, rule: rule({ kind: 'cannot-demote', host: v.host }), priLost: v.host };
  return { victim: v.host, rule: rule({ kind: 'by-0pri', zero: zero.rule, gaveUp: v.primary ? v.host : null }) };
}
