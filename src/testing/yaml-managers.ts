/**
 * Verdict expectations (and, with them, the managers' and gray-failure parts of a scenario) printed back as
 * scenario text (scenarioToYaml in yaml.ts), in the spelling grammar-managers.ts decodes to equal values.
 */
import type { FailoverSpec, GrayFailure, HealthCheckSpec, VerdictExpectation } from '../scenario/types-managers.ts';
import { formatDuration, formatSize } from '../scenario/units.ts';

type Out = Record<string, unknown>;

const dur = (us: number): string | number => (us === 0 ? 0 : formatDuration(us));
const size = (b: number): string | number => (b === 0 ? 0 : formatSize(b));

function healthCheck(h: HealthCheckSpec): Out {
  return { probe: h.probe, timeout: dur(h.timeout), ...(h.latencyThreshold !== null ? { latency_threshold: dur(h.latencyThreshold) } : {}), failures: h.failures };
}

export function printFailover(f: FailoverSpec): Out {
  switch (f.policy) {
    case 'naive':
    case 'lag-only': {
      const out: Out = { policy: f.policy, site: f.site, check_interval: dur(f.checkInterval), timeout: dur(f.timeout) };
      if (f.candidates.length > 0) out.candidates = [...f.candidates];
      // The idealised default check has no timeout and cannot be written as a health_check.
      if (f.health.timeout > 0) out.health_check = healthCheck(f.health);
      if (f.policy === 'lag-only') {
        out.maximum_lag_on_failover = size(f.maximumLagOnFailover);
        out.check_timeline = f.checkTimeline;
      }
      return out;
    }
    case 'patroni': {
      const out: Out = {
        policy: 'patroni',
        dcs: { type: f.dcs.kind, members: Object.fromEntries(f.dcs.members.map((m) => [m.name, m.site])), election_timeout: dur(f.dcs.electionTimeout) },
        loop_wait: dur(f.loopWait),
        ttl: dur(f.ttl),
        retry_timeout: dur(f.retryTimeout),
        maximum_lag_on_failover: size(f.maximumLagOnFailover),
        check_timeline: f.checkTimeline,
        synchronous_mode: f.quorumCommit ? 'quorum' : f.synchronousMode,
        synchronous_mode_strict: f.synchronousModeStrict,
        synchronous_node_count: f.synchronousNodeCount,
        failsafe_mode: f.failsafeMode,
        use_pg_rewind: f.usePgRewind,
        remove_data_directory_on_rewind_failure: f.removeDataDirectoryOnRewindFailure,
        remove_data_directory_on_diverged_timelines: f.removeDataDirectoryOnDivergedTimelines,
        use_slots: f.useSlots,
        member_slots_ttl: dur(f.memberSlotsTtl),
      };
      if (f.pause) out.pause = true;
      const tags = Object.entries(f.tags);
      if (tags.length) out.tags = Object.fromEntries(tags.map(([n, t]) => [n, { nofailover: t.nofailover, failover_priority: t.failoverPriority, nosync: t.nosync }]));
      return out;
    }
    case 'orchestrator':
      return {
        policy: 'orchestrator',
        members: Object.fromEntries(f.members.map((m) => [m.name, m.site])),
        ...(Object.keys(f.regions).length ? { regions: { ...f.regions } } : {}),
        poll_interval: dur(f.pollInterval),
        connect_timeout: dur(f.connectTimeout),
        prevent_cross_data_center_failover: f.preventCrossDataCenterFailover,
        prevent_cross_region_failover: f.preventCrossRegionFailover,
        ...(Object.keys(f.promotionRules).length ? { promotion_rules: { ...f.promotionRules } } : {}),
        recovery_period_block: dur(f.recoveryPeriodBlock),
        election_timeout: dur(f.electionTimeout),
      };
    case 'operator':
      return {
        policy: 'operator',
        site: f.site,
        check_interval: dur(f.checkInterval),
        health_check: healthCheck(f.health),
        reaction: dur(f.reaction),
        candidates: [...f.candidates],
        choose: f.choose,
        fence: f.fence,
      };
    case 'pg_auto_failover':
      return {
        policy: 'pg_auto_failover',
        monitor: { name: f.monitor.name, site: f.monitor.site },
        number_sync_standbys: f.numberSyncStandbys,
        ...(Object.keys(f.nodes).length ? { nodes: Object.fromEntries(Object.entries(f.nodes).map(([n, o]) => [n, { candidate_priority: o.candidatePriority, replication_quorum: o.replicationQuorum }])) } : {}),
        health_check_period: dur(f.healthCheckPeriod),
        health_check_timeout: dur(f.healthCheckTimeout),
        health_check_max_retries: f.healthCheckMaxRetries,
        health_check_retry_delay: dur(f.healthCheckRetryDelay),
        node_considered_unhealthy_timeout: dur(f.nodeConsideredUnhealthyTimeout),
        startup_grace_period: dur(f.startupGracePeriod),
        primary_demote_timeout: dur(f.primaryDemoteTimeout),
        network_partition_timeout: dur(f.networkPartitionTimeout),
        promote_wal_log_threshold: size(f.promoteWalLogThreshold),
        enable_sync_wal_log_threshold: size(f.enableSyncWalLogThreshold),
      };
  }
}

