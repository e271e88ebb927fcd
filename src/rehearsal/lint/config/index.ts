/**
 * `replsim lint --config PATH...`: real configuration files as lint's facts. Each PATH is a data directory
 * (PG_VERSION, postgresql.conf, postgresql.auto.conf, recovery.conf, standby.signal), a directory of DRBD
 * files, or a file: postgresql.conf, postgresql.auto.conf, recovery.conf, a DRBD .res or drbd.conf, a
 * Patroni YAML. Servers are named by cluster_name or their directory; a standby's upstream is the server
 * its primary_conninfo names (by name, or by port on a local address). There is no plan: a promotion of
 * any standby is possible, so a cascading standby that would not follow one is an error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Micros } from '../../../engine/time.ts';
import { lint } from '../rules.ts';
import { rate, size } from '../../../report/format.ts';
import { DEFAULT_LINT_OPTIONS, type BlockFacts, type FailoverFact, type Finding, type LintFacts, type LintOptions, type LoadFact, type PgServer, type Where } from '../types.ts';
import { drbdResources, readDrbdFile, type DrbdNode, type DrbdResourceConfig } from './drbd.ts';
import { looksLikePatroni, readPatroni, type PatroniConfig } from './patroni.ts';
import { ConfigError } from './pgconf.ts';
import { conninfoOf, portOf, readServerDir, readServerFile, settingsSpec, type ServerConfig } from './postgres.ts';

export { ConfigError } from './pgconf.ts';

export interface ConfigLintOptions {
  readonly pgVersion: string | null;
  /** WAL bytes per second the primary writes (--wal-rate). */
  readonly walRate: number | null;
  /** Application write bytes per second on DRBD devices, and the line (--write-rate, --line, --latency). */
  readonly writeRate?: number | null;
  readonly line?: { readonly bandwidth: number; readonly latency: Micros } | null;
  readonly options?: LintOptions;
}

interface Inputs {
  servers: ServerConfig[];
  drbd: DrbdNode[];
  patroni: PatroniConfig[];
}

const PG_FILES = ['PG_VERSION', 'postgresql.conf', 'recovery.conf', 'standby.signal', 'postgresql.auto.conf'];

function classify(path: string, versionOption: string | null, into: Inputs): void {
  if (!existsSync(path)) throw new ConfigError({ file: path, line: 1, column: 1 }, 'no such file or directory');
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    if (PG_FILES.some((n) => names.includes(n))) addServer(into, readServerDir(path, versionOption));
    else {
      // drbd.conf includes the others (as drbdadm reads it); without it, every resource file.
      const drbd = names.includes('drbd.conf') ? ['drbd.conf'] : names.filter((n) => n.endsWith('.res') || n === 'global_common.conf').sort();
      if (drbd.length === 0) throw new ConfigError({ file: path, line: 1, column: 1 }, 'neither a PostgreSQL data directory (PG_VERSION, postgresql.conf, recovery.conf) nor a directory of DRBD files');
      for (const n of drbd) into.drbd.push(...readDrbdFile(join(path, n)));
    }
    return;
  }
  const name = basename(path);
  if (name.endsWith('.res') || name === 'drbd.conf' || name === 'global_common.conf') into.drbd.push(...readDrbdFile(path));
  else if (/\.ya?ml$/.test(name)) {
    if (!looksLikePatroni(readFileSync(path, 'utf8'))) throw new ConfigError({ file: path, line: 1, column: 1 }, 'a YAML file that is not a Patroni configuration (no scope, bootstrap, restapi or DCS section); a replsim scenario is linted with `replsim lint FILE`');
    into.patroni.push(readPatroni(path));
  } else addServer(into, readServerFile(path, versionOption));
}

/** A server given twice (its configuration directory and its data directory, as Debian keeps them apart) counts once. */
function addServer(into: Inputs, s: ServerConfig): void {
  if (!into.servers.some((o) => resolve(o.dir) === resolve(s.dir))) into.servers.push(s);
}

const LOCAL = /^(localhost|127\.\d+\.\d+\.\d+|::1|\/.*)?$/;

