/**
 * Full-page images in the WAL volume (docs/model-postgres.md, "Full-page writes"). With full_page_writes on (the
 * default), the first change of a page after a checkpoint's redo point logs the whole page with the change
 * (xloginsert.c XLogRecordAssemble: a buffer whose page LSN is at or before RedoRecPtr gets a backup block), so a
 * workload's WAL per transaction is highest right after each checkpoint starts and falls as its pages have been
 * imaged once. Measured on 15.18 (pgbench scale 10 at 500 tx/s, pg_stat_wal around a CHECKPOINT): 450 bytes per
 * transaction without images, 14.6 kB in the first 2 s after the checkpoint (1.8 images each), 2 kB a minute on
 * (0.19 each); each image about 7.9 kB.
 *
 * The model, from what the scenario states of a workload: its writes change `pagesPerTx` distinct pages each,
 * drawn uniformly from a working set of `workingSetPages`. After N transactions since the redo point a page is
 * still unimaged with probability u = exp(-pagesPerTx × N / workingSetPages), so a transaction logs
 * pagesPerTx × u images on average. The fluid model's rates are constant between events: u is taken in steps
 * of STEP (u falls by e^-STEP over each) on a fixed grid from the redo point, each step at its mean over the
 * step, so the WAL written by the end of a step is the exact integral whatever the commit rate and however often
 * the write flow recomputes in between. A workload that states no working set logs no images
 * beyond its `wal_per_tx` (which then is its average WAL per transaction, images included).
 *
 * Approximations: pages are drawn uniformly (a skewed working set images its hot pages at once and its cold
 * ones slowly); an image is IMAGE_BYTES whatever the page's free space (the hole a full page lacks);
 * wal_compression keeps COMPRESSED of it whatever the data.
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from './lsn.ts';
import type { PgNode } from './node.ts';

/** BLCKSZ. */
export const BLCKSZ = 8192;
/** WAL bytes per image of a full page: 7.85 to 7.9 kB per pg_stat_wal.wal_fpi measured on 15.18 (pgbench). */
export const IMAGE_BYTES = 7900;
/**
 * The share of an image wal_compression keeps. Data-dependent: pgbench's blank-padded rows compress to 0.11
 * (pglz) and 0.15 (lz4) of an image on 15.18, far more than real rows do; half is the figure taken for all
 * three methods (an approximation: docs/model-postgres.md).
 */
export const COMPRESSED = 0.5;
/** u falls by e^-STEP over each step of constant rate. */
const STEP = 0.5;
/** Below this share of pages still unimaged, no more images are counted (and no more steps planned). */
const U_MIN = 0.01;

/** What a pool states about the pages its writes change (scenario `working_set`, `pages_per_tx`). */
export interface PageWorkload {
  readonly workingSetPages: number;
  readonly pagesPerTx: number;
}

/** What the model needs of a client pool. */
export interface ImagingPool {
  readonly pages: PageWorkload | null;
  readonly target: PgNode | null;
  /** The WAL per transaction the scenario states (without images when `pages` is given). */
  baseWalPerTx: number;
  /** The WAL per transaction now: base plus the images (what the write flow uses). */
  walPerTx: number;
}

interface PoolState {
  node: PgNode | null;
  redo: Lsn;
  /** Transactions committed since `redo`, as of `at`. */
  tx: number;
  at: Micros;
  /** Transactions per second committed since `at`. */
  rate: number;
  /** The transaction count at which the current step ends (Infinity: no step). */
  stepEnd: number;
}

/**
 * Images per transaction in the step that `tx` transactions since the redo point fall in, and where that step
 * ends (a transaction count). The steps are a fixed grid from the redo point (step i covers STEP·i to
 * STEP·(i+1) of k·N/W), each at its mean u: a recomputation in the middle of a step keeps its value, so the WAL
 * at every step's end is the exact integral however often the write flow recomputes.
 */
