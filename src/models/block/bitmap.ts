/**
 * The out-of-sync set of a replicated device (a DRBD bitmap of 4 KiB bits, an md write-intent bitmap of
 * larger chunks): how many bytes must be resynced and how fragmented they are.
 *
 * While writes are not replicated (disconnected, Ahead) they mark bits; random writes over a working set H
 * dirty it like coupon collecting, d(t) = H − (H − d₀)·e^(−k·t), k = (write bytes/s × amplification)/H,
 * the amplification being how much more than a write one bit covers (md's 64 MiB chunks, §5). The curve
 * is exact between events, so a night of disconnection costs no event. A resync drains the set linearly
 * in on-disk order (UG84-F, §3.1), merging adjacent dirty bits into requests of up to the device's max I/O
 * size (K84-WRK make_resync_request, §3.4): a fully dirty device resyncs in large requests, a set dirtied
 * by random writes in requests the size of those writes.
 */
import { invariant } from '../../engine/invariant.ts';
import type { Micros } from '../../engine/time.ts';
import { NEVER } from '../../engine/time.ts';
import { slack } from './account.ts';

type Mode =
  | { readonly kind: 'steady' }
  /**
   * Writes mark bits: bytes/µs written, amplification, working set, the run length their bits form; `drain`
   * bytes/µs cleared meanwhile by a resync (DRBD 9.3 resync-without-replication: writes during a resync pass
   * are only marked), so dd/dt = k·(H − d) − drain.
   */
  | { readonly kind: 'marking'; readonly rate: number; readonly amplification: number; readonly workingSet: number; readonly run: number; readonly drain: number }
  /** A resync clears bits at bytes/µs. */
  | { readonly kind: 'draining'; readonly rate: number };

export class Bitmap {
  private t0: Micros;
  private d0: number;
  /** Mean merged-request size of the set at t0. */
  private run0: number;
  private mode: Mode = { kind: 'steady' };
  /** Conservation books at t0: bytes whose bits were set, bytes whose bits were cleared (in = out + dirty). */
  private setTotal = 0;
  private clearedTotal = 0;
  /** The last instant bits were set or cleared at once (setAll, add, clear), and how many were dirty just before: a chart's step. */
  lastJump: { readonly at: Micros; readonly before: number } | null = null;

  constructor(
    t: Micros,
    /** Bytes per bit (DRBD 4 KiB, §3.3; md bitmap chunk). */
    readonly granularity: number,
    readonly deviceSize: number,
    /** Whose bitmap, for invariant messages. */
    readonly label = 'bitmap',
  ) {
    this.t0 = t;
    this.d0 = 0;
    this.run0 = granularity;
  }

  dirty(t: Micros): number {
    return Math.max(0, this.unclamped(t));
  }

  /** The dirty bytes as the fluid curve gives them: a drain runs past empty until its breakpoint clears the set. */
  private unclamped(t: Micros): number {
    const m = this.mode;
    const dt = t - this.t0;
    if (m.kind === 'steady') return this.d0;
    if (m.kind === 'draining') return this.d0 - m.rate * dt;
    if (this.d0 >= m.workingSet && m.drain === 0) return this.d0;
    const k = (m.rate * m.amplification) / m.workingSet;
    // The level where marking and draining balance: d∞ = H − drain / k.
    const top = m.workingSet - m.drain / k;
    return top - (top - this.d0) * Math.exp(-k * dt);
  }

  /**
   * The set's conservation books at t: bytes marked out of sync, bytes cleared (resynced, or cleared by a
   * finished resync or a failover), the level (unclamped, so a drain past empty shows) and its rate of change
   * per µs; in = out + level.
   */
  books(t: Micros): { in: number; out: number; level: number; rate: number } {
    const m = this.mode;
    const level = this.unclamped(t);
    const delta = level - this.d0;
    let rate = 0;
    if (m.kind === 'draining') rate = -m.rate;
    else if (m.kind === 'marking' && (this.d0 < m.workingSet || m.drain > 0)) rate = ((m.rate * m.amplification) / m.workingSet) * (m.workingSet - level) - m.drain;
    // Marking while draining: the bytes cleared are the drain's, the rest of the change was set.
    if (m.kind === 'marking' && m.drain > 0) {
      const cleared = m.drain * (t - this.t0);
      return { in: this.setTotal + delta + cleared, out: this.clearedTotal + cleared, level, rate };
    }
    return { in: this.setTotal + Math.max(0, delta), out: this.clearedTotal + Math.max(0, -delta), level, rate };
  }

  /** Mean size of a resync request over the dirty set (bytes). */
  runLength(t: Micros): number {
    const m = this.mode;
    if (m.kind !== 'marking') return this.run0;
    const d = this.dirty(t);
    const added = Math.max(0, d - this.d0);
    if (d <= 0) return m.run;
    // Requests add up: d / (d0/run0 + added/run).
    return d / (this.d0 / this.run0 + added / m.run);
  }