/** The server a conninfo names: by name (or its first DNS label), else by port on a local address. */
function resolveUpstream(conn: Map<string, string>, servers: readonly ServerConfig[], self: ServerConfig): { name: string; known: boolean } {
  const host = conn.get('host') ?? conn.get('hostaddr') ?? '';
  const port = Number(conn.get('port') ?? '5432');
  const others = servers.filter((s) => s !== self);
  const byName = others.find((s) => s.name === host || host.split('.')[0] === s.name);
  if (byName) return { name: byName.name, known: true };
  if (LOCAL.test(host)) {
    const byPort = others.find((s) => portOf(s) === port);
    if (byPort) return { name: byPort.name, known: true };
  }
  return { name: `${host || 'localhost'}:${port}`, known: false };
}

function pgServers(inputs: Inputs, cluster: string, findings: Finding[]): PgServer[] {
  const managed = inputs.patroni[0] ?? null;
  return inputs.servers.map((s) => {
    const { spec, bad } = settingsSpec(s);
    findings.push(...bad, ...s.findings);
    const conn = s.standby ? conninfoOf(s) : null;
    const up = conn ? resolveUpstream(conn, inputs.servers, s) : null;
    const settingWhere = (guc: string): Where => s.settings.get(guc)?.where ?? (['recovery_target_timeline', 'primary_conninfo', 'restore_command', 'primary_slot_name'].includes(guc) && s.recoveryWhere ? s.recoveryWhere : s.where);
    const slot = s.settings.get('primary_slot_name')?.value ?? '';
    return {
      name: s.name,
      cluster,
      version: s.version,
      role: s.standby ? 'standby' : 'primary',
      upstream: up?.name ?? null,
      upstreamKnown: up?.known ?? false,
      site: null,
      // Patroni writes recovery_target_timeline = 'latest' for every replica it manages.
      settings: managed ? { ...spec, recoveryTargetTimeline: 'latest' } : spec,
      where: s.recoveryWhere ?? s.where,
      settingWhere,
      restoreCommand: (s.settings.get('restore_command')?.value ?? '').trim() !== '',
      slotName: slot.trim() !== '' ? slot : managed?.useSlots ? s.name : null,
    };
  });
}

