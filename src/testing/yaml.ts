/**
 * Any decoded Scenario printed back as a scenario file (docs/scenario.md) that `replsim run` replays and
 * that src/scenario/load.ts decodes to an equal Scenario (the `file` field aside). Property tests use it to
 * print a shrunk counterexample as a file one can run.
 *
 * Every value is printed exactly: times as "+DURATION" after the start in microsecond-exact units,
 * sizes and bandwidths in a unit that divides them, LSNs as %X/%X, rates as plain numbers per second.
 */
import type { SubscriptionSpec } from '../scenario/types-logical.ts';
import { Document, isMap, isSeq, type Node } from 'yaml';
import { printSynchronousStandbyNames } from '../models/postgres/guc.ts';
import { formatDuration, formatLsn, formatSize } from '../scenario/units.ts';
import { versionName } from '../scenario/settings.ts';
import type {
  Action,
  AlertSpec,
  ClusterSpec,
  Expectation,
  NodeSpec,
  PartitionTarget,
  PgMajor,
  PgSettingsSpec,
  Scenario,
  SlotSpec,
  SynchronousStandbyNames,
  TableSpec,
  WorkloadSpec,
} from '../scenario/types.ts';

import { printBlock, printBlockStep } from './yaml-block.ts';
import type { HuntSpec } from '../scenario/grammar-hunt.ts';
import { printLockExpectation, printTableRows, printVacuumSettings, printVacuumStep, printWorkloadTable } from './yaml-vacuum.ts';
import { printFailover, printGrayFailure, printVerdictExpectation } from './yaml-managers.ts';

const DEFAULT_SEGMENT = 16 * 1024 * 1024;

/** A point in simulated time as the scenario grammar writes it: "+1m30s" after the start. */
export function printTime(at: number): string {
  return `+${formatDuration(at)}`;
}

function printDuration(us: number): string | number {
  return us === 0 ? 0 : formatDuration(us);
}

function printSize(bytes: number): string | number {
  return bytes === 0 ? 0 : formatSize(bytes);
}

/** Bytes per second in the largest exact unit: bits per second when a whole number of them, else B/s. */
export function printBandwidth(bytesPerSecond: number): string {
  const bits = bytesPerSecond * 8;
  for (const [unit, f] of [['Gbps', 1e9], ['Mbps', 1e6], ['kbps', 1e3]] as const) {
    if (bits >= f && Number.isInteger(bits / f) && (bits / f) * (f / 8) === bytesPerSecond) return `${bits / f}${unit}`;
  }
  if (Number.isInteger(bytesPerSecond)) return `${bytesPerSecond}B/s`;
  throw new RangeError(`bandwidth ${bytesPerSecond} B/s cannot be written exactly`);
}

function printHunt(h: HuntSpec): Record<string, unknown> {
  return {
    faults: h.options.map((o) => (o.target.kind === 'node' ? { kind: o.kind, nodes: [o.target.node] } : { kind: o.kind, links: [[...o.target.sites]] })),
    count: { at_least: h.count.min, at_most: h.count.max },
    between: { from: printTime(h.from), to: printTime(h.to) },
    ...(h.lasting ? { lasting: { at_least: formatDuration(h.lasting.min), at_most: formatDuration(h.lasting.max) } } : {}),
    runs: h.runs,
  };
}

export { printSynchronousStandbyNames };

