/**
 * The decoded scenario's parts about failover managers, gray failures and verdicts (grammar-managers.ts):
 * what the models and checkers consume, in the simulator's units.
 */
import type { Micros } from '../engine/time.ts';
import type { Bounds } from './types.ts';

/** What the verdict checker judges (checkers/verdicts.ts). */
export type VerdictKind = 'split-brain' | 'no-primary' | 'standby-broken' | 'redundancy-below-plan';
export const VERDICT_KINDS: readonly VerdictKind[] = ['split-brain', 'no-primary', 'standby-broken', 'redundancy-below-plan'];

/** Expectations on verdicts. */
export type VerdictExpectation =
  /** At least one verdict of this kind (in the cluster, about the node) whose duration is within `seconds` (and open at the end, or not, when given). */
  | { readonly kind: 'verdict'; readonly verdict: VerdictKind; readonly cluster: string | null; readonly node: string | null; readonly seconds: Bounds; readonly openAtEnd: boolean | null }
  /** No verdict of this kind (in the cluster, about the node). */
  | { readonly kind: 'noVerdict'; readonly verdict: VerdictKind; readonly cluster: string | null; readonly node: string | null }
  /** Every verdict has cleared by the end (in the cluster), within `within` of the first failure when given. */
  | { readonly kind: 'recovered'; readonly cluster: string | null; readonly within: Micros | null };
