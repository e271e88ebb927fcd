/**
 * The `block:` section, its plan steps and the `stalls` expectation printed back as scenario text
 * (scenarioToYaml in yaml.ts), in the spelling grammar-block.ts decodes to equal values.
 */
import { formatDuration, formatSize } from '../scenario/units.ts';
import type { BlockOp, BlockSpec, DrbdDiskOptions, DrbdNetOptions, ReplicationAdjust, ReplicationOptions } from '../scenario/types-block.ts';
import type { DiskJobSpec } from '../scenario/types-block.ts';
import type { DeviceSpec } from '../models/disk/device.ts';
import type { PacemakerSpec } from '../scenario/types-pacemaker.ts';

type Out = Record<string, unknown>;
type Bw = (bytesPerSecond: number) => string;

const size = (b: number): string | number => (b === 0 ? 0 : formatSize(b));
const dur = (us: number): string | number => (us === 0 ? 0 : formatDuration(us));

function device(d: DeviceSpec, bw: Bw): Out {
  if (d.kind === 'ssd') return { type: 'ssd', read_iops: d.readIops, write_iops: d.writeIops, read_bandwidth: bw(d.readBandwidth), write_bandwidth: bw(d.writeBandwidth) };
  return { type: 'hdd', rpm: d.rpm, seek: dur(d.seek), track_to_track: dur(d.trackToTrack), transfer: bw(d.transferRate), overhead: dur(d.overhead), cs2: d.cs2 };
}

function net(n: Partial<DrbdNetOptions>): Out {
  const o: Out = {};
  if (n.protocol !== undefined) o.protocol = n.protocol;
  if (n.sndbufSize !== undefined) o['sndbuf-size'] = size(n.sndbufSize);
  if (n.rcvbufSize !== undefined) o['rcvbuf-size'] = size(n.rcvbufSize);
  if (n.onCongestion !== undefined) o['on-congestion'] = n.onCongestion;
  if (n.congestionFill !== undefined) o['congestion-fill'] = size(n.congestionFill);
  if (n.congestionExtents !== undefined) o['congestion-extents'] = n.congestionExtents;
  if (n.maxBuffers !== undefined) o['max-buffers'] = n.maxBuffers;
  if (n.koCount !== undefined) o['ko-count'] = n.koCount;
  if (n.timeout !== undefined) o.timeout = dur(n.timeout);
  if (n.proxyBuffer) o.proxy = { memlimit: size(n.proxyBuffer) };
  if (n.connectInt !== undefined) o['connect-int'] = dur(n.connectInt);
  if (n.pingInt !== undefined) o['ping-int'] = dur(n.pingInt);
  if (n.pingTimeout !== undefined) o['ping-timeout'] = dur(n.pingTimeout);
  if (n.afterSb0pri !== undefined) o['after-sb-0pri'] = n.afterSb0pri;
  if (n.afterSb1pri !== undefined) o['after-sb-1pri'] = n.afterSb1pri;
  if (n.afterSb2pri !== undefined) o['after-sb-2pri'] = n.afterSb2pri;
  return o;
}

function disk(d: Partial<DrbdDiskOptions>, bw: Bw): Out {
  const o: Out = {};
  const rate = (v: number) => (v === 0 ? 0 : bw(v));
  if (d.resyncRate !== undefined) o['resync-rate'] = rate(d.resyncRate);
  if (d.cPlanAhead !== undefined) o['c-plan-ahead'] = dur(d.cPlanAhead);
  if (d.cFillTarget !== undefined) o['c-fill-target'] = size(d.cFillTarget);
  if (d.cDelayTarget !== undefined) o['c-delay-target'] = dur(d.cDelayTarget);
  if (d.cMaxRate !== undefined) o['c-max-rate'] = rate(d.cMaxRate);
  if (d.cMinRate !== undefined) o['c-min-rate'] = rate(d.cMinRate);
  if (d.alExtents !== undefined) o['al-extents'] = d.alExtents;
  if (d.resyncWithoutReplication !== undefined) o['resync-without-replication'] = d.resyncWithoutReplication;
  if (d.diskBarrier !== undefined) o['disk-barrier'] = d.diskBarrier;
  if (d.diskFlushes !== undefined) o['disk-flushes'] = d.diskFlushes;
  if (d.diskDrain !== undefined) o['disk-drain'] = d.diskDrain;
  if (d.mdFlushes !== undefined) o['md-flushes'] = d.mdFlushes;
  return o;
}

function md(m: ReplicationAdjust['md'] & object, bw: Bw): Out {
  const o: Out = {};
  if (m.writeBehind !== undefined) o['write-behind'] = m.writeBehind;
  if (m.bitmapChunk !== undefined) o['bitmap-chunk'] = size(m.bitmapChunk);
  if (m.speedLimitMin !== undefined) o.speed_limit_min = bw(m.speedLimitMin);
  if (m.speedLimitMax !== undefined) o.speed_limit_max = bw(m.speedLimitMax);
  if (m.sndbuf !== undefined) o.sndbuf = size(m.sndbuf);
  return o;
}

function walb(w: ReplicationAdjust['walb'] & object, bw: Bw): Out {
  const o: Out = {};
  if (w.ringSize !== undefined) o.ring_buffer_size = size(w.ringSize);
  if (w.fullScanRate !== undefined) o.full_scan_rate = w.fullScanRate === 0 ? 0 : bw(w.fullScanRate);
  if (w.errorBeforeOverflow !== undefined) o.error_before_overflow = w.errorBeforeOverflow;
  if (w.sndbuf !== undefined) o.sndbuf = size(w.sndbuf);
  return o;
}