function printSettings(s: PgSettingsSpec, version: PgMajor, segmentSize: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const t = s.recoveryTargetTimeline;
  if (t !== undefined) out.recovery_target_timeline = typeof t === 'string' ? t : t.tli;
  if (s.walRetrieveRetryInterval !== undefined) out.wal_retrieve_retry_interval = printDuration(s.walRetrieveRetryInterval);
  if (s.connectTimeout !== undefined) out.connect_timeout = printDuration(s.connectTimeout);
  if (s.synchronousCommit !== undefined) out.synchronous_commit = s.synchronousCommit;
  if (s.synchronousStandbyNames !== undefined) out.synchronous_standby_names = printSynchronousStandbyNames(s.synchronousStandbyNames, version);
  if (s.applicationName !== undefined) out.application_name = s.applicationName;
  if (s.walKeepSize !== undefined) {
    if (version >= 13) out.wal_keep_size = printSize(s.walKeepSize);
    else {
      const segments = s.walKeepSize / segmentSize;
      if (!Number.isInteger(segments)) throw new RangeError(`wal_keep_size ${s.walKeepSize} B is not a whole number of ${segmentSize} B segments (PostgreSQL ${versionName(version)} has wal_keep_segments)`);
      out.wal_keep_segments = segments;
    }
  }
  if (s.maxWalSize !== undefined) out.max_wal_size = printSize(s.maxWalSize);
  if (s.checkpointSegments !== undefined) out.checkpoint_segments = s.checkpointSegments;
  if (s.checkpointCompletionTarget !== undefined) out.checkpoint_completion_target = s.checkpointCompletionTarget;
  if (s.checkpointWarning !== undefined) out.checkpoint_warning = printDuration(s.checkpointWarning);
  if (s.walSegmentSize !== undefined) out.wal_segment_size = printSize(s.walSegmentSize);
  if (s.checkpointTimeout !== undefined) out.checkpoint_timeout = printDuration(s.checkpointTimeout);
  if (s.walReceiverTimeout !== undefined) out.wal_receiver_timeout = printDuration(s.walReceiverTimeout);
  if (s.walSenderTimeout !== undefined) out.wal_sender_timeout = printDuration(s.walSenderTimeout);
  if (s.walWriterDelay !== undefined) out.wal_writer_delay = printDuration(s.walWriterDelay);
  if (s.recoveryMinApplyDelay !== undefined) out.recovery_min_apply_delay = printDuration(s.recoveryMinApplyDelay);
  if (s.hotStandbyFeedback !== undefined) out.hot_standby_feedback = s.hotStandbyFeedback;
  if (s.syncReplicationSlots !== undefined) out.sync_replication_slots = s.syncReplicationSlots;
  if (s.synchronizedStandbySlots !== undefined) out.synchronized_standby_slots = s.synchronizedStandbySlots.join(', ');
  if (s.logCheckpoints !== undefined) out.log_checkpoints = s.logCheckpoints;
  if (s.walLogHints !== undefined) out.wal_log_hints = s.walLogHints;
  if (s.fullPageWrites !== undefined) out.full_page_writes = s.fullPageWrites;
  if (s.walCompression !== undefined) out.wal_compression = s.walCompression;
  if (s.dataChecksums !== undefined) out.data_checksums = s.dataChecksums;
  if (s.primarySlotName !== undefined && s.primarySlotName !== null) out.primary_slot_name = s.primarySlotName;
  if (s.archiveMode !== undefined) out.archive_mode = s.archiveMode;
  if (s.archiveCommand !== undefined) out.archive_command = s.archiveCommand;
  if (s.restoreCommand !== undefined) out.restore_command = s.restoreCommand;
  if (s.autovacuumFreezeMaxAge !== undefined) out.autovacuum_freeze_max_age = s.autovacuumFreezeMaxAge;
  if (s.vacuumFreezeMinAge !== undefined) out.vacuum_freeze_min_age = s.vacuumFreezeMinAge;
  if (s.vacuumFreezeTableAge !== undefined) out.vacuum_freeze_table_age = s.vacuumFreezeTableAge;
  if (s.vacuumFailsafeAge !== undefined) out.vacuum_failsafe_age = s.vacuumFailsafeAge;
  if (s.autovacuumNaptime !== undefined) out.autovacuum_naptime = printDuration(s.autovacuumNaptime);
  if (s.autovacuumVacuumCostLimit !== undefined) out.autovacuum_vacuum_cost_limit = s.autovacuumVacuumCostLimit;
  if (s.autovacuumVacuumCostDelay !== undefined) out.autovacuum_vacuum_cost_delay = s.autovacuumVacuumCostDelay < 0 ? -1 : printDuration(s.autovacuumVacuumCostDelay);
  if (s.vacuumCostPageMiss !== undefined) out.vacuum_cost_page_miss = s.vacuumCostPageMiss;
  if (s.vacuumCostPageDirty !== undefined) out.vacuum_cost_page_dirty = s.vacuumCostPageDirty;
  if (s.maxSlotWalKeepSize !== undefined) out.max_slot_wal_keep_size = s.maxSlotWalKeepSize === null ? -1 : printSize(s.maxSlotWalKeepSize);
  if (s.maxConnections !== undefined) out.max_connections = s.maxConnections;
  if (s.maxWalSenders !== undefined) out.max_wal_senders = s.maxWalSenders;
  if (s.maxReplicationSlots !== undefined) out.max_replication_slots = s.maxReplicationSlots;
  if (s.maxLogicalReplicationWorkers !== undefined) out.max_logical_replication_workers = s.maxLogicalReplicationWorkers;
  if (s.maxSyncWorkersPerSubscription !== undefined) out.max_sync_workers_per_subscription = s.maxSyncWorkersPerSubscription;
  if (s.superuserReservedConnections !== undefined) out.superuser_reserved_connections = s.superuserReservedConnections;
  return { ...out, ...printVacuumSettings(s) };
}

