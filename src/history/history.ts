/**
 * The run's history: everything the checkers and the report may know about the simulated world. Models
 * write to it; checkers and the report read only from it (Jepsen's "one history, small checkers").
 */
import type { Micros } from '../engine/time.ts';
import type { Lsn } from '../models/postgres/lsn.ts';
import type { Timeline } from '../models/postgres/timeline.ts';
import { renderLogLine, type LogLine } from '../models/postgres/messages.ts';
import { BlockHistory } from './block.ts';
import { StorageHistory } from './storage.ts';
import { ReplicationHistory } from './replication.ts';
import { ServerChatter } from './chatter.ts';
import { canonical, factKey, type Fact } from './facts/index.ts';
import type { WriteCauseFact } from './facts/writes.ts';
import type { WriteEndFact } from './facts/write-end.ts';
import type { HorizonHolder } from './facts/vacuum.ts';
import type { DecidedBy } from './facts/managers.ts';

export type EventKind =
  | 'plan'
  | 'fault'
  | 'promote'
  | 'timeline'
  | 'replication'
  | 'follow'
  | 'stuck'
  | 'diverged'
  | 'fatal'
  | 'failover'
  | 'routing'
  | 'writes'
  | 'setting'
  | 'lifecycle'
  | 'checkpoint'
  | 'vacuum'
  | 'xid'
  | 'alert'
  | 'lock';

export interface SimEvent {
  readonly at: Micros;
  readonly cluster: string | null;
  readonly node: string | null;
  readonly kind: EventKind;
  /** What happened, as data (history/facts); the report's renderers write it as prose. */
  readonly fact: Fact;
  /** Lines a real server would have logged for this event. */
  readonly log: readonly string[];
  /**
   * Every line the server writes for this event in order, its chatter (messages.ts LogLine.chatter, which the
   * reports hide) included; absent when there is none (then it is `log`).
   */
  readonly serverLog?: readonly string[];
  /** Identical consecutive events of one node collapse into one with a repeat count. */
  /**
   * The same message again: how many times in all, when last, and when the second time (null: unknown, a
   * message logged at a rate). A retry loop's second attempt often comes at once and the next ones an interval
   * apart (xlogrecovery.c: the first failure is retried at once), so the report tells the two apart.
   */
  repeat: { count: number; last: Micros; second: Micros | null } | null;
}

/**
 * A node started or stopped receiving WAL, and why: the facts a cause chain is built from. `waiting` also
 * covers a cut path the walreceiver has not noticed yet (nothing arrives, whatever pg_stat_wal_receiver says).
 */
export interface ReceiverTransition {
  readonly at: Micros;
  readonly node: string;
  readonly status: 'streaming' | 'waiting' | 'stopped';
  readonly reason: WaitReason | null;
  /** Position of the node's WAL (what it received: its write position) at the transition. */
  readonly lsn: Lsn;
  readonly tli: number;
  readonly upstream: string | null;
  /** What happened, as a fact (the same as the event's, when one was logged). */
  readonly detail: Fact;
}

export type WaitReason =
  | 'end-of-timeline'
  | 'timeline-not-followed'
  | 'new-timeline-forked-before-replay'
  | 'new-timeline-not-a-child'
  | 'not-in-upstream-history'
  | 'upstream-behind'
  | 'upstream-unreachable'
  | 'upstream-down'
  | 'receiver-timeout'
  | 'wal-removed'
  /** primary_slot_name names no physical slot on the upstream, or (18+) an invalidated one. */
  | 'slot-unusable'
  /** Not a failure: the startup process takes WAL from the archive (restore_command) before streaming. */
  | 'restoring-from-archive'
  | 'ahead-of-flush'
  | 'timeline-mismatch-9.2'
  | 'system-identifier-differs'
  | 'no-upstream'
  /** The upstream refuses one more replication connection (max_wal_senders; walsenders.ts). */
  | 'wal-senders-exhausted'
  /** The standby's own pg_wal volume is full: its walreceiver cannot create the next segment (storage.ts). */
  | 'pg-wal-full';