export function imagesPerTx(pages: PageWorkload, tx: number): { images: number; stepEnd: number } {
  const k = Math.min(pages.pagesPerTx, pages.workingSetPages);
  const stepTx = (STEP * pages.workingSetPages) / k;
  // A breakpoint lands a fraction of a transaction past a step's end, or short of it by rounding.
  const i = Math.floor(tx / stepTx + 1e-9);
  const u0 = Math.exp(-STEP * i);
  if (u0 < U_MIN) return { images: 0, stepEnd: Number.POSITIVE_INFINITY };
  // Mean of u over the step: u0 (1 - e^-STEP) / STEP.
  return { images: (k * u0 * -Math.expm1(-STEP)) / STEP, stepEnd: (i + 1) * stepTx };
}

/**
 * Images per transaction averaged over a checkpoint cycle of `cycleTx` transactions (the lint's figure: the
 * run steps through the cycle): W (1 − e^(−k·cycleTx/W)) pages imaged once each, over cycleTx transactions.
 */
export function imagesPerTxOverCycle(pages: PageWorkload, cycleTx: number): number {
  if (!(cycleTx > 0)) return Math.min(pages.pagesPerTx, pages.workingSetPages);
  const k = Math.min(pages.pagesPerTx, pages.workingSetPages);
  return (pages.workingSetPages * -Math.expm1((-k * cycleTx) / pages.workingSetPages)) / cycleTx;
}

/** Bytes an image costs on `n` (wal_compression). */
export function imageBytes(n: PgNode): number {
  return n.settings.walCompression === 'off' ? IMAGE_BYTES : IMAGE_BYTES * COMPRESSED;
}

export class FullPageImages {
  private readonly state = new Map<ImagingPool, PoolState>();

  constructor(
    pools: readonly ImagingPool[],
    private readonly redoOf: (n: PgNode) => Lsn,
  ) {
    // Before the scenario starts its pages have long been imaged (tx = ∞): the first images come after the first
    // redo point the run sees, not at its start (where the last checkpoint was is not stated).
    for (const p of pools) if (p.pages) this.state.set(p, { node: null, redo: 0, tx: Number.POSITIVE_INFINITY, at: 0 as Micros, rate: 0, stepEnd: Number.POSITIVE_INFINITY });
  }

  /** Whether any pool images pages (else nothing here changes anything). */
  get active(): boolean {
    return this.state.size > 0;
  }

  /** Whether a checkpoint starting on `n` changes some pool's WAL per transaction. */
  writesTo(n: PgNode): boolean {
    for (const p of this.state.keys()) if (p.target === n) return true;
    return false;
  }

  /**
   * At a recomputation, before the pools' WAL is summed: each pool's WAL per transaction for the step from now.
   * A new redo point on its target starts its pages afresh; a new target (a promotion) does so only when its
   * redo point is newer than the one counted from (a standby's pages were replayed with the primary's LSNs, so
   * they need no image again until its own first checkpoint moves the redo point past them).
   */
  update(now: Micros): void {
    for (const [p, s] of this.state) {
      s.tx += (s.rate * (now - s.at)) / 1e6;
      s.at = now;
      const n = p.target;
      if (n && n.isPrimary) {
        const redo = this.redoOf(n);
        if (s.node !== null && (n !== s.node ? redo > s.redo : redo !== s.redo)) s.tx = 0;
        s.node = n;
        s.redo = redo;
      }
      if (!n || !n.settings.fullPageWrites) {
        p.walPerTx = p.baseWalPerTx;
        s.stepEnd = Number.POSITIVE_INFINITY;
        continue;
      }
      const step = imagesPerTx(p.pages!, s.tx);
      p.walPerTx = p.baseWalPerTx + step.images * imageBytes(n);
      s.stepEnd = step.stepEnd;
    }
  }

  /** After the recomputation: the transactions each pool commits now, and when the first step ends (or Infinity). */
  committed(rate: (p: ImagingPool) => number, now: Micros): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [p, s] of this.state) {
      s.rate = rate(p);
      if (s.rate > 0 && Number.isFinite(s.stepEnd)) next = Math.min(next, now + Math.max(1, Math.ceil(((s.stepEnd - s.tx) / s.rate) * 1e6)));
    }
    return next;
  }
}