function printNode(n: NodeSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { site: n.site, version: versionName(n.version), role: n.role };
  if (n.upstream !== null) out.upstream = n.upstream;
  if (n.role === 'primary') out.timeline = n.timeline;
  const settings = printSettings(n.settings, n.version, n.settings.walSegmentSize ?? DEFAULT_SEGMENT);
  if (Object.keys(settings).length > 0) out.settings = settings;
  if (n.storage.walVolume !== null) out.wal_volume = printSize(n.storage.walVolume);
  if (n.storage.throughput !== null) out.disk_throughput = printBandwidth(n.storage.throughput);
  if (n.storage.walFsync !== undefined) out.wal_fsync = printDuration(n.storage.walFsync);
  if (n.storage.archiveThroughput !== undefined) out.archive_throughput = printBandwidth(n.storage.archiveThroughput);
  if (n.storage.restoreThroughput !== undefined) out.restore_throughput = printBandwidth(n.storage.restoreThroughput);
  if (n.storage.dataSize !== undefined) out.data_size = printSize(n.storage.dataSize);
  if (n.storage.replayRate !== undefined) out.replay_rate = printBandwidth(n.storage.replayRate);
  if (n.capacity) {
    out.capacity = `${n.capacity.txPerSecond}/s`;
    if (n.capacity.coldCache) out.cold_cache = { serves: n.capacity.coldCache.serves, warmup: printDuration(n.capacity.coldCache.warmup) };
  }
  return out;
}

function printWorkload(w: WorkloadSpec): Record<string, unknown> {
  return { target: w.target, site: w.site, rate: w.rate, wal_per_tx: printSize(w.walPerTx), ...(w.workingSet !== undefined ? { working_set: printSize(w.workingSet), pages_per_tx: w.pagesPerTx ?? 1 } : {}), connections: w.connections, ...(w.queueTimeout != null ? { queue_timeout: printDuration(w.queueTimeout) } : {}), ...(w.retries ? { retries: { count: w.retries.count, backoff: printDuration(w.retries.backoff), multiplier: w.retries.multiplier, max_backoff: printDuration(w.retries.maxBackoff) } } : {}), ...printWorkloadTable(w) };
}

function printCluster(c: ClusterSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {
    start_lsn: formatLsn(c.startLsn),
    wal_archive: c.walArchive,
    nodes: Object.fromEntries(c.nodes.map((n) => [n.name, printNode(n)])),
  };
  if (c.workloads.length === 1 && c.workloads[0]!.name === 'clients') out.workload = printWorkload(c.workloads[0]!);
  else if (c.workloads.length > 0) out.workloads = Object.fromEntries(c.workloads.map((w) => [w.name, printWorkload(w)]));
  if (c.failover.length === 1) out.failover = printFailover(c.failover[0]!);
  else if (c.failover.length > 1) out.failover = c.failover.map(printFailover);
  if (c.databases.length > 0) out.databases = Object.fromEntries(c.databases.map((d) => [d.name, { tables: Object.fromEntries(d.tables.map((t) => [t.name, printTable(t)])) }]));
  if (c.slots.length > 0) out.slots = Object.fromEntries(c.slots.map((sl) => [sl.name, printSlot(sl)]));
  if (c.archive) out.archive = { site: c.archive.site };
  return out;
}

function printTable(t: TableSpec): Record<string, unknown> {
  // churn is written per hour (decoded to bytes per second).
  const out: Record<string, unknown> = { size: printSize(t.size), catalog: t.catalog, churn: printSize(Math.round(t.churn * 3600)), vacuum_scan: t.vacuumScan };
  if (t.frozenAge !== null) out.frozen_age = t.frozenAge;
  return { ...out, ...printTableRows(t) };
}