function replication(r: ReplicationOptions, bw: Bw): Out {
  if (r.kind === 'drbd') {
    // fencing is a disk option in 8.x and a net option in 9 (MAN84, MAN9).
    const fencing = r.net.fencing !== 'dont-care' ? { fencing: r.net.fencing } : {};
    return {
      drbd: {
        version: r.version.toFixed(1),
        net: { ...net(r.net), ...(r.version >= 9 ? fencing : {}) },
        disk: { ...disk(r.disk, bw), ...(r.version < 9 ? fencing : {}) },
        ...(r.quorum ? { options: { quorum: r.quorum.setting, 'on-no-quorum': r.quorum.onNoQuorum } } : {}),
        handlers: { 'fence-peer': r.crmFencePeer ? { 'crm-fence-peer': { timeout: dur(r.crmFencePeer.timeout) } } : { 'exits-after': dur(r.fencePeerTime) } },
      },
    };
  }
  if (r.kind === 'md') return { md: md(r, bw) };
  return { walb: { log_disk: r.logDisk, ...walb(r, bw) } };
}

function job(j: DiskJobSpec, bw: Bw): Out {
  return {
    disk: j.disk,
    kind: j.kind,
    op: j.op,
    ...(j.size !== null ? { size: size(j.size) } : {}),
    ...(j.pace.kind === 'share' ? { share: j.pace.share } : { rate: bw(j.pace.rate) }),
  };
}

export function printBlock(b: BlockSpec, bw: Bw): Out {
  return {
    hosts: Object.fromEntries(b.hosts.map((h) => [h.name, { site: h.site }])),
    disks: Object.fromEntries(b.disks.map((d) => [d.name, { host: d.host, drive: device(d.device, bw), ...(d.raid ? { raid: { level: d.raid.level, members: d.raid.members } } : {}), ...(d.writeCache ? { write_cache: { mode: d.writeCache.mode, size: size(d.writeCache.size), flushes: d.writeCache.flushes } } : {}) }])),
    resources: Object.fromEntries(
      b.resources.map((r) => [
        r.name,
        { size: size(r.size), primary: { ...r.primary }, secondary: { ...r.secondary }, connected: r.startConnected, max_bio_size: size(r.maxBioSize), ...(r.diskless ? { diskless: [...r.diskless] } : {}), ...replication(r.replication, bw) },
      ]),
    ),
    workloads: Object.fromEntries(
      b.workloads.map((w) => [w.name, { resource: w.resource, iops: w.iops, reads: w.readShare, random: w.random, size: size(w.size), working_set: size(w.workingSet), queue_depth: w.queueDepth }]),
    ),
    jobs: Object.fromEntries(b.jobs.map((j) => [j.name, job(j, bw)])),
    ...(b.pacemaker ? { pacemaker: pacemaker(b.pacemaker) } : {}),
  };
}

function pacemaker(p: PacemakerSpec): Out {
  const c = p.corosync;
  return {
    nodes: [...p.nodes],
    resources: [...p.resources],
    corosync: { version: c.version, token: dur(c.token), token_coefficient: dur(c.tokenCoefficient), consensus: dur(c.consensus), join: dur(c.join), two_node: c.twoNode, wait_for_all: c.waitForAll },
    'no-quorum-policy': p.noQuorumPolicy,
    'fencing-enabled': p.fencingEnabled,
    'fencing-action': p.fencingAction,
    'fencing-timeout': dur(p.fencingTimeout),
    'fencing-max-attempts': p.fencingMaxAttempts,
    'dc-deadtime': dur(p.dcDeadtime),
    boot_time: dur(p.bootTime),
    stonith: Object.fromEntries(p.devices.map((d) => [d.name, { target: d.target, site: d.site, pcmk_delay_base: dur(d.delayBase), pcmk_delay_max: dur(d.delayMax), action_time: dur(d.actionTime) }])),
  };
}

export function printBlockStep(s: BlockOp, bw: Bw): Out {
  switch (s.op) {
    case 'connect':
    case 'disconnect':
      return { [s.op]: s.resource };
    case 'adjust': {
      const a: Out = { resource: s.resource };
      if (s.set.net) a.net = net(s.set.net);
      if (s.set.disk) a.disk = disk(s.set.disk, bw);
      if (s.set.md) a.md = md(s.set.md, bw);
      if (s.set.walb) a.walb = walb(s.set.walb, bw);
      return { adjust: a };
    }
    case 'startJob':
      return { start_job: { name: s.job.name, ...job(s.job, bw) } };
    case 'stopJob':
      return { stop_job: { disk: s.disk, name: s.name } };
    case 'ioWorkload': {
      const w: Out = { workload: s.workload };
      if (s.iops !== undefined) w.iops = s.iops;
      if (s.readShare !== undefined) w.reads = s.readShare;
      if (s.random !== undefined) w.random = s.random;
      if (s.size !== undefined) w.size = size(s.size);
      return { io_workload: w };
    }
    case 'failHost':
      return { fail_host: s.host };
    case 'powerOn':
      return { power_on: s.host };
    case 'forcePrimary':
      return { force_primary: { resource: s.resource, host: s.host } };
    case 'slowDisk':
      return { slow_disk: { disk: s.disk, factor: s.factor, ...(s.duration !== null ? { for: formatDuration(s.duration) } : {}) } };
    case 'failDisk':
      return { fail_disk: s.disk };
    case 'secondary':
      return { secondary: { resource: s.resource, host: s.host } };
    case 'primary':
      return { primary: { resource: s.resource, host: s.host } };
    case 'move':
      return { move: { resource: s.resource, to: s.host } };
  }
}
