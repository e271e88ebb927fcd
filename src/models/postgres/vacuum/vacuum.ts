/**
 * One VACUUM of one relation (vacuum.c, vacuumlazy.c; postgres-2.md §5.4-5.8): its cutoffs taken at the start
 * (OldestXmin from the oldest holder, FreezeLimit by version), the pages it reads and dirties, its speed under
 * the cost-based delay (vacuum.c vacuum_delay_point: `limit` cost units, then a sleep of `delay`), the failsafe
 * (14+), and what it leaves: dead rows removed up to the horizon, relfrozenxid by version, never past the
 * oldest holder.
 */
import { Level } from '../../../engine/fluid.ts';
import type { EventHandle } from '../../../engine/simulation.ts';
import type { Micros } from '../../../engine/time.ts';
import type { PgMajor } from '../../../scenario/types.ts';
import type { PgSettings } from '../settings.ts';
import type { LockOwner } from '../locks/manager.ts';
import type { Holder } from './horizons.ts';
import { PAGE, type Relation } from './relations.ts';

/** Where an unthrottled vacuum runs when the scenario gives no disk throughput. */
export const DEFAULT_DISK_THROUGHPUT = 500e6;

/** Why a vacuum runs. */
export type VacuumTrigger = 'anti-wraparound' | 'dead rows' | 'inserts' | 'manual' | 'single-user';

export interface Cutoffs {
  /** The next XID at the start. */
  readonly nextXid: number;
  /** The oldest XID some holder still needs (the next XID when none). */
  readonly oldestXmin: number;
  readonly freezeLimit: number;
  readonly holder: Holder | null;
  /** OldestXmin so far back that the version warns (and, up to 15, freezes only to OldestXmin). */
  readonly farInThePast: boolean;
}

/** Cost-based delay of a run: `limit` units per `delay` (0: unthrottled). */
export interface CostBudget {
  readonly limit: number;
  readonly delay: Micros;
}

/**
 * The cutoffs of a vacuum starting now (vacuum.c vacuum_set_xid_limits up to 15, vacuum_get_cutoffs from 16):
 * FreezeLimit = OldestXmin - min(freeze_min_age, afma/2), lowered to OldestXmin (with a WARNING) when that is
 * older than nextXid - afma, up to 15; from 16, nextXid - freeze_min_age clamped to OldestXmin, and the WARNING
 * when OldestXmin itself is older than nextXid - afma.
 */
export function cutoffsFor(version: PgMajor, s: PgSettings, nextXid: number, holder: Holder | null, freeze: boolean): Cutoffs {
  const oldestXmin = holder ? Math.min(holder.xid, nextXid) : nextXid;
  const freezeMin = freeze ? 0 : s.vacuumFreezeMinAge;
  const safe = nextXid - s.autovacuumFreezeMaxAge;
  if (version >= 16) {
    return { nextXid, oldestXmin, freezeLimit: Math.min(nextXid - freezeMin, oldestXmin), holder, farInThePast: oldestXmin < safe };
  }
  const limit = oldestXmin - freezeMin;
  const far = limit < safe;
  return { nextXid, oldestXmin, freezeLimit: far ? oldestXmin : limit, holder, farInThePast: far };
}

/** The bytes a run reads, split by what each page costs. */
export interface Work {
  /** Pages read and dirtied (frozen, cleaned, marked all-visible): vacuum_cost_page_miss + _dirty each. */
  readonly dirtied: number;
  /** Pages only read (dead rows a holder still sees: nothing to do): vacuum_cost_page_miss each. */
  readonly readOnly: number;
  /** Dead rows it will remove, and those it must leave. */
  readonly removableRows: number;
  readonly keptRows: number;
}

/**
 * What a run reads: an aggressive one every page not all-frozen (`vacuum_scan` of the table), any run the
 * pages with dead rows or rows inserted since the last vacuum (not all-visible). Dead rows deleted after the
 * holder's snapshot cannot be removed: their pages are read for nothing, again at every run. Up to 9.5 there
 * is no all-frozen bit in the visibility map (added in 9.6, commit a892234f): an aggressive run (scan_all)
 * reads every page of the table, the frozen ones for nothing (vacuumlazy.c lazy_scan_heap of 9.5: pages are
 * skipped only when !scan_all). Approximations (docs/model-vacuum.md): page classes do not overlap; index
 * vacuuming and buffer hits are not modelled.
 */
export function workOf(rel: Relation, now: Micros, aggressive: boolean, holder: Holder | null, version: PgMajor): Work {
  const produced = rel.produced.valueAt(now);
  const upTo = holder ? Math.min(produced, rel.produced.valueAt(holder.since)) : produced;
  const removableRows = Math.max(0, upTo - rel.removed);
  const keptRows = Math.max(0, produced - rel.removed - removableRows);
  const inserted = rel.insertsSinceVacuum(now) * rel.rowSize;
  const freeze = aggressive ? rel.size * rel.spec.vacuumScan : 0;
  return { dirtied: freeze + removableRows * rel.rowSize + inserted, readOnly: keptRows * rel.rowSize + frozenRead(rel, aggressive, version), removableRows, keptRows };
}