export function printGrayFailure(g: GrayFailure): Out {
  switch (g.kind) {
    case 'packetLoss':
      return { packet_loss: { sites: [...g.sites], loss: g.probability } };
    case 'oneWayPartition':
      return { one_way_partition: { from: g.from, to: g.to } };
    case 'healOneWay':
      return { heal_one_way: { from: g.from, to: g.to } };
    case 'stopManager':
      return { stop_manager: g.process };
    case 'startManager':
      return { start_manager: g.process };
    case 'slowNode':
      return { slow_node: { node: g.node, ...(g.cpu !== null ? { cpu: g.cpu } : {}), ...(g.disk !== null ? { disk: g.disk } : {}), ...(g.diskThroughput != null ? { disk_throughput: g.diskThroughput } : {}) } };
  }
}

export function printVerdictExpectation(e: VerdictExpectation): Out {
  switch (e.kind) {
    case 'verdict': {
      const d: Out = { kind: e.verdict };
      if (e.cluster !== null) d.cluster = e.cluster;
      if (e.node !== null) d.node = e.node;
      if (e.seconds.atLeast !== null) d.at_least_seconds = e.seconds.atLeast;
      if (e.seconds.atMost !== null) d.at_most_seconds = e.seconds.atMost;
      if (e.openAtEnd !== null) d.open_at_end = e.openAtEnd;
      return { verdict: d };
    }
    case 'noVerdict':
      return { no_verdict: e.cluster === null && e.node === null ? e.verdict : { kind: e.verdict, ...(e.cluster !== null ? { cluster: e.cluster } : {}), ...(e.node !== null ? { node: e.node } : {}) } };
    case 'recovered':
      return { recovered: e.within === null ? (e.cluster ?? true) : { ...(e.cluster !== null ? { cluster: e.cluster } : {}), within: `${e.within / 1e6}s` } };
    case 'requests': {
      const b = (x: { atLeast: number | null; atMost: number | null }) => ({ ...(x.atLeast !== null ? { at_least: x.atLeast } : {}), ...(x.atMost !== null ? { at_most: x.atMost } : {}) });
      return {
        requests: {
          ...(e.cluster !== null ? { cluster: e.cluster } : {}),
          ...(e.workload !== null ? { workload: e.workload } : {}),
          ...(e.succeeded ? { succeeded: b(e.succeeded) } : {}),
          ...(e.waited ? { waited: b(e.waited) } : {}),
          ...(e.failed ? { failed: b(e.failed) } : {}),
        },
      };
    }
  }
}