function printSlot(sl: SlotSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { node: sl.node, type: sl.kind };
  if (sl.database !== null) out.database = sl.database;
  out.consumer = sl.consumer;
  if (sl.kind === 'physical') out.hot_standby_feedback = sl.hotStandbyFeedback;
  return out;
}

function printSubscription(x: SubscriptionSpec): Record<string, unknown> {
  return {
    publisher: x.publisher,
    subscriber: x.subscriber,
    slot: x.slot,
    database: x.database,
    apply_rate: x.applyRate,
    ...(x.serialRows !== null ? { serial_rows: x.serialRows } : {}),
    ...(x.followPrimary ? { follow_primary: true } : {}),
    ...(x.failover ? { failover: true } : {}),
    ...(x.copyData === false ? { copy_data: false } : {}),
    ...(x.copyRate !== undefined ? { copy_rate: printBandwidth(x.copyRate) } : {}),
  };
}

function printAlert(a: AlertSpec): Record<string, unknown> {
  return { name: a.name, cluster: a.cluster, metric: a.metric, above: a.metric === 'max_xid_age' ? a.above : printSize(a.above), for: printDuration(a.for) };
}

function printTarget(t: PartitionTarget): unknown {
  return t.kind === 'node' ? t.node : { sites: [...t.sites] };
}

function printAction(a: Action, nodes: ReadonlyMap<string, NodeSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = { at: printTime(a.at) };
  if (a.name !== null) out.name = a.name;
  switch (a.kind) {
    case 'block':
      return { ...out, ...printBlockStep(a.step, printBandwidth) };
    case 'restart':
    case 'stop':
      out[a.kind] = a.mode !== undefined ? { node: a.node, mode: a.mode } : a.node;
      break;
    case 'crash':
      out.crash = a.host ? { node: a.node, host: true } : a.node;
      break;
    case 'promote':
    case 'start':
      out[a.kind] = a.node;
      break;
    case 'syncSequences':
      out.sync_sequences = a.subscription;
      break;
    case 'dropSubscription':
      out.drop_subscription = a.subscription;
      break;
    case 'addColumn':
      out.add_column = { node: a.node, subscription: a.subscription };
      break;
    case 'basebackup':
    case 'reclone': {
      const b = a.spec;
      out[a.kind] = {
        ...(a.node !== null ? { node: a.node } : {}),
        ...(b.name !== null ? { name: b.name } : {}),
        from: b.from,
        checkpoint: b.checkpoint,
        wal_method: b.walMethod,
        ...(b.slot !== null ? { slot: b.slot } : {}),
        ...(b.maxRate !== null ? { max_rate: printBandwidth(b.maxRate) } : {}),
        start: b.start,
      };
      break;
    }
    case 'restoreBackup': {
      const r = a.spec;
      const t = r.target;
      out.restore_backup = {
        node: a.node,
        backup: r.backup,
        target: t.kind === 'latest' || t.kind === 'immediate' ? t.kind : t.kind === 'lsn' ? { lsn: formatLsn(t.lsn) } : { time: printTime(t.at) },
        inclusive: r.inclusive,
        action: r.action,
        ...(r.timeline !== null ? { timeline: typeof r.timeline === 'object' ? r.timeline.tli : r.timeline } : {}),
        start: r.start,
      };
      break;
    }
    case 'pgRewind':
      out.pg_rewind = { node: a.node, from: a.spec.from, start: a.spec.start };
      break;
    case 'destroyData':
      out.destroy_data = a.node;
      break;
    case 'archiveFails':
      out.archive_fails = { node: a.node, until: printTime(a.until), exit_code: a.exitCode };
      break;
    case 'blockClients':
      out.block_clients = a.node;
      break;
    case 'unblockClients':
      out.unblock_clients = a.node;
      break;
    case 'repoint':
      out.repoint = { node: a.node, upstream: a.upstream };
      break;
    case 'configure': {
      const n = nodes.get(a.node);
      const version = n?.version ?? 18;
      out.configure = { node: a.node, settings: printSettings(a.settings, version, n?.settings.walSegmentSize ?? DEFAULT_SEGMENT), restart: a.restart };
      break;
    }
    case 'routeWrites':
      out.route_writes = a.workload === null ? a.node : { node: a.node, workload: a.workload };
      break;
    case 'partition':
    case 'heal':
      out[a.kind] = printTarget(a.target);
      break;
    case 'workload': {
      const w: Record<string, unknown> = { cluster: a.cluster };
      if (a.workload !== null) w.workload = a.workload;
      if (a.rate !== undefined) w.rate = a.rate;
      if (a.walPerTx !== undefined) w.wal_per_tx = printSize(a.walPerTx);
      out.workload = w;
      break;
    }
    case 'assess':
      out.assess = a.cluster ?? true;
      break;
    case 'createSlot':
      out.create_slot = { name: a.slot.name, ...printSlot(a.slot) };
      break;
    case 'dropSlot':
      out.drop_slot = a.slot;
      break;
    case 'stopConsumer':
      out.stop_consumer = a.slot;
      break;
    case 'startConsumer':
      out.start_consumer = a.slot;
      break;
    case 'openTransaction':
      out.open_transaction = { node: a.node, name: a.transaction, prepared: a.prepared, ...(a.database ? { database: a.database } : {}), ...(a.idle ? { idle: true } : {}), ...(a.isolation ? { isolation: a.isolation } : {}), ...(a.wrote !== undefined ? { wrote: a.wrote } : {}), ...(a.tables ? { tables: a.tables.map((t) => `${t.database}.${t.table}`) } : {}), ...(a.duration !== undefined ? { duration: printDuration(a.duration) } : {}) };
      break;
    case 'vacuum':
    case 'ddl':
    case 'checkpoint':
    case 'singleUserVacuum':
      return { ...out, ...printVacuumStep(a) };
    case 'closeTransaction':
      out.close_transaction = a.transaction;
      break;
    case 'patroniPause':
      out[a.pause ? 'pause' : 'resume'] = a.cluster;
      break;
    case 'switchover':
      out.switchover = { cluster: a.cluster, ...(a.leader !== null ? { leader: a.leader } : {}), ...(a.candidate !== null ? { candidate: a.candidate } : {}) };
      break;
    case 'packetLoss':
    case 'oneWayPartition':
    case 'healOneWay':
    case 'stopManager':
    case 'startManager':
    case 'slowNode':
      Object.assign(out, printGrayFailure(a));
      break;
  }
  return out;
}