/** Who asked for a promotion: the plan, or a failover manager with its policy and reasoning. */
/** `why`: the manager's reason, as a fact. */
export type PromotionCause = { readonly kind: 'plan' } | { readonly kind: 'failover'; readonly policy: string; readonly why: Fact };

export interface PromotionRecord {
  readonly at: Micros;
  readonly cluster: string;
  readonly node: string;
  readonly timeline: Timeline;
  readonly switchpoint: Lsn;
  readonly by: PromotionCause;
}

/**
 * One continuous span of writes accepted by one node on one timeline. Commits are a fluid: a counter
 * `tx` that is a piecewise-linear function of the LSN (breakpoints where WAL per transaction changes);
 * commit k (k = 1, 2, ...) ends at the LSN where tx reaches k. Acknowledgements are a piecewise-linear
 * curve of (time, LSN acknowledged). Counting with floor(tx(lsn)) telescopes: counts are exact integers
 * and add up across any split, so acknowledged = surviving + lost holds by construction.
 */
export interface WriteTerm {
  readonly id: number;
  readonly cluster: string;
  readonly node: string;
  readonly timeline: Timeline;
  readonly startLsn: Lsn;
  readonly startAt: Micros;
  /** (lsn, tx) breakpoints; beyond the last, tx grows by 1 per `walPerTx` bytes. */
  readonly commitMap: { lsn: Lsn; tx: number; walPerTx: number }[];
  /** (time, acknowledged LSN) breakpoints, non-decreasing in both. */
  readonly ackCurve: { at: Micros; lsn: Lsn }[];
  /** Set when a crash lost the term's WAL past `lsn` before it was flushed (synchronous_commit = off). */
  truncated?: { readonly lsn: Lsn; readonly at: Micros; readonly cause: Fact };
  /**
   * Commits released from their wait for the synchronous standbys without their confirmation (from, to]: a
   * cancelled wait answers COMMIT with a WARNING, a terminated one closes the connection (writes.ts endWaits);
   * 'restart': commits still waiting when the server stopped or crashed, visible once it runs as a primary again
   * (writes.ts releaseAtRestart).
   */
  released?: { readonly at: Micros; readonly from: Lsn; readonly to: Lsn; readonly how: 'cancel' | 'terminate' | 'restart' }[];
}

/** Fluid commit counter of a term at an LSN: commit k ends where it reaches k. */
export function txAt(term: WriteTerm, lsn: Lsn): number {
  let seg = term.commitMap[0]!;
  for (const m of term.commitMap) {
    if (m.lsn <= lsn) seg = m;
    else break;
  }
  return seg.tx + Math.max(0, lsn - seg.lsn) / seg.walPerTx;
}

/** What a workload's requests get (rates, per second, from `at` until the next record) or queued requests lost at `at`. */
export type RequestRecord =
  | { readonly cluster: string; readonly workload: string; readonly at: Micros; readonly kind: 'rates'; readonly offered: number; readonly succeeded: number; readonly waited: number; readonly failed: number }
  | { readonly cluster: string; readonly workload: string; readonly at: Micros; readonly kind: 'lost'; readonly count: number };

export interface WriteStatusInterval {
  readonly cluster: string;
  /** The client pool (workload) whose writes failed or waited. */
  readonly workload: string;
  /** The node writes were routed to. */
  readonly node: string | null;
  readonly kind: 'outage' | 'stall';
  readonly from: Micros;
  to: Micros | null;
  /** Why, as data (history/facts/writes.ts); the report renders it. */
  readonly cause: WriteCauseFact;
  /** Worst commit latency seen (stalls), ms. */
  maxLatencyMs: number | null;
  /** How it ended, as the model saw it when it closed the interval (history/facts/write-end.ts); null while open or unknown. */
  end: WriteEndFact | null;
}

/** Says how a closing write-status interval ended, given the status that follows it (models/postgres/write-ends.ts). */
export interface WriteEnder {
  endOf(open: WriteStatusInterval, next: { kind: 'outage' | 'stall'; cause: WriteCauseFact; node: string | null } | null, at: Micros): WriteEndFact;
}

