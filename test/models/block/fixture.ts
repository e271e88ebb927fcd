/** A small DRBD scenario as text, parameterised for the model tests (the shipped one takes days). */
export interface DrbdFixture {
  protocol?: 'A' | 'B' | 'C';
  sndbuf?: string;
  resyncRate?: string;
  connected?: boolean;
  bgi?: string | null;
  backup?: string | null;
  peerMembers?: number;
  iops?: number;
  random?: string;
  reads?: string;
  extraPlan?: string[];
  duration?: string;
  drbd?: string[];
  /** The line between the sites (default 1Gbps, 1ms one way). */
  bandwidth?: string;
  latency?: string;
  queueDepth?: number;
  /** More DRBD net and disk options (`key: value, …`), and lines under drbd: (handlers). */
  netExtra?: string;
  diskExtra?: string;
  drbdExtra?: string[];
  /** A write_cache mapping for the primary's / the peer's disk (`{ mode: volatile, size: 256MiB }`). */
  localCache?: string;
  peerCache?: string;
  workingSet?: string;
}

export function drbdScenario(o: DrbdFixture = {}): string {
  const plan = [
    ...(o.connected === false ? ['{ at: +1m, connect: r0 }'] : []),
    ...(o.backup ? [`{ at: +1m, start_job: { name: backup, disk: peer-disk, kind: backup, share: ${o.backup} } }`] : []),
    ...(o.extraPlan ?? []),
  ];
  return `
name: fixture
start: 2015-05-18T10:00:00+09:00
duration: ${o.duration ?? '20m'}
stall_threshold: 100ms
sites: [a, b]
links: [{ between: [a, b], bandwidth: ${o.bandwidth ?? '1Gbps'}, latency: ${o.latency ?? '1ms'} }]
block:
  hosts: { p: { site: a }, s: { site: b } }
  disks:
    local-disk: { host: p, drive: { type: hdd, rpm: 7200, seek: 8.5ms, transfer: 150MB/s }, raid: { level: 10, members: 8 }${o.localCache ? `, write_cache: ${o.localCache}` : ''} }
    peer-disk: { host: s, drive: { type: hdd, rpm: 7200, seek: 8.5ms, transfer: 150MB/s }, raid: { level: 10, members: ${o.peerMembers ?? 8} }${o.peerCache ? `, write_cache: ${o.peerCache}` : ''} }
  resources:
    r0:
      size: 2TiB
      primary: { host: p, disk: local-disk }
      secondary: { host: s, disk: peer-disk }
      connected: ${o.connected ?? true}
      drbd:
        version: 8.4
        net: { protocol: ${o.protocol ?? 'A'}, sndbuf-size: ${o.sndbuf ?? '8MiB'}${o.netExtra ? `, ${o.netExtra}` : ''} }
        disk: { c-plan-ahead: 0, resync-rate: ${o.resyncRate ?? '40MB/s'}, c-min-rate: 0${o.diskExtra ? `, ${o.diskExtra}` : ''} }
${(o.drbdExtra ?? []).map((l) => `        ${l}`).join('\n')}
${(o.drbd ?? []).map((l) => `      ${l}`).join('\n')}
  workloads:
    app: { resource: r0, iops: ${o.iops ?? 410}, reads: ${o.reads ?? '70%'}, random: ${o.random ?? '90%'}, size: 16KiB, working_set: ${o.workingSet ?? '100GiB'}${o.queueDepth ? `, queue_depth: ${o.queueDepth}` : ''} }
${o.bgi ? `  jobs:\n    bgi: { disk: peer-disk, kind: background-init, share: ${o.bgi} }` : ''}
${plan.length ? `plan:\n${plan.map((p) => `  - ${p}`).join('\n')}` : ''}
`;
}