function bounds(b: { atLeast: number | null; atMost: number | null }): Record<string, number> {
  const out: Record<string, number> = {};
  if (b.atLeast !== null) out.at_least = b.atLeast;
  if (b.atMost !== null) out.at_most = b.atMost;
  return out;
}

function printExpectation(e: Expectation): Record<string, unknown> {
  const out: Record<string, unknown> = { name: e.name };
  switch (e.kind) {
    case 'noDataLoss':
      out.no_data_loss = e.cluster ?? true;
      break;
    case 'noOutage':
      out.no_outage = e.cluster ?? true;
      break;
    case 'noStall':
      out.no_stall = e.cluster ?? true;
      break;
    case 'stalls': {
      const d: Record<string, unknown> = {};
      if (e.cluster !== null) d.resource = e.cluster;
      if (e.bottleneck !== null) d.bottleneck = e.bottleneck;
      if (e.count.atLeast !== null || e.count.atMost !== null) d.count = bounds(e.count);
      if (e.seconds.atLeast !== null || e.seconds.atMost !== null) d.seconds = bounds(e.seconds);
      out.stalls = d;
      break;
    }
    case 'fenced':
      out.fenced = { ...(e.node !== null ? { node: e.node } : {}), count: bounds(e.count) };
      break;
    case 'dataLoss': {
      const d: Record<string, unknown> = {};
      if (e.cluster !== null) d.cluster = e.cluster;
      if (e.timeline !== null) d.timeline = e.timeline;
      if (e.window) {
        d.from = printTime(e.window.from);
        d.to = printTime(e.window.to);
        d.tolerance = printDuration(e.window.tolerance);
      }
      if (e.commits.atLeast !== null || e.commits.atMost !== null) d.commits = bounds(e.commits);
      if (e.recoverableByPitr !== null) d.recoverable_by_pitr = e.recoverableByPitr;
      out.data_loss = d;
      break;
    }
    case 'outage': {
      const d: Record<string, unknown> = {};
      if (e.cluster !== null) d.cluster = e.cluster;
      if (e.seconds.atLeast !== null || e.seconds.atMost !== null) d.seconds = bounds(e.seconds);
      out.outage = d;
      break;
    }
    case 'xid': {
      const d: Record<string, unknown> = {};
      if (e.cluster !== null) d.cluster = e.cluster;
      if (e.maxAge.atLeast !== null || e.maxAge.atMost !== null) d.max_age = bounds(e.maxAge);
      if (e.endAge.atLeast !== null || e.endAge.atMost !== null) d.end_age = bounds(e.endAge);
      if (e.stopped !== null) d.stopped = e.stopped;
      out.xid = d;
      break;
    }
    case 'alert': {
      const d: Record<string, unknown> = { name: e.alert, fired: e.fired };
      if (e.window) {
        d.from = printTime(e.window.from);
        d.to = printTime(e.window.to);
      }
      out.alert = d;
      break;
    }
    case 'lockWait':
    case 'lockQueue':
      return { ...out, ...printLockExpectation(e) };
    case 'verdict':
    case 'noVerdict':
    case 'recovered':
    case 'requests':
      Object.assign(out, printVerdictExpectation(e));
      break;
    case 'nodeState': {
      const d: Record<string, unknown> = { name: e.node };
      if (e.timeline !== null) d.timeline = e.timeline;
      if (e.role !== null) d.role = e.role;
      if (e.receiver !== null) d.receiver = e.receiver;
      out.node = d;
      break;
    }
  }
  return out;
}

