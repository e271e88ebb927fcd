/**
 * PostgreSQL's eight table lock modes and their conflict table (lock.c LockConflicts, the same in every
 * version 9.2-18; postgres-2.md §6.1). Modes are numbered 1-8 as in lockdefs.h; a set of modes is a bit mask.
 */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

const bit = (m: LockMode): number => 1 << (LOCK_MODES.indexOf(m) + 1);

/** For each requested mode, the held (or waiting) modes it conflicts with. */
const CONFLICTS: { readonly [M in LockMode]: readonly LockMode[] } = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ExclusiveLock: ['RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  AccessExclusiveLock: [...LOCK_MODES],
};

const CONFLICT_MASK = new Map<LockMode, number>(LOCK_MODES.map((m) => [m, CONFLICTS[m].reduce((a, c) => a | bit(c), 0)]));

export function modeBit(m: LockMode): number {
  return bit(m);
}

/** Whether a request for `mode` conflicts with any mode in `mask` (lock.c: conflictTab[mode] & mask). */
export function conflictsWithMask(mode: LockMode, mask: number): boolean {
  return (CONFLICT_MASK.get(mode)! & mask) !== 0;
}

export function conflicts(a: LockMode, b: LockMode): boolean {
  return conflictsWithMask(a, bit(b));
}

/** The SQL spelling of a mode (LOCK TABLE ... IN ... MODE). */
export function sqlModeName(m: LockMode): string {
  return m
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}