  private jump(t: Micros): void {
    if (this.lastJump?.at !== t) this.lastJump = { at: t, before: this.d0 };
  }

  private anchor(t: Micros): void {
    const raw = this.unclamped(t);
    const m = this.mode;
    // A drain may end at most a microsecond of its rate past empty (its breakpoint is a whole microsecond).
    const drain = m.kind === 'draining' ? m.rate : m.kind === 'marking' ? m.drain : 0;
    invariant(raw >= -slack(drain, this.deviceSize), () => `${this.label}: a resync drained ${-raw} bytes more than were out of sync (device ${this.deviceSize} bytes)`);
    invariant(raw <= this.deviceSize * (1 + 1e-12), () => `${this.label}: ${raw} bytes out of sync on a device of ${this.deviceSize} bytes`);
    const d = Math.max(0, raw);
    if (m.kind === 'marking' && m.drain > 0) {
      // Set and cleared both moved: the drain's bytes were cleared, the rest set.
      const cleared = m.drain * (t - this.t0) - Math.max(0, -raw);
      this.clearedTotal += cleared;
      this.setTotal += d - this.d0 + cleared;
    } else if (d > this.d0) this.setTotal += d - this.d0;
    else this.clearedTotal += this.d0 - d;
    this.run0 = this.runLength(t);
    this.d0 = d;
    this.t0 = t;
  }

  /** Everything out of sync (initial full sync: drbdadm primary --force sets all bits, UG84-C). */
  setAll(t: Micros, maxRequest: number): void {
    this.anchor(t);
    this.jump(t);
    this.setTotal += this.deviceSize - this.d0;
    this.t0 = t;
    this.d0 = this.deviceSize;
    this.run0 = maxRequest;
    this.mode = { kind: 'steady' };
  }

  /** Adds bytes known to be out of sync (a send buffer's content at a disconnect). */
  add(t: Micros, bytes: number, run: number): void {
    this.anchor(t);
    if (bytes <= 0) return;
    this.jump(t);
    // Bytes whose bits are already set (the device is only so large) add nothing.
    const d = Math.min(this.deviceSize, this.d0 + bytes);
    this.setTotal += d - this.d0;
    this.run0 = d / (this.d0 / this.run0 + (d - this.d0) / Math.max(run, 1));
    this.d0 = d;
  }

  clear(t: Micros): void {
    this.anchor(t);
    this.jump(t);
    this.clearedTotal += this.d0;
    this.t0 = t;
    this.d0 = 0;
    this.mode = { kind: 'steady' };
  }

  /** Writes at `bytesPerSecond` mark bits from t on, while a resync clears `drainPerSecond` (0: none). */
  mark(t: Micros, bytesPerSecond: number, writeSize: number, random: number, workingSet: number, maxRequest: number, drainPerSecond = 0): void {
    this.anchor(t);
    if (bytesPerSecond <= 0) {
      this.mode = drainPerSecond > 0 ? { kind: 'draining', rate: drainPerSecond / 1e6 } : { kind: 'steady' };
      return;
    }
    // A random write dirties a whole bit; consecutive sequential writes share theirs (§5: chunked bitmaps).
    const amplification = random * Math.max(1, this.granularity / writeSize) + (1 - random);
    const run = 1 / (random / Math.max(writeSize, this.granularity) + (1 - random) / maxRequest);
    this.mode = { kind: 'marking', rate: bytesPerSecond / 1e6, amplification, workingSet: Math.min(workingSet, this.deviceSize), run, drain: Math.max(0, drainPerSecond) / 1e6 };
  }

  drain(t: Micros, bytesPerSecond: number): void {
    this.anchor(t);
    this.mode = bytesPerSecond > 0 ? { kind: 'draining', rate: bytesPerSecond / 1e6 } : { kind: 'steady' };
  }

  steady(t: Micros): void {
    this.anchor(t);
    this.mode = { kind: 'steady' };
  }

  /** When a drain empties the set (NEVER when not draining). */
  emptyAt(t: Micros): Micros {
    const m = this.mode;
    if (m.kind === 'marking' && m.drain > 0) {
      // d(t) = top − (top − d0)·e^(−k·t) reaches 0 only when the drain outruns the marking (top < 0).
      const k = (m.rate * m.amplification) / m.workingSet;
      const top = m.workingSet - m.drain / k;
      if (top >= 0) return NEVER;
      if (this.d0 <= 0) return t;
      return Math.max(t, Math.ceil(this.t0 - Math.log(top / (top - this.d0)) / k)) as Micros;
    }
    if (m.kind !== 'draining') return NEVER;
    const d = this.dirty(t);
    if (d <= 0) return t;
    return Math.max(t, Math.ceil(this.t0 + this.d0 / m.rate)) as Micros;
  }
}