export interface FailoverDecision {
  readonly at: Micros;
  readonly cluster: string;
  readonly policy: string;
  readonly chosen: string | null;
  /** Per candidate, why it was chosen or refused (or why no candidate was considered), as facts. */
  readonly reasons: readonly Fact[];
  /** What the manager saw that made it decide (its checks, its DCS view). */
  readonly saw?: Fact;
  /** The real system's source of the rule it applied ('patroni/ha.py:Ha._is_healthiest_node'). */
  readonly rule?: string;
  /** Who decided: the manager's name (a Patroni agent's node, a Raft member), when there are several. */
  readonly by?: DecidedBy;
}

/** A point of the per-node WAL position series (for charts): sampled at every rate change. */
export interface PositionSample {
  readonly at: Micros;
  readonly node: string;
  readonly lsn: Lsn;
  readonly tli: number;
}

/** A horizon holder (a stopped slot's consumer, a long transaction) from when to when. */
export interface HoldRecord {
  readonly cluster: string;
  readonly holder: string;
  readonly kind: 'xmin' | 'catalog_xmin' | 'restart_lsn';
  readonly xid: number;
  readonly since: Micros;
  until: Micros | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface VacuumRecord {
  readonly cluster: string;
  readonly node: string;
  readonly table: string;
  readonly from: Micros;
  readonly to: Micros;
  readonly mode: 'regular' | 'aggressive' | 'failsafe';
  readonly bytesPerSecond: number;
  readonly ageBefore: number;
  readonly ageAfter: number;
  /** The holder that kept it from freezing or from removing dead rows (its name, as hold records name it), or null. */
  readonly blockedBy: string | null;
  /** That holder as data, for the report to word. */
  readonly holder?: HorizonHolder | null;
  /** Why it ran: anti-wraparound, dead rows, inserts (autovacuum), manual, single-user. */
  readonly trigger?: string;
  /** Cancelled (a conflicting lock request, a shutdown): nothing it did was kept. */
  readonly canceled?: boolean;
  /** Dead rows removed, and those it had to leave because a holder could still see them. */
  readonly deadRemoved?: number;
  readonly deadKept?: number;
  /**
   * Runs this record stands for: consecutive runs of the table held back by the same holder (or cancelled)
   * are one record, as identical consecutive events are one event (an autovacuum retry loop runs thousands of
   * times); `from` is the first run's start, `to` the last one's end, `busy` their time vacuuming (µs).
   */
  readonly runs?: number;
  readonly busy?: number;
}

/** A party of a lock queue: who holds or waits for which mode since when. */
export interface LockParty {
  readonly who: string;
  readonly mode: string;
  readonly since: Micros;
  readonly waiting: boolean;
}

/**
 * Table locks (models/postgres/locks): a statement's wait for its lock and how it ended, or a workload's
 * queries queued behind a lock (a fluid: how many arrived, were served, failed, or waited past the stall
 * threshold), each with the chain of who held and who waited ahead.
 */
export type LockRecord =
  | {
      readonly kind: 'wait';
      readonly cluster: string;
      readonly table: string;
      readonly who: string;
      readonly mode: string;
      readonly from: Micros;
      readonly to: Micros;
      readonly outcome: 'granted' | 'not-available' | 'lock_timeout' | 'statement_timeout' | 'deadlock' | 'canceled' | 'still waiting at the end';
      readonly chain: readonly LockParty[];
    }
  | {
      readonly kind: 'queue';
      readonly cluster: string;
      readonly table: string;
      readonly workload: string;
      readonly mode: string;
      readonly from: Micros;
      readonly to: Micros;
      readonly arrived: number;
      readonly served: number;
      readonly failed: number;
      readonly slow: number;
      readonly chain: readonly LockParty[];
    };

/** A sample of a metric; between samples the value changes at `rate` per microsecond. */
export interface MetricSample {
  readonly at: Micros;
  readonly cluster: string;
  readonly name: string;
  readonly value: number;
  readonly rate: number;
}

/** How much of a long run the history keeps in memory (see History.position and History.capEvents). */
export interface HistoryLimits {
  /** Position samples for charts (downsampled beyond this). */
  readonly positions: number;
  /** Events for the report (the first half and the most recent beyond this). */
  readonly events: number;
  /** Metric samples (XID ages, ...): thinned beyond this, keeping each series' turning points. */
  readonly metrics: number;
  /** Vacuum runs (an autovacuum retry loop runs thousands): the first half and the most recent beyond this. */
  readonly vacuums?: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { positions: 200_000, events: 50_000, metrics: 200_000, vacuums: 50_000 };

export class History {
  private readonly lastPosition = new Map<string, PositionSample>();
  private readonly positionCount = new Map<string, number>();
  /** Only every positionStride-th sample of a node is recorded (doubles at each downsampling). */
  private positionStride = 1;
  private omittedEvents = 0;
  private firstOmittedAt = 0 as Micros;
  private readonly lastMetric = new Map<string, MetricSample>();

