/** Scenario objects built in code, for model tests that should not depend on the YAML parser. */
import { seconds, type Micros } from '../../src/engine/time.ts';
import type { Action, ActionBody, ClusterSpec, Expectation, NodeSpec, PgSettingsSpec, Scenario, WorkloadSpec, FailoverSpec } from '../../src/scenario/types.ts';
import type { HealthCheckSpec } from '../../src/scenario/types-managers.ts';
import { IDEAL_CHECK } from '../../src/scenario/grammar-managers.ts';

export const at = (hh: number, mm: number, ss = 0, startHour = 14): Micros => seconds((hh - startHour) * 3600 + mm * 60 + ss);

export function node(name: string, site: string, version: number, opts: Partial<Omit<NodeSpec, 'name' | 'site' | 'version'>> & { settings?: PgSettingsSpec } = {}): NodeSpec {
  return {
    name,
    site,
    version,
    role: opts.role ?? (opts.upstream ? 'standby' : 'primary'),
    upstream: opts.upstream ?? null,
    timeline: opts.timeline ?? 1,
    settings: opts.settings ?? {},
    storage: opts.storage ?? { walVolume: null, throughput: null },
  };
}

export function action(t: Micros, body: ActionBody, source: 'plan' | 'faults' = 'plan', name: string | null = null): Action {
  return { ...body, at: t, name, source } as Action;
}

export interface BuildOptions {
  name?: string;
  end?: Micros;
  nodes: NodeSpec[];
  workload?: Partial<WorkloadSpec> & { target: string };
  failover?: { policy: 'naive' | 'lag-only'; site: string; checkInterval?: Micros; timeout?: Micros; candidates?: readonly string[]; maximumLagOnFailover?: number; checkTimeline?: boolean; health?: HealthCheckSpec } | FailoverSpec;
  actions?: Action[];
  expectations?: Expectation[];
  links?: Scenario['links'];
  sites?: string[];
  startLsn?: number;
  walArchive?: boolean;
  seed?: number;
  databases?: ClusterSpec['databases'];
  slots?: ClusterSpec['slots'];
  alerts?: Scenario['alerts'];
}

/** A naive or lag-only manager with the grammar's defaults for what is not given; other specs as they are. */
function watcher(f: NonNullable<BuildOptions['failover']>): FailoverSpec {
  if (f.policy !== 'naive' && f.policy !== 'lag-only') return f as FailoverSpec;
  const base = { site: f.site, checkInterval: f.checkInterval ?? seconds(10), timeout: f.timeout ?? seconds(30), candidates: f.candidates ?? [], health: f.health ?? IDEAL_CHECK };
  const lag = f as { maximumLagOnFailover?: number; checkTimeline?: boolean };
  return f.policy === 'naive' ? { ...base, policy: 'naive' } : { ...base, policy: 'lag-only', maximumLagOnFailover: lag.maximumLagOnFailover ?? 1048576, checkTimeline: lag.checkTimeline ?? false };
}

export function buildScenario(o: BuildOptions): Scenario {
  const sites = o.sites ?? [...new Set(o.nodes.map((n) => n.site))];
  const cluster: ClusterSpec = {
    name: 'main',
    nodes: o.nodes,
    workloads: o.workload
      ? [{ name: 'clients', site: o.nodes.find((n) => n.name === o.workload!.target)!.site, rate: 100, walPerTx: 2048, connections: 100, ...o.workload }]
      : [],
    failover: o.failover ? [watcher(o.failover)] : [],
    startLsn: o.startLsn ?? 0x3000000,
    walArchive: o.walArchive ?? true,
    databases: o.databases ?? [],
    slots: o.slots ?? [],
  };
  return {
    name: o.name ?? 'built',
    description: '',
    file: '<memory>',
    variant: null,
    startEpochMs: Date.UTC(2017, 7, 7, 5, 0, 0),
    timezone: 'Asia/Tokyo',
    end: o.end ?? at(16, 0),
    seed: o.seed ?? 1,
    stallThreshold: seconds(1),
    sites: sites.map((name) => ({ name })),
    links: o.links ?? (sites.length > 1 ? [{ between: [sites[0]!, sites[1]!], bandwidth: 125_000_000, latency: 5000 as Micros }] : []),
    localLink: { bandwidth: 1_250_000_000, latency: 100 as Micros },
    clusters: [cluster],
    actions: [...(o.actions ?? [])].sort((a, b) => a.at - b.at),
    expectations: o.expectations ?? [],
    alerts: o.alerts ?? [],
  };
}

/** The Mackerel 2017 topology and plan (../shared/seeds/README.md), parameterised for tests. */
export function mackerel(p: { rate?: number; lossAt?: Micros; db002Timeline?: PgSettingsSpec['recoveryTargetTimeline']; policy?: 'naive' | 'lag-only' } = {}): Scenario {
  const db002settings: PgSettingsSpec = p.db002Timeline ? { recoveryTargetTimeline: p.db002Timeline } : {};
  return buildScenario({
    nodes: [
      node('db000', 'onprem', 9.3, { timeline: 15 }),
      node('db001', 'aws', 9.3, { upstream: 'db000' }),
      node('db002', 'aws', 9.3, { upstream: 'db001', settings: db002settings }),
    ],
    workload: { target: 'db000', site: 'aws', rate: p.rate ?? 200, walPerTx: 2048 },
    failover: { policy: p.policy ?? 'naive', site: 'aws', candidates: ['db002'] },
    actions: [
      action(at(14, 30), { kind: 'blockClients', node: 'db000' }),
      action(at(14, 30, 10), { kind: 'promote', node: 'db001' }),
      action(at(14, 30, 15), { kind: 'routeWrites', cluster: 'main', node: 'db001', workload: null }),
      action(at(14, 31), { kind: 'stop', node: 'db000' }),
      action(p.lossAt ?? at(15, 30), { kind: 'partition', target: { kind: 'node', node: 'db001' } }, 'faults', 'db001-lost'),
    ],
  });
}