/** Up to 9.5 an aggressive run also reads the pages already frozen (no all-frozen bit to skip them). */
export function frozenRead(rel: Relation, aggressive: boolean, version: PgMajor): number {
  return aggressive && version < 9.6 ? rel.size * (1 - rel.spec.vacuumScan) : 0;
}

/** Bytes per second of a run (vacuum.c vacuum_delay_point), at most the disk's throughput. */
export function speed(work: Work, s: PgSettings, budget: CostBudget, disk: number, unthrottled: boolean): number {
  if (unthrottled || budget.delay <= 0) return disk;
  const pages = (work.dirtied + work.readOnly) / PAGE;
  if (pages <= 0) return disk;
  const cost = (work.dirtied / PAGE) * (s.vacuumCostPageMiss + s.vacuumCostPageDirty) + (work.readOnly / PAGE) * s.vacuumCostPageMiss;
  if (cost <= 0) return disk;
  const pagesPerSecond = budget.limit / (budget.delay / 1e6) / (cost / pages);
  return Math.min(disk, pagesPerSecond * PAGE);
}

/** A vacuum in progress. */
export class VacuumRun {
  readonly start: Micros;
  readonly relfrozenxidBefore: number;
  readonly producedAtStart: number;
  readonly insertedAtStart: number;
  readonly total: number;
  /** Bytes done: a fluid at the current speed. */
  readonly done: Level;
  bytesPerSecond = 0;
  /** Its speed changed during the run (its average is then not its last speed). */
  speedChanged = false;
  failsafe = false;
  budget: CostBudget;
  end: EventHandle | null = null;
  failsafeTimer: EventHandle | null = null;

  constructor(
    readonly rel: Relation,
    readonly trigger: VacuumTrigger,
    readonly aggressive: boolean,
    readonly freeze: boolean,
    readonly cutoffs: Cutoffs,
    readonly work: Work,
    readonly owner: LockOwner,
    now: Micros,
    budget: CostBudget,
  ) {
    this.start = now;
    this.relfrozenxidBefore = rel.relfrozenxid;
    this.producedAtStart = rel.produced.valueAt(now);
    this.insertedAtStart = rel.inserted.valueAt(now);
    this.total = work.dirtied + work.readOnly;
    this.done = new Level(now, 0);
    this.budget = budget;
  }

  get antiWraparound(): boolean {
    return this.trigger === 'anti-wraparound';
  }

  /** Change the speed from now on; returns when the run ends at it. */
  setSpeed(now: Micros, bytesPerSecond: number): Micros {
    if (this.bytesPerSecond > 0 && bytesPerSecond !== this.bytesPerSecond) this.speedChanged = true;
    this.bytesPerSecond = bytesPerSecond;
    this.done.setRate(now, bytesPerSecond / 1e6);
    const left = this.total - this.done.valueAt(now);
    if (left <= 0) return now;
    return (now + Math.max(1, Math.ceil(left / (bytesPerSecond / 1e6)))) as Micros;
  }

  /**
   * What the finished run leaves (vacuum.c vac_update_relstats): dead rows removed up to the horizon, the insert
   * counter reset, and, when it was aggressive (it scanned every page not all-frozen), relfrozenxid advanced:
   * up to 14 to FreezeLimit; from 15 to the oldest XID left unfrozen (vacuumlazy.c NewRelfrozenXid, starting at
   * OldestXmin): FreezeLimit when the table was written to since FreezeLimit, else OldestXmin. Never backwards, never past
   * OldestXmin. A non-aggressive run skips all-visible pages and leaves relfrozenxid (approximation: also on
   * 15+, where it could advance when it skipped none).
   */
  finish(version: PgMajor, nextXidNow: number): { relfrozenxid: number } {
    const rel = this.rel;
    const c = this.cutoffs;
    const holderUpTo = c.holder ? rel.produced.valueAt(c.holder.since) : Number.POSITIVE_INFINITY;
    rel.removed = Math.max(rel.removed, Math.min(this.producedAtStart, holderUpTo));
    rel.insertedAtVacuum = Math.max(rel.insertedAtVacuum, this.insertedAtStart);
    if (this.aggressive) {
      let next = c.freezeLimit;
      // Rows written after FreezeLimit stay unfrozen (approximation: the oldest of them is at FreezeLimit).
      if (version >= 15) next = rel.newestWriteXid(nextXidNow) >= c.freezeLimit ? c.freezeLimit : c.oldestXmin;
      rel.relfrozenxid = Math.max(rel.relfrozenxid, Math.min(next, c.oldestXmin));
    }
    return { relfrozenxid: rel.relfrozenxid };
  }
}