  constructor(readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  readonly events: SimEvent[] = [];
  readonly receiverTransitions: ReceiverTransition[] = [];
  readonly promotions: PromotionRecord[] = [];
  readonly terms: WriteTerm[] = [];
  readonly writeStatus: WriteStatusInterval[] = [];
  /** Per workload, what its requests get (transactions per second) from `at` on, and queued requests lost at once (models/postgres/load.ts). */
  readonly requests: RequestRecord[] = [];
  private readonly lastRequests = new Map<string, string>();
  readonly failoverDecisions: FailoverDecision[] = [];
  readonly positions: PositionSample[] = [];
  /** Block replication: stalls with their back-pressure chains, failover losses, latency and buffer series. */
  readonly block = new BlockHistory((s) => this.mix(s));
  /** WAL storage: each server's pg_wal and replication slots (history/storage.ts). */
  readonly storage = new StorageHistory((s) => this.mix(s));
  /** Replication state samples and plans for the verdicts (split brain, no primary, broken standbys, redundancy). */
  readonly replication = new ReplicationHistory((s) => this.mix(s));
  /** Log lines a server writes by itself outside any event (history/chatter.ts): for the conformance harness. */
  readonly chatter = new ServerChatter();
  readonly holds: HoldRecord[] = [];
  readonly vacuums: VacuumRecord[] = [];
  readonly locks: LockRecord[] = [];
  readonly metrics: MetricSample[] = [];
  private readonly lastEventOfNode = new Map<string, SimEvent>();
  /** factKey of each node's last event (what identical consecutive events are compared by). */
  private readonly lastKeyOfNode = new Map<string, string>();
  private nextTermId = 1;
  /** Running hash of everything recorded: two runs of one scenario and seed must end with the same value. */
  private digest = 0x811c9dc5;
  private recorded = 0;

  /**
   * Records an event, a fact (data; its prose is the renderers'); returns it (or the earlier identical one it
   * was collapsed into).
   */
  event(at: Micros, cluster: string | null, node: string | null, kind: EventKind, what: Fact, log: readonly (LogLine | null)[] = []): SimEvent {
    const fact = what;
    const lines = log.filter((l): l is LogLine => l !== null && !l.chatter).map(renderLogLine);
    const serverLog = log.some((l) => l?.chatter) ? log.filter((l): l is LogLine => l !== null).map(renderLogLine) : null;
    const factId = factKey(fact);
    this.mix(`${at}|${node}|${kind}|${factId}|${(serverLog ?? lines).join('\n')}`);
    const key = node ?? `cluster:${cluster}`;
    const prev = this.lastEventOfNode.get(key);
    if (prev && prev.kind === kind && this.lastKeyOfNode.get(key) === factId && prev.log.join('\n') === lines.join('\n')) {
      if (prev.repeat) {
        prev.repeat.count++;
        prev.repeat.last = at;
      } else prev.repeat = { count: 2, last: at, second: at };
      return prev;
    }
    // Chatter does not tell two events apart: a repeat keeps its first occurrence's (a retry loop's complaints
    // about the same end of WAL are logged once by the server too: xlogrecovery.c emode_for_corrupt_record).
    const ev: SimEvent = { at, cluster, node, kind, fact, log: lines, ...(serverLog ? { serverLog } : {}), repeat: null };
    this.events.push(ev);
    this.lastEventOfNode.set(key, ev);
    this.lastKeyOfNode.set(key, factId);
    if (this.events.length > this.limits.events) this.capEvents();
    return ev;
  }

  /**
   * The same event once more at `at`, when it is still its node's last one (the cheap path for a retry loop's
   * identical events): true when counted, false when the caller must record it with event().
   */
  repeatIfLast(ev: SimEvent, at: Micros): boolean {
    const key = ev.node ?? `cluster:${ev.cluster}`;
    if (this.lastEventOfNode.get(key) !== ev) return false;
    if (ev.repeat) {
      ev.repeat.count++;
      ev.repeat.last = at;
    } else ev.repeat = { count: 2, last: at, second: at };
    this.mixNumbers(at);
    return true;
  }

  /**
   * An event that stands for a message logged at a rate (every XID assignment past the warn limit): once the
   * rate stops, how many times it was logged and when last.
   */
  repeated(ev: SimEvent, count: number, last: Micros): void {
    if (count < 2) return;
    ev.repeat = { count, last, second: null };
    this.mix(`repeat|${ev.at}|${factKey(ev.fact)}|${count}|${last}`);
  }

  /**
   * The last event of `node` happened `count` more times, the first of them at `first` and the last at `last`
   * (a retry loop the model did not run attempt by attempt because nothing could change its outcome:
   * models/postgres/retry.ts).
   */
  repeatLast(node: string, count: number, first: Micros, last: Micros): void {
    const prev = this.lastEventOfNode.get(node);
    if (prev) this.repeatEvent(prev, count, first, last);
  }

  /** `ev` happened `count` more times, the first of them at `first` and the last at `last` (whatever came since). */
  repeatEvent(ev: SimEvent, count: number, first: Micros, last: Micros): void {
    if (count <= 0) return;
    this.mix(`repeat|${ev.node ?? `cluster:${ev.cluster}`}|${count}|${last}`);
    if (ev.repeat) {
      ev.repeat.count += count;
      ev.repeat.last = last;
    } else ev.repeat = { count: count + 1, last, second: first };
  }

  receiver(t: ReceiverTransition): void {
    this.mix(`rx|${t.at}|${t.node}|${t.status}|${t.reason}|${t.lsn}|${t.tli}`);
    this.receiverTransitions.push(t);
  }

  promotion(p: PromotionRecord): void {
    this.mix(`promote|${p.at}|${p.node}|${p.timeline.tli}|${p.switchpoint}`);
    this.promotions.push(p);
  }

  newTerm(cluster: string, node: string, timeline: Timeline, startLsn: Lsn, startAt: Micros, walPerTx: number): WriteTerm {
    const term: WriteTerm = {
      id: this.nextTermId++,
      cluster,
      node,
      timeline,
      startLsn,
      startAt,
      commitMap: [{ lsn: startLsn, tx: 0, walPerTx }],
      ackCurve: [{ at: startAt, lsn: startLsn }],
    };
    this.mix(`term|${term.id}|${node}|${timeline.tli}|${startLsn}|${startAt}`);
    this.terms.push(term);
    return term;
  }

  holdStart(h: HoldRecord): void {
    this.mix(`hold|${h.cluster}|${h.holder}|${h.xid}|${h.since}`);
    this.holds.push(h);
  }

  holdEnd(cluster: string, holder: string, at: Micros): void {
    const open = this.holds.findLast((h) => h.cluster === cluster && h.holder === holder && h.until === null);
    if (open) {
      open.until = at;
      this.mix(`unhold|${cluster}|${holder}|${at}`);
    }
  }

  vacuum(v: VacuumRecord): void {
    // Numbers mixed as numbers: a retry loop records hundreds of thousands of runs.
    this.mix(v.table);
    this.mixNumbers(v.from, v.to, v.ageAfter, v.canceled ? 1 : 0);
    const key = `${v.cluster}\u0000${v.table}`;
    const last = this.lastVacuumOfTable.get(key);
    // The table's previous record (records of other tables may come between).
    if ((v.blockedBy !== null || v.canceled === true) && last !== undefined && last.mode === v.mode && last.trigger === v.trigger && last.blockedBy === v.blockedBy && (last.canceled ?? false) === (v.canceled ?? false)) {
      last.to = v.to;
      last.ageAfter = v.ageAfter;
      last.bytesPerSecond = v.bytesPerSecond;
      last.deadKept = v.deadKept;
      last.runs = (last.runs ?? 1) + 1;
      last.busy = (last.busy ?? last.to - last.from) + (v.to - v.from);
      return;
    }
    const rec: Mutable<VacuumRecord> = { ...v, runs: 1, busy: v.to - v.from };
    this.lastVacuumOfTable.set(key, rec);
    this.vacuums.push(rec);
    // Bounded like events: beyond the limit the first half and the most recent are kept (the fingerprint covers all).
    const cap = this.limits.vacuums ?? DEFAULT_HISTORY_LIMITS.vacuums!;
    if (this.vacuums.length > cap) {
      const half = Math.floor(cap / 2);
      this.omittedVacuums += this.vacuums.splice(half, Math.floor(half / 2)).length;
    }
  }

  /**
   * One more run like `last`, the table's latest record (a retry loop's runs computed ahead): what
   * vacuum({...last, from, to, ageBefore: ageAfter, ageAfter, bytesPerSecond, deadKept}) records, without
   * building the record (a loop has hundreds of thousands of runs).
   */
  vacuumAgain(last: VacuumRecord, from: Micros, to: Micros, ageAfter: number, bytesPerSecond: number, deadKept: number | undefined): void {
    const rec = this.lastVacuumOfTable.get(`${last.cluster}\u0000${last.table}`);
    if (rec !== last || last.blockedBy === null) {
      this.vacuum({ ...last, from, to, ageBefore: ageAfter, ageAfter, bytesPerSecond, deadKept });
      return;
    }
    this.mix(last.table);
    this.mixNumbers(from, to, ageAfter, last.canceled ? 1 : 0);
    rec.to = to;
    rec.ageAfter = ageAfter;
    rec.bytesPerSecond = bytesPerSecond;
    rec.deadKept = deadKept;
    rec.runs = (rec.runs ?? 1) + 1;
    rec.busy = (rec.busy ?? 0) + (to - from);
  }

  /** Vacuum records dropped by the cap (docs/properties.md: bounded memory). */
  omittedVacuums = 0;
  private readonly lastVacuumOfTable = new Map<string, Mutable<VacuumRecord>>();

  /** The latest record of a table's vacuums (it may stand for several runs). */
  lastVacuum(cluster: string, table: string): VacuumRecord | undefined {
    return this.lastVacuumOfTable.get(`${cluster}\u0000${table}`);
  }


  lock(r: LockRecord): void {
    this.mix(`lock|${r.kind}|${r.table}|${r.kind === 'wait' ? r.who : r.workload}|${r.from}|${r.to}|${r.kind === 'wait' ? r.outcome : `${r.arrived}|${r.failed}`}`);
    this.locks.push(r);
  }

  metric(m: MetricSample): void {
    const key = `${m.cluster}\u0000${m.name}`;
    const last = this.lastMetric.get(key);
    if (last && last.rate === m.rate && Math.abs(last.value + last.rate * (m.at - last.at) - m.value) < 1) return;
    this.mix(`metric|${m.at}|${m.cluster}|${m.name}|${m.value}|${m.rate}`);
    this.lastMetric.set(key, m);
    this.metrics.push(m);
    if (this.metrics.length > this.limits.metrics) this.thinMetrics();
  }

  /**
   * Memory stays bounded: beyond `limits.metrics` samples every other sample of a series is dropped, except
   * its first and last and its turning points (a local maximum or minimum), so the peaks the XID checks
   * report survive exactly and the lines between them get coarser.
   */
  private thinMetrics(): void {
    const bySeries = new Map<string, number[]>();
    this.metrics.forEach((m, i) => {
      const key = `${m.cluster}\u0000${m.name}`;
      const list = bySeries.get(key);
      if (list) list.push(i);
      else bySeries.set(key, [i]);
    });
    const keep = new Uint8Array(this.metrics.length);
    for (const idx of bySeries.values()) {
      idx.forEach((i, k) => {
        const v = this.metrics[i]!.value;
        const prev = k > 0 ? this.metrics[idx[k - 1]!]!.value : null;
        const next = k < idx.length - 1 ? this.metrics[idx[k + 1]!]!.value : null;
        const turning = prev === null || next === null || (v >= prev && v >= next) || (v <= prev && v <= next);
        if (turning || k % 2 === 0) keep[i] = 1;
      });
    }
    let w = 0;
    for (let i = 0; i < this.metrics.length; i++) if (keep[i]) this.metrics[w++] = this.metrics[i]!;
    this.metrics.length = w;
  }

  failover(d: FailoverDecision): void {
    this.mix(`failover|${d.at}|${d.chosen}|${d.reasons.map(factKey).join(';')}|${d.saw ? factKey(d.saw) : ''}|${d.by ? canonical(d.by) : ''}`);
    this.failoverDecisions.push(d);
  }

  /**
   * Position samples are for charts. Memory stays bounded: when `limits.positions` samples are held, every
   * other sample of each node is dropped (its first and last, and every timeline change, are kept) and from
   * then on only every `positionStride`-th sample of a node is recorded, again with every timeline change.
   * Charts draw straight lines between samples, so a long run is drawn at a coarser, even resolution.
   */
  position(s: PositionSample): void {
    this.mix(`pos|${s.at}|${s.node}|${s.tli}|${s.lsn}`);
    const last = this.lastPosition.get(s.node);
    const n = (this.positionCount.get(s.node) ?? 0) + 1;
    this.positionCount.set(s.node, n);
    if (last && last.tli === s.tli && n % this.positionStride !== 0) return;
    this.positions.push(s);
    this.lastPosition.set(s.node, s);
    if (this.positions.length >= this.limits.positions) this.downsamplePositions();
  }

  private downsamplePositions(): void {
    const seen = new Map<string, { i: number; tli: number }>();
    const lastIndex = new Map<string, number>();
    this.positions.forEach((p, i) => lastIndex.set(p.node, i));
    let w = 0;
    for (let i = 0; i < this.positions.length; i++) {
      const p = this.positions[i]!;
      const prev = seen.get(p.node);
      const keep = !prev || prev.tli !== p.tli || prev.i % 2 === 1 || lastIndex.get(p.node) === i;
      seen.set(p.node, { i: (prev?.i ?? -1) + 1, tli: p.tli });
      if (keep) this.positions[w++] = p;
    }
    this.positions.length = w;
    this.positionStride *= 2;
  }

  /**
   * Events beyond `limits.events`: the first half is kept, then one marker event saying how many were
   * omitted, then the most recent ones (the fingerprint still covers every event).
   */
  private capEvents(): void {
    const half = Math.floor(this.limits.events / 2);
    const hasMarker = this.omittedEvents > 0;
    const from = hasMarker ? half + 1 : half;
    // Drop a quarter of the limit at once: capping costs O(1) per event, amortised.
    const removed = this.events.splice(from, this.events.length - this.limits.events + Math.floor(half / 2));
    if (!hasMarker) this.firstOmittedAt = removed[0]!.at;
    this.omittedEvents += removed.length;
    const marker: SimEvent = {
      at: this.firstOmittedAt,
      cluster: null,
      node: null,
      kind: 'lifecycle',
      fact: { kind: 'events-omitted', count: this.omittedEvents, until: this.events[from]?.at ?? removed.at(-1)!.at, limit: this.limits.events },
      log: [],
      repeat: null,
    };
    if (hasMarker) this.events[half] = marker;
    else this.events.splice(half, 0, marker);
  }

  /** The last event of `node` (the one a repeat of it would be counted on). */
  lastEventOf(node: string): SimEvent | undefined {
    return this.lastEventOfNode.get(node);
  }

  /** Open or close a write-status interval (outage or stall) of a cluster. */
  /** A workload's request rates from `at` on (recorded when they change), or `lost` queued requests failing at `at`. */
  requestRates(key: { cluster: string; workload: string }, at: Micros, rates: { offered: number; succeeded: number; waited: number; failed: number }, lost = 0): void {
    const id = `${key.cluster}|${key.workload}`;
    const text = `${rates.offered}|${rates.succeeded}|${rates.waited}|${rates.failed}`;
    if (lost > 0) {
      // Literals, not spreads: V8 gives `{ ...x, y }` a new hidden class at every call (docs/performance.md).
      this.requests.push({ cluster: key.cluster, workload: key.workload, at, kind: 'lost', count: lost });
      this.mix(`rl|${id}|${at}|${lost}`);
    }
    if (this.lastRequests.get(id) === text) return;
    this.lastRequests.set(id, text);
    this.requests.push({ cluster: key.cluster, workload: key.workload, at, kind: 'rates', offered: rates.offered, succeeded: rates.succeeded, waited: rates.waited, failed: rates.failed });
    this.mix(`rr|${id}|${at}|${text}`);
  }

  /**
   * Requests of a workload have waited `ms` by `at`, queued in their pool (models/postgres/writes.ts, at each
   * recomputation and at the end: a queue's wait is linear between them, so its longest is at one of them):
   * the open stall's longest wait, if it is longer.
   */
  raiseQueueWait(key: { cluster: string; workload: string }, at: Micros, ms: number): void {
    const open = this.writeStatus.findLast((w) => w.cluster === key.cluster && w.workload === key.workload && w.to === null);
    if (!open || open.kind !== 'stall' || open.maxLatencyMs === null || ms <= open.maxLatencyMs) return;
    open.maxLatencyMs = ms;
    this.mix(`wl|${key.cluster}|${key.workload}|${at}|${ms}`);
  }

  setWriteStatus(
    key: { cluster: string; workload: string },
    at: Micros,
    status: { kind: 'outage' | 'stall'; cause: WriteCauseFact; node: string | null; maxLatencyMs?: number | null } | null,
    ender?: WriteEnder,
  ): void {
    const { cluster, workload } = key;
    const open = this.writeStatus.findLast((w) => w.cluster === cluster && w.workload === workload && w.to === null);
    const cause = status ? factKey(status.cause) : '';
    if (open && status && open.kind === status.kind && factKey(open.cause) === cause) {
      // The same stall goes on: its longest wait is the longest seen at any recomputation (a pool's queue).
      const ms = status.maxLatencyMs ?? null;
      if (ms !== null && open.maxLatencyMs !== null && ms > open.maxLatencyMs) {
        open.maxLatencyMs = ms;
        this.mix(`wl|${cluster}|${workload}|${at}|${ms}`);
      }
      return;
    }
    if (open) {
      open.to = at;
      open.end = ender ? ender.endOf(open, status, at) : null;
    }
    if (status) {
      this.writeStatus.push({ cluster, workload, node: status.node, kind: status.kind, from: at, to: null, cause: status.cause, maxLatencyMs: status.maxLatencyMs ?? null, end: null });
    }
    this.mix(`ws|${cluster}|${workload}|${at}|${status?.kind}|${cause}`);
  }

  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  /** FNV-1a over the bits of each number (cheaper than formatting them). */
  mixNumbers(...xs: number[]): void {
    let h = this.digest;
    for (const x of xs) {
      this.f64[0] = x;
      h ^= this.u32[0]!;
      h = Math.imul(h, 0x01000193);
      h ^= this.u32[1]!;
      h = Math.imul(h, 0x01000193);
    }
    this.digest = h >>> 0;
    this.recorded++;
  }

  mix(s: string): void {
    let h = this.digest;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.digest = h >>> 0;
    this.recorded++;
  }

  /**
   * FNV-1a over everything recorded (events, walreceiver transitions, promotions, write terms and status,
   * positions, metrics, holds, vacuums, failover decisions, block records), then over each write term's
   * acknowledgement curve and commit map as they stand: the determinism fingerprint.
   */
  get fingerprint(): string {
    let h = this.digest;
    let n = this.recorded;
    const mix = (x: string): void => {
      for (let i = 0; i < x.length; i++) {
        h ^= x.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
      }
      n++;
    };
    for (const t of this.terms) {
      for (const a of t.ackCurve) mix(`ack|${t.id}|${a.at}|${a.lsn}`);
      for (const c of t.commitMap) mix(`tx|${t.id}|${c.lsn}|${c.tx}|${c.walPerTx}`);
      if (t.truncated) mix(`truncated|${t.id}|${t.truncated.lsn}|${t.truncated.at}`);
    }
    return `${n}:${(h >>> 0).toString(16).padStart(8, '0')}`;
  }
}