/** Small mappings and list entries on one line (`{at: +30s, promote: b}`), the rest as blocks. */
function flowSmallCollections(node: unknown, depth: number): void {
  if (!isMap(node) && !isSeq(node)) return;
  const items = node.items as unknown[];
  for (const it of items) {
    const child = isMap(node) ? (it as { value: unknown }).value : it;
    flowSmallCollections(child, depth + 1);
  }
  const text = JSON.stringify(node.toJSON());
  if (depth >= 2 && text.length <= 100) (node as Node & { flow?: boolean }).flow = true;
}

/**
 * The scenario as a scenario file. Throws RangeError for a value the grammar cannot express (a setting
 * the node's version does not have, a bandwidth that is not a whole number of bytes per second).
 */
export function scenarioToYaml(s: Scenario, opts: { comment?: string } = {}): string {
  const nodes = new Map(s.clusters.flatMap((c) => c.nodes.map((n) => [n.name, n] as const)));
  const plan = s.actions.filter((a) => a.source === 'plan').map((a) => printAction(a, nodes));
  const faults = s.actions.filter((a) => a.source === 'faults').map((a) => printAction(a, nodes));
  const doc: Record<string, unknown> = {
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    start: new Date(s.startEpochMs).toISOString(),
    timezone: s.timezone,
    duration: formatDuration(s.end),
    seed: s.seed,
    stall_threshold: formatDuration(s.stallThreshold),
    sites: s.sites.map((x) => x.name),
    links: s.links.map((l) => ({ between: [...l.between], bandwidth: printBandwidth(l.bandwidth), latency: printDuration(l.latency) })),
    local_link: { bandwidth: printBandwidth(s.localLink.bandwidth), latency: printDuration(s.localLink.latency) },
    ...(s.clusters.length || !s.block ? { clusters: Object.fromEntries(s.clusters.map((c) => [c.name, printCluster(c)])) } : {}),
    ...(s.block ? { block: printBlock(s.block, printBandwidth) } : {}),
    ...(s.subscriptions?.length ? { subscriptions: Object.fromEntries(s.subscriptions.map((x) => [x.name, printSubscription(x)])) } : {}),
    ...(plan.length ? { plan } : {}),
    ...(faults.length ? { faults } : {}),
    ...(s.expectations.length ? { expect: s.expectations.map(printExpectation) } : {}),
    ...(s.alerts.length ? { alerts: s.alerts.map(printAlert) } : {}),
    ...(s.hunt ? { hunt: printHunt(s.hunt) } : {}),
  };
  const d = new Document(doc, { version: '1.2' });
  flowSmallCollections(d.contents, 0);
  if (opts.comment) d.commentBefore = opts.comment;
  return d.toString({ lineWidth: 0 });
}

/**
 * Whether printing `s` and loading it back gives `s` again: the order of actions must be the grammar's
 * (by time; at equal times plan entries before faults, each in list order).
 */
export function canonicalActions(actions: readonly Action[]): Action[] {
  const plan = actions.filter((a) => a.source === 'plan');
  const faults = actions.filter((a) => a.source === 'faults');
  return [...plan, ...faults].map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i).map((x) => x.a);
}