function blockFacts(all: readonly DrbdResourceConfig[], opts: ConfigLintOptions, findings: Finding[]): BlockFacts | null {
  // A resource read twice (drbd.conf and its .res file both given) counts once: the last one read.
  const resources = [...new Map(all.map((r) => [r.name, r])).values()];
  if (resources.length === 0) return null;
  const KiB = 1024;
  const writeRate = opts.writeRate ?? null;
  for (const r of resources) {
    if (r.protocol === 'A' && r.onCongestion === 'block' && writeRate === null) {
      findings.push({ id: 'drbd-sndbuf-too-small', severity: 'info', where: r.sndbufWhere, message: `${r.name}: protocol A with on-congestion block: how many seconds of writes the ${r.sndbufSize ? size(r.sndbufSize) : 'auto-tuned'} send buffer holds depends on the write rate`, explanation: 'Give the peak write rate (--write-rate) and the line (--line, --latency) to check the send buffer.', source: 'DRBD user guide: protocol A, sndbuf-size, on-congestion' });
    }
    for (const o of r.flushesOff) {
      const what = o.option === 'disk-flushes' ? "the peer acknowledges each epoch's barrier without flushing its disk (drbd_receiver.c drbd_flush_after_epoch): a power loss of the peer takes writes the primary has released, which no bitmap marks and no resync repairs" : "activity-log and bitmap writes are not flushed (MD_NO_FUA): after a power loss the on-disk activity log may not cover the last writes, so the crashed Primary's resync misses them";
      findings.push({ id: 'drbd-flushes-off', severity: 'warning', where: o.where, message: `${r.name}: ${o.option} no: safe only if every backing disk's write cache is battery- or flash-backed`, explanation: `With a volatile write cache, ${what}. Model the disks' write_cache in a scenario to see what a power loss takes.`, source: 'drbd.conf(5) disk-flushes, md-flushes ("In case your backing storage device has a volatile write cache … you should use one of the first two")' });
    }
    if (r.cPlanAhead === 0) {
      findings.push({ id: 'resync-rate-above-headroom', severity: 'info', where: r.resyncWhere, message: `${r.name}: a fixed resync-rate of ${rate(r.resyncRate)}`, explanation: "Whether it leaves the primary disk room for the application depends on the disk and the workload's random share: model them in a scenario (block: disks, workloads) and run replsim lint on it.", source: 'drbd-tcp-disk.md §3.4 and §7.4' });
    }
  }
  return {
    resources: resources.map((r) => ({
      spec: {
        name: r.name,
        primary: { host: r.hosts[0] ?? 'primary', disk: '' },
        secondary: { host: r.hosts[1] ?? 'secondary', disk: '' },
        size: 0,
        maxBioSize: 128 * KiB,
        startConnected: true,
        replication: {
          kind: 'drbd',
          version: 8.4,
          // sndbuf-size 0 is the kernel's auto-tuning: up to tcp_wmem's maximum (4 MiB assumed, as the scenario grammar does).
          net: { protocol: r.protocol, sndbufSize: r.sndbufSize || 4 * KiB * KiB, rcvbufSize: r.rcvbufSize || 6 * KiB * KiB, onCongestion: r.onCongestion, congestionFill: 0, congestionExtents: 1237, maxBuffers: 2048, koCount: 7, timeout: 6_000_000 as Micros, proxyBuffer: 0, connectInt: 10_000_000 as Micros, pingInt: 10_000_000 as Micros, pingTimeout: 500_000 as Micros, afterSb0pri: 'disconnect', afterSb1pri: 'disconnect', afterSb2pri: 'disconnect', fencing: 'dont-care' },
          disk: { resyncRate: r.resyncRate, cPlanAhead: r.cPlanAhead, cFillTarget: 0, cDelayTarget: 1_000_000 as Micros, cMaxRate: 100 * KiB * KiB, cMinRate: 250 * KiB, alExtents: 1237, resyncWithoutReplication: false, diskBarrier: false, diskFlushes: true, diskDrain: true, mdFlushes: true },
          // The grammar's default (grammar-block.ts: a fence-peer handler that exits after 1 s).
          fencePeerTime: 1_000_000 as Micros,
        },
      },
      where: r.sndbufWhere,
      line: opts.line ?? null,
      primaryDisk: null,
    })),
    // The peak write rate given on the command line, as one workload of 16 KiB writes per resource.
    workloads: writeRate === null ? [] : resources.map((r) => ({ name: `${r.name}-writes`, resource: r.name, iops: writeRate / (16 * KiB), readShare: 0, random: 0, size: 16 * KiB, workingSet: 0, queueDepth: 32 })),
    steps: [],
  };
}

function failoverFacts(patroni: readonly PatroniConfig[], servers: readonly PgServer[], cluster: string): FailoverFact[] {
  return patroni.map((p) => ({ cluster, policy: 'patroni', site: null, checksLag: true, maximumLag: p.maximumLagOnFailover, candidates: servers.filter((s) => s.role === 'standby').map((s) => s.name), where: p.maximumLagWhere }));
}

/** Lint findings for configuration files; ConfigError for a file that cannot be read as what it is. */
export function lintConfigPaths(paths: readonly string[], opts: ConfigLintOptions): Finding[] {
  const inputs: Inputs = { servers: [], drbd: [], patroni: [] };
  for (const p of paths) classify(p, opts.pgVersion, inputs);
  const cluster = inputs.patroni.find((p) => p.scope)?.scope ?? 'config';
  const findings: Finding[] = [];
  const servers = pgServers(inputs, cluster, findings);
  const loads = new Map<string, LoadFact>();
  if (opts.walRate !== null) loads.set(cluster, { walBytesPerSecond: opts.walRate, xidsPerSecond: 0, where: servers[0]?.where ?? { file: paths[0] ?? '', line: 1, column: 1 } });
  const facts: LintFacts = {
    clock: null,
    servers,
    failover: failoverFacts(inputs.patroni, servers, cluster),
    slots: [],
    steps: [],
    loads,
    writes: new Map(),
    smartStops: [],
    linkBetween: () => null,
    block: blockFacts(drbdResources(inputs.drbd), opts, findings),
    stallThreshold: 1_000_000 as Micros,
    options: opts.options ?? DEFAULT_LINT_OPTIONS,
  };
  const all = [...findings, ...lint(facts)];
  const order = { error: 0, warning: 1, info: 2 } as const;
  return all.sort((a, b) => order[a.severity] - order[b.severity] || a.where.file.localeCompare(b.where.file) || a.where.line - b.where.line);
}
