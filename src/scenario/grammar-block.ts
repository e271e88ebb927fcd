/**
 * The `block:` section of a scenario: hosts, disks (HDD, SSD, RAID), replicated block devices (DRBD,
 * md RAID1 write-behind, WalB) with their options spelled as drbd.conf, mdadm and walb-tools spell them,
 * the applications' I/O, and background disk jobs; plus the plan steps and expectation that act on them.
 * Defaults and limits are DRBD's (../shared/domain/drbd-tcp-disk.md §10 "Numbers", LIM84 / LIM9), and
 * version rules are checked where 8.4 and 9.x differ.
 */
import { isScalar, type Node } from 'yaml';
import type { Micros } from '../engine/time.ts';
import type { DeviceSpec, DiskSpec, RaidLevel, WriteCacheSpec } from '../models/disk/device.ts';
import type { ActionBody, Bounds, ExpectationBody } from './types.ts';
import {
  DRBD_VERSIONS,
  type BlockHostSpec,
  type BlockOp,
  type BlockResourceSpec,
  type BlockSpec,
  type DiskJobSpec,
  type DrbdDiskOptions,
  type DrbdNetOptions,
  type DrbdVersion,
  type IoWorkloadSpec,
  type ReplicationAdjust,
  type ReplicationOptions,
} from './types-block.ts';
import { didYouMean, listing, show } from './errors.ts';
import { boolean, byKind, custom, enumOf, integer, list, map, namedMap, object, opt, req, string, typeError, withDefault, type Ctx, type Decoder, type ObjectInfo } from './decode.ts';
import { factor } from './grammar-managers.ts';
import { AFTER_SB_0PRI, AFTER_SB_1PRI, AFTER_SB_2PRI } from '../models/block/split-brain.ts';
import type { QuorumSetting } from '../models/block/quorum.ts';
import { duration, size } from './settings.ts';
import { pacemakerGrammar } from './grammar-pacemaker.ts';
import { MAX_SHARE } from '../models/disk/queue.ts';
import type { Env, bandwidth, bounds, rate, ref } from './grammar.ts';

/** What later parts of the file may refer to. */
export interface BlockEnv {
  hosts: string[];
  disks: string[];
  resources: string[];
  workloads: string[];
  jobs: string[];
  versions: Map<string, DrbdVersion | null>;
  /** Where each resource being decoded asked for crm-fence-peer (checked against block.pacemaker). */
  crmFencePeer: { name: string; node: Node }[];
}

type C = Ctx<Env>;

const blockEnv = (env: Env): BlockEnv => (env.block ??= { hosts: [], disks: [], resources: [], workloads: [], jobs: [], versions: new Map(), crmFencePeer: [] });

const BLOCK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const blockName = (): Decoder<string> => string({ pattern: BLOCK_NAME, patternText: 'a name of letters, digits, "_" and "-"', maxLength: 63 });

/** Decoders of grammar.ts the block grammar reuses, passed in (grammar.ts imports this module). */
export interface GrammarHelpers {
  readonly ref: typeof ref;
  readonly bandwidth: typeof bandwidth;
  readonly rate: typeof rate;
  readonly bounds: typeof bounds;
}

/** The block grammar, built by grammar.ts with its own helpers (so neither module runs the other's code while loading). */
export function blockGrammar(h: GrammarHelpers) {
  const { ref, bandwidth: lineRate, rate, bounds } = h;
  /** A bandwidth, or 0 (DRBD's "off" or "unlimited" for c-min-rate, c-max-rate; WalB's unlimited scan). */
  const bandwidth = (): Decoder<number> => {
    const d = lineRate();
    return custom<number>(`${d.expected}, or 0`, (b) => ({ anyOf: [d.schema(b), { const: 0 }] }), (node, ctx) => {
      const n = ctx.resolve(node);
      return isScalar(n) && n.value === 0 ? 0 : d.decode(n, ctx);
    });
  };
  const hostRef = ref('host', (env) => blockEnv(env).hosts);
  const diskRef = ref('disk', (env) => blockEnv(env).disks);
  const resourceRef = ref('resource', (env) => blockEnv(env).resources);
  const workloadRef = ref('I/O workload', (env) => blockEnv(env).workloads);
  const siteRefB = ref('site', (env) => env.sites);

  /** The present keys of a decoded section under the model's names (`resync-rate` → resyncRate). */
function renameKeys<T>(v: Record<string, unknown>, names: { readonly [K in keyof T]?: string }): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, y] of Object.entries(names) as [string, string][]) if (v[y] !== undefined) out[k] = v[y];
  return out as Partial<T>;
}

/** A fraction: "30%" or a number from 0 to 1. */
  function fraction(): Decoder<number> {
    const expected = 'a percentage like "30%" or a number from 0 to 1';
    return custom<number>(
      expected,
      () => ({ anyOf: [{ type: 'string', pattern: String.raw`^\s*\d+(\.\d+)?\s*%\s*$` }, { type: 'number', minimum: 0, maximum: 1 }] }),
      (node, ctx) => {
        const n = ctx.resolve(node);
        if (!isScalar(n)) return typeError(n, ctx, expected);
        const v = n.value;
        let f: number | null = null;
        if (typeof v === 'number') f = v;
        else if (typeof v === 'string') {
          const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
          if (m) f = Number(m[1]) / 100;
        }
        if (f === null || !Number.isFinite(f) || f < 0 || f > 1) return ctx.fail(n, `${ctx.subject} must be ${expected}`, { expected });
        return f;
      },
    );
  }

  /** A DRBD version: "8.4", "9.2" (YAML numbers are read by their spelling: 9.0 stays 9.0). */
  function drbdVersion(): Decoder<DrbdVersion> {
    const names = DRBD_VERSIONS.map((v) => v.toFixed(1));
    const expected = `a DRBD version: ${names.join(', ')}`;
    return custom<DrbdVersion>(
      expected,
      () => ({ anyOf: [{ type: 'string', enum: names }, { type: 'number', enum: [...DRBD_VERSIONS] }] }),
      (node, ctx) => {
        const n = ctx.resolve(node);
        if (!isScalar(n)) return typeError(n, ctx, expected);
        const text = typeof n.value === 'number' ? (n.source ?? String(n.value)) : String(n.value);
        const i = names.indexOf(text.trim());
        if (i < 0) {
          const hint = didYouMean(text, names);
          return ctx.fail(n, `${ctx.subject}: ${show(text)} is not ${expected}`, hint ? { expected, hint } : { expected });
        }
        return DRBD_VERSIONS[i]!;
      },
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Hosts and disks

  const hostDecoder = object({ site: req(siteRefB, 'The site (data centre) the host is in.') });

  const hddDecoder = object(
    {
      type: req(enumOf(['hdd'] as const), 'hdd'),
      rpm: withDefault(integer({ min: 3600, max: 20000 }), 'Spindle speed; average rotational latency is 30000/rpm ms (§7.1).', 7200),
      seek: withDefault(duration(), 'Average seek (datasheet; 7.4-8.5 ms at 7200 rpm, about 3 ms at 15k).', 8500 as Micros, '8.5ms'),
      track_to_track: withDefault(duration(), 'Track-to-track seek.', 500 as Micros, '0.5ms'),
      transfer: withDefault(bandwidth(), 'Sustained media rate. Zone-dependent; no sourced figure for modern drives: calibrate (§7.1).', 150e6, '150MB/s'),
      overhead: withDefault(duration(), 'Command overhead per request (term A of the datasheet timing model).', 300 as Micros, '0.3ms'),
      cs2: withDefault(custom<number>('a number from 0 to 5', () => ({ type: 'number', minimum: 0, maximum: 5 }), (n, ctx) => {
        const s = ctx.resolve(n);
        if (!isScalar(s) || typeof s.value !== 'number' || s.value < 0 || s.value > 5) return typeError(s, ctx, 'a number from 0 to 5');
        return s.value;
      }), 'Squared coefficient of variation of a random request\'s service time (§7.4 assumes 0.3).', 0.3),
    },
    { build: (v): DeviceSpec => ({ kind: 'hdd', rpm: v.rpm, seek: v.seek, trackToTrack: v.track_to_track, transferRate: v.transfer, overhead: v.overhead, cs2: v.cs2 }) },
  );

  const ssdDecoder = object(
    {
      type: req(enumOf(['ssd'] as const), 'ssd (or NVMe)'),
      read_iops: withDefault(integer({ min: 1 }), 'Random 4 KiB read IOPS.', 94000),
      write_iops: withDefault(integer({ min: 1 }), 'Random 4 KiB write IOPS.', 65000),
      read_bandwidth: withDefault(bandwidth(), 'Sequential read rate.', 560e6, '560MB/s'),
      write_bandwidth: withDefault(bandwidth(), 'Sequential write rate.', 530e6, '530MB/s'),
    },
    { build: (v): DeviceSpec => ({ kind: 'ssd', readIops: v.read_iops, writeIops: v.write_iops, readBandwidth: v.read_bandwidth, writeBandwidth: v.write_bandwidth }) },
  );

  const driveDecoder = custom<DeviceSpec>(
    'a drive {type: hdd, rpm, seek, ...} or {type: ssd, read_iops, ...}',
    (b) => ({ anyOf: [hddDecoder.schema(b), ssdDecoder.schema(b)] }),
    (node, ctx) => {
      const n = ctx.resolve(node);
      const t = (n as { get?: (k: string) => unknown }).get?.('type');
      return t === 'ssd' ? ssdDecoder.decode(n, ctx) : hddDecoder.decode(n, ctx);
    },
  );

  const raidDecoder = object(
    {
      level: req(enumOf(['0', '1', '5', '6', '10'] as const, { aliases: { 0: '0', 1: '1', 5: '5', 6: '6', 10: '10' } }), 'RAID level: 0, 1, 5, 6 or 10.'),
      members: req(integer({ min: 2, max: 256 }), 'Number of member drives.'),
    },
    {
      build: (v, info, ctx) => {
        const level = Number(v.level) as RaidLevel;
        const min = level === 5 ? 3 : level === 6 ? 4 : level === 10 ? 4 : 2;
        if (v.members < min) ctx.fail(info.at('members'), `${ctx.subject}: RAID${level} needs at least ${min} members`);
        if (level === 10 && v.members % 2 !== 0) ctx.fail(info.at('members'), `${ctx.subject}: RAID10 needs an even number of members`);
        return { level, members: v.members };
      },
    },
  );

  const writeCacheDecoder = object(
    {
      mode: req(enumOf(['volatile', 'battery-backed'] as const), 'volatile: no battery or flash backup, a power loss loses what it holds unflushed; battery-backed: survives it.'),
      size: req(size({ positive: true }), 'The dirty data it holds at most (a drive: 64-256 MiB; a RAID controller: 1-8 GiB).'),
      flushes: withDefault(enumOf(['honoured', 'ignored'] as const), 'honoured: a flush (REQ_PREFLUSH, FUA) writes it to the media; ignored: a controller forced to write back without its battery answers at once.', 'honoured' as const, 'honoured'),
    },
    { build: (v): WriteCacheSpec => ({ mode: v.mode, size: v.size, flushes: v.flushes }) },
  );

  function diskDecoder(name: string): Decoder<DiskSpec> {
    return object(
      {
        host: req(hostRef, 'The host the disk is attached to.'),
        drive: req(driveDecoder, 'The drive (each member of an array).'),
        raid: opt(raidDecoder, 'An array over several drives; absent: a single drive.'),
        write_cache: opt(writeCacheDecoder, 'A write-back cache (the drives\' or a RAID controller\'s) that completes writes before they are on the media; absent: write-through.'),
      },
      { build: (v): DiskSpec => ({ name, host: v.host, device: v.drive, raid: v.raid ?? null, ...(v.write_cache ? { writeCache: v.write_cache } : {}) }) },
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // Replication

  const KIB = 1024;
  const MIB = 1 << 20;
  /** tcp_wmem / tcp_rmem maxima that DRBD's auto-tuning (sndbuf-size 0) ends up with (§6.1; "4MB" and "6MB"). ASSUMPTION. */
  const AUTO_SNDBUF = 4 * MIB;
  const AUTO_RCVBUF = 6 * MIB;

  /**
   * An option whose bare number drbd.conf reads in its own unit (drbd-utils documentation/v9/drbdsetup-options.xml,
   * drbd_limits.h): a number copied from it is refused with the hint in that unit, where the generic hint would
   * read it in seconds, bytes or Mbit/s (timeout 60 is 6 s, not "60s"; c-fill-target 100 is 50 KiB, not "100B";
   * c-max-rate 102400 is 100 MiB/s, not "102400Mbps").
   */
  function drbdConf<T>(d: Decoder<T>, unit: string, hint: (n: number) => string): Decoder<T> {
    return {
      ...d,
      decode(node, ctx) {
        const v = ctx.resolve(node);
        const raw = isScalar(v) ? v.value : undefined;
        const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
        if (Number.isFinite(n) && n > 0) {
          const text = String(raw).trim();
          const meant = hint(n);
          ctx.fail(v, `${ctx.subject}: ${show(text)} has no unit`, { expected: d.expected, hint: `did you mean "${meant}"? (drbd.conf counts it in ${unit}: ${text} is ${meant})` });
        }
        return d.decode(node, ctx);
      },
    };
  }
  const bytesText = (b: number) => (b % MIB === 0 ? `${b / MIB}MiB` : b % 1024 === 0 ? `${b / 1024}KiB` : `${b}B`);
  const tenths = () => drbdConf(duration(), 'tenths of a second', (n) => `${+(n / 10).toFixed(3)}s`);
  const sectors = () => drbdConf(size(), 'sectors of 512 bytes', (n) => bytesText(n * 512));
  const kibPerSecond = () => drbdConf(bandwidth(), 'KiB/s', (n) => (n % 1024 === 0 ? `${n / 1024}MiB/s` : `${n}KiB/s`));

  /** drbd.conf net options, each optional (plan `adjust` uses the same decoder). */
  const drbdNetFields = {
    protocol: opt(enumOf(['A', 'B', 'C'] as const), 'Replication protocol (default C): A completes a write once it is in the local send buffer, B once the peer received it, C once the peer wrote it (§1).'),
    'sndbuf-size': opt(size(), 'TCP send buffer; 0 = auto-tuning (up to tcp_wmem max, 4 MiB assumed). Max 10 MiB in 8.4, 128 MiB in 9 (LIM84, LIM9).'),
    'rcvbuf-size': opt(size(), 'TCP receive buffer; 0 = auto (6 MiB assumed).'),
    'on-congestion': opt(enumOf(['block', 'pull-ahead', 'disconnect'] as const), 'block (default), pull-ahead (protocol A only) or disconnect (§2.3).'),
    'congestion-fill': opt(sectors(), 'Bytes in flight that count as congestion; 0 = off (default). Max 10 GiB.'),
    'congestion-extents': opt(integer({ min: 7, max: 65534 }), 'Activity-log extents in use that count as congestion (default 1237). Accepted; not modelled.'),
    'max-buffers': opt(integer({ min: 32, max: 131072 }), 'Receiver page buffers (4 KiB each), default 2048 = 8 MiB (§2.4).'),
    'ko-count': opt(integer({ min: 0, max: 200 }), 'Send timeouts without progress before the peer is dropped (default 7; 0 = never).'),
    timeout: opt(tenths(), 'Network timeout (default 6s; drbd.conf\'s 60, in tenths of a second).'),
    proxy: opt(object({ memlimit: req(size({ positive: true }), 'DRBD Proxy buffer memory.') }), 'A DRBD Proxy between DRBD and the line, with a large buffer (§2.3).'),
    'connect-int': opt(duration(), 'Between connection attempts while the peer cannot be reached (default 10s).'),
    'ping-int': opt(duration(), 'An idle link sends a keep-alive ping after this (default 10s).'),
    'ping-timeout': opt(tenths(), 'A ping unanswered this long drops the connection (default 500ms; drbd.conf\'s 5, in tenths of a second).'),
    'after-sb-0pri': opt(enumOf(AFTER_SB_0PRI), 'Split brain found at the handshake with no Primary: disconnect (default), discard-younger-primary, discard-older-primary, discard-zero-changes, discard-least-changes.'),
    'after-sb-1pri': opt(enumOf(AFTER_SB_1PRI), 'With one Primary: disconnect (default), consensus, discard-secondary, call-pri-lost-after-sb, violently-as0p.'),
    'after-sb-2pri': opt(enumOf(AFTER_SB_2PRI), 'With two Primaries: disconnect (default), call-pri-lost-after-sb, violently-as0p.'),
    fencing: opt(enumOf(['dont-care', 'resource-only', 'resource-and-stonith'] as const), 'DRBD 9: what a Primary does when it loses its peer (8.x: in the disk section). Default dont-care.'),
  };

  const drbdDiskFields = {
    'resync-rate': opt(kibPerSecond(), 'Fixed resync rate (with c-plan-ahead 0) or the controller\'s start rate; default 250KiB/s.'),
    'c-plan-ahead': opt(tenths(), 'Dynamic resync controller horizon; 0 = fixed rate. Default 2s (8.4+; drbd.conf\'s 20, in tenths of a second), 0 in 8.3. Max 30s.'),
    'c-fill-target': opt(sectors(), 'Bytes the controller keeps in flight (default 50KiB); 0 = use c-delay-target.'),
    'c-delay-target': opt(tenths(), 'Target resync delay when c-fill-target is 0 (default 1s; drbd.conf\'s 10, in tenths of a second).'),
    'c-max-rate': opt(kibPerSecond(), 'Upper bound of the controller (default 100MiB/s); 0 = unlimited (9.x only).'),
    'c-min-rate': opt(kibPerSecond(), 'Below this rate the resync is not slowed for application I/O; 0 = no throttle (default 250KiB/s) (§3.6).'),
    'al-extents': opt(integer({ min: 7, max: 65534 }), 'Activity log extents (default 1237).'),
    'resync-without-replication': opt(boolean(), '9.3+: application writes during a resync are only marked (default true in 9.3).'),
    'disk-barrier': opt(boolean(), 'Write ordering by barrier requests (flush + FUA on an epoch\'s first write); default no since 8.4.2.'),
    'disk-flushes': opt(boolean(), 'Flush the backing disk at each epoch\'s barrier before acknowledging it (default yes). Disable only with a battery-backed cache.'),
    'disk-drain': opt(boolean(), 'Wait for an epoch\'s writes to finish before the next (default yes): safe only if finished means stable.'),
    'md-flushes': opt(boolean(), 'Flush + FUA on meta-data writes (activity-log transactions, bitmap) (default yes).'),
    fencing: opt(enumOf(['dont-care', 'resource-only', 'resource-and-stonith'] as const), 'DRBD 8.x: what a Primary does when it loses its peer (9: in the net section). Default dont-care.'),
  };

  type NetIn = { [K in keyof typeof drbdNetFields]?: unknown };

  function checkDrbd(version: DrbdVersion, net: Partial<DrbdNetOptions>, disk: Partial<DrbdDiskOptions>, info: { net?: ObjectInfo; disk?: ObjectInfo }, ctx: C): void {
    const at = (i: ObjectInfo | undefined, k: string) => i?.at(k) ?? i?.node;
    const sndMax = version >= 9 ? 128 * MIB : 10 * MIB;
    if (net.sndbufSize !== undefined && net.sndbufSize > sndMax) {
      ctx.fail(at(info.net, 'sndbuf-size'), `sndbuf-size ${net.sndbufSize} B is above DRBD ${version.toFixed(1)}'s maximum ${sndMax / MIB} MiB (${version >= 9 ? 'LIM9' : 'LIM84 DRBD_SNDBUF_SIZE_MAX'})`, {
        hint: version >= 9 ? undefined : 'DRBD 9 allows up to 128 MiB',
      });
    }
    if (net.rcvbufSize !== undefined && net.rcvbufSize > sndMax) ctx.fail(at(info.net, 'rcvbuf-size'), `rcvbuf-size is above DRBD ${version.toFixed(1)}'s maximum ${sndMax / MIB} MiB`);
    if (net.onCongestion === 'pull-ahead' && net.protocol !== undefined && net.protocol !== 'A') {
      ctx.fail(at(info.net, 'on-congestion'), 'on-congestion pull-ahead only with prot A allowed (drbdsetup)', { hint: 'use protocol: A, or on-congestion: block' });
    }
    if (net.congestionFill !== undefined && net.congestionFill > 10 * 1024 * MIB) ctx.fail(at(info.net, 'congestion-fill'), 'congestion-fill is above its maximum of 10 GiB');
    if (disk.cMaxRate === 0 && version < 9) ctx.fail(at(info.disk, 'c-max-rate'), `c-max-rate 0 (unlimited) exists from DRBD 9.0.28; ${version.toFixed(1)} needs at least 250KiB/s`);
    if (disk.resyncWithoutReplication === true && version < 9.3) ctx.fail(at(info.disk, 'resync-without-replication'), `resync-without-replication exists from DRBD 9.3.0, not in ${version.toFixed(1)}`);
    if (disk.cPlanAhead !== undefined && disk.cPlanAhead > 30_000_000) ctx.fail(at(info.disk, 'c-plan-ahead'), 'c-plan-ahead is at most 30s (300 × 0.1 s)');
  }

  function netFrom(v: Record<string, unknown>): Partial<DrbdNetOptions> {
    const out: Record<string, unknown> = {};
    const set = (k: keyof DrbdNetOptions, x: unknown) => {
      if (x !== undefined) out[k] = x;
    };
    set('protocol', v.protocol);
    set('sndbufSize', v['sndbuf-size'] === 0 ? AUTO_SNDBUF : v['sndbuf-size']);
    set('rcvbufSize', v['rcvbuf-size'] === 0 ? AUTO_RCVBUF : v['rcvbuf-size']);
    set('onCongestion', v['on-congestion']);
    set('congestionFill', v['congestion-fill']);
    set('congestionExtents', v['congestion-extents']);
    set('maxBuffers', v['max-buffers']);
    set('koCount', v['ko-count']);
    set('timeout', v.timeout);
    set('proxyBuffer', (v.proxy as { memlimit: number } | undefined)?.memlimit);
    set('connectInt', v['connect-int']);
    set('pingInt', v['ping-int']);
    set('pingTimeout', v['ping-timeout']);
    set('afterSb0pri', v['after-sb-0pri']);
    set('afterSb1pri', v['after-sb-1pri']);
    set('afterSb2pri', v['after-sb-2pri']);
    set('fencing', v.fencing);
    return out as Partial<DrbdNetOptions>;
  }

  function diskFrom(v: Record<string, unknown>): Partial<DrbdDiskOptions> {
    return renameKeys<DrbdDiskOptions>(v, {
      resyncRate: 'resync-rate',
      cPlanAhead: 'c-plan-ahead',
      cFillTarget: 'c-fill-target',
      cDelayTarget: 'c-delay-target',
      cMaxRate: 'c-max-rate',
      cMinRate: 'c-min-rate',
      alExtents: 'al-extents',
      resyncWithoutReplication: 'resync-without-replication',
      diskBarrier: 'disk-barrier',
      diskFlushes: 'disk-flushes',
      diskDrain: 'disk-drain',
      mdFlushes: 'md-flushes',
    });
  }

  function drbdDefaults(version: DrbdVersion): { net: DrbdNetOptions; disk: DrbdDiskOptions } {
    return {
      net: {
        protocol: 'C',
        sndbufSize: AUTO_SNDBUF,
        rcvbufSize: AUTO_RCVBUF,
        onCongestion: 'block',
        congestionFill: 0,
        congestionExtents: 1237,
        maxBuffers: 2048,
        koCount: 7,
        timeout: 6_000_000 as Micros,
        proxyBuffer: 0,
        connectInt: 10_000_000 as Micros,
        pingInt: 10_000_000 as Micros,
        pingTimeout: 500_000 as Micros,
        afterSb0pri: 'disconnect',
        afterSb1pri: 'disconnect',
        afterSb2pri: 'disconnect',
        fencing: 'dont-care',
      },
      disk: {
        resyncRate: 250 * KIB,
        // The dynamic controller is the default from 8.4.0 (8.3.9 introduced it off) (§3.5).
        cPlanAhead: (version >= 8.4 ? 2_000_000 : 0) as Micros,
        cFillTarget: 100 * 512,
        cDelayTarget: 1_000_000 as Micros,
        cMaxRate: 100 * MIB,
        cMinRate: 250 * KIB,
        alExtents: 1237,
        resyncWithoutReplication: version >= 9.3,
        // DRBD_DISK_BARRIER_DEF 0 (since 8.4.2), DRBD_DISK_FLUSHES_DEF 1, DRBD_DISK_DRAIN_DEF 1, DRBD_MD_FLUSHES_DEF 1
        // (drbd-utils user/v84/linux/drbd_limits.h; the same in 9: documentation/v9/drbdsetup-options.xml).
        diskBarrier: false,
        diskFlushes: true,
        diskDrain: true,
        mdFlushes: true,
      },
    };
  }

  const drbdDecoder = object(
    {
      version: withDefault(drbdVersion(), 'DRBD version (8.3, 8.4, 9.0 … 9.3): limits and defaults differ (§2.1, §3.2, §3.5).', 8.4 as DrbdVersion, '8.4'),
      net: withDefault(object(drbdNetFields), 'drbd.conf net section.', {}, {}),
      disk: withDefault(object(drbdDiskFields), 'drbd.conf disk section (resync).', {}, {}),
      options: opt(
        object({
          quorum: opt(quorumSetting(), 'DRBD 9 (9.0.7+): off (default), majority, all, or a number of votes: a partition without quorum cannot promote, and its Primary freezes or fails its I/O (docs/model-drbd.md, "Quorum").'),
          'on-no-quorum': opt(enumOf(['suspend-io', 'io-error'] as const), 'What a Primary without quorum does with its I/O: suspend-io (default) or io-error.'),
        }),
        'drbd.conf options section (DRBD 9): quorum.',
      ),
      handlers: opt(
        object({
          'fence-peer': opt(
            object({
              'exits-after': opt(duration(), 'How long the handler runs before it has outdated the peer (default 1s).'),
              'crm-fence-peer': opt(
                object({ timeout: withDefault(duration(), 'crm-fence-peer.9.sh --timeout: how long it polls the DC for the peer\'s fate.', 90_000_000 as Micros, '90s') }),
                'crm-fence-peer.9.sh under the scenario\'s Pacemaker: it returns when the peer is reachable again (4), fenced (7), or at the timeout (5). The resource must be in block.pacemaker.resources.',
              ),
            }),
            'The fence-peer handler: a fixed time (exits-after), or crm-fence-peer.9.sh driven by Pacemaker.',
          ),
        }),
        'drbd.conf handlers section.',
      ),
    },
    {
      build: (v, info, ctx: C): ReplicationOptions => {
        const d = drbdDefaults(v.version);
        const diskIn = v.disk as Record<string, unknown>;
        const netIn = v.net as Record<string, unknown>;
        // fencing moved from the disk section (8.x) to the net section (9) (MAN84, MAN9).
        if (diskIn.fencing !== undefined && v.version >= 9) ctx.fail(subInfo(info, 'disk')?.at('fencing') ?? info.node, `fencing is a net option in DRBD ${v.version.toFixed(1)}`, { hint: 'move it to net:' });
        if (netIn.fencing !== undefined && v.version < 9) ctx.fail(subInfo(info, 'net')?.at('fencing') ?? info.node, `fencing is a disk option in DRBD ${v.version.toFixed(1)}`, { hint: 'move it to disk:' });
        const net = { ...d.net, ...netFrom({ ...netIn, fencing: netIn.fencing ?? diskIn.fencing }) };
        const { fencing: _f, ...diskRest } = diskIn;
        void _f;
        const disk = { ...d.disk, ...diskFrom(diskRest) };
        checkDrbd(v.version, net, disk, { net: subInfo(info, 'net'), disk: subInfo(info, 'disk') }, ctx);
        // ASSUMPTION: a crm-fence-peer on a node that can write the cluster's configuration places its constraint in about a second.
        const fp = (v.handlers as { 'fence-peer'?: { 'exits-after'?: Micros; 'crm-fence-peer'?: { timeout: Micros } } } | undefined)?.['fence-peer'];
        if (fp?.['exits-after'] !== undefined && fp['crm-fence-peer'] !== undefined) ctx.fail(subInfo(info, 'handlers')?.at('fence-peer') ?? info.node, `${ctx.subject}: fence-peer is either exits-after or crm-fence-peer, not both`);
        const fencePeerTime = (fp?.['exits-after'] ?? 1_000_000) as Micros;
        const crm = fp?.['crm-fence-peer'];
        const o = v.options as { quorum?: QuorumSetting | 'off'; 'on-no-quorum'?: 'suspend-io' | 'io-error' } | undefined;
        // quorum exists from DRBD 9.0.7 (drbdsetup-options.xml); 8.x connects two nodes and has none.
        if (o && v.version < 9) ctx.fail(subInfo(info, 'options')?.keyAt('quorum') ?? info.at('options') ?? info.node, `quorum exists from DRBD 9.0.7, not in ${v.version.toFixed(1)}: DRBD 8.4 connects two nodes and has no quorum`, { hint: 'use version: 9.2, or fencing (resource-and-stonith) with a cluster manager' });
        const quorum = o?.quorum !== undefined && o.quorum !== 'off' ? { setting: o.quorum, onNoQuorum: o['on-no-quorum'] ?? ('suspend-io' as const) } : undefined;
        return { kind: 'drbd', version: v.version, net, disk, fencePeerTime, ...(crm ? { crmFencePeer: { timeout: crm.timeout } } : {}), ...(quorum ? { quorum } : {}) };
      },
    },
  );

  /** A quorum setting: off, majority, all, or a number of votes (drbdsetup-options.xml quorum). */
  function quorumSetting(): Decoder<QuorumSetting | 'off'> {
    const names = ['off', 'majority', 'all'] as const;
    const expected = 'off, majority, all, or a number of votes from 1 to 32';
    return custom<QuorumSetting | 'off'>(expected, () => ({ anyOf: [{ type: 'string', enum: [...names] }, { type: 'integer', minimum: 1, maximum: 32 }] }), (node, ctx) => {
      const n = ctx.resolve(node);
      if (!isScalar(n)) return typeError(n, ctx, expected);
      if (typeof n.value === 'number' && Number.isInteger(n.value) && n.value >= 1 && n.value <= 32) return n.value;
      const i = names.indexOf(String(n.value) as (typeof names)[number]);
      if (i < 0) return ctx.fail(n, `${ctx.subject}: ${show(String(n.value))} is not ${expected}`, { expected });
      return names[i]!;
    });
  }

  /** ObjectInfo of a nested mapping, for positions of its keys. */
  function subInfo(info: ObjectInfo, key: string): ObjectInfo | undefined {
    const n = info.at(key) as (Node & { get?: (k: string, keep: boolean) => unknown; has?: (k: string) => boolean }) | undefined;
    if (!n || typeof n.get !== 'function') return undefined;
    return {
      node: n,
      at: (k) => (n.get!(k, true) as Node | undefined) ?? undefined,
      keyAt: () => n,
      has: (k) => n.has!(k),
    };
  }

  const mdFields = {
    'write-behind': opt(integer({ min: 0, max: 16383 }), 'mdadm --write-behind: outstanding writes to the write-mostly leg (default 256).'),
    'bitmap-chunk': opt(size({ positive: true }), 'Write-intent bitmap chunk (default 64MiB).'),
    speed_limit_min: opt(bandwidth(), 'md resync rate guaranteed under load (default 1000KiB/s).'),
    speed_limit_max: opt(bandwidth(), 'md resync rate when idle (default 200000KiB/s).'),
    sndbuf: opt(size(), 'Socket buffer of the network block device carrying the remote leg (default 4MiB).'),
  };

  function mdFrom(v: Record<string, unknown>): Partial<Extract<ReplicationOptions, { kind: 'md' }>> {
    return renameKeys<Omit<Extract<ReplicationOptions, { kind: 'md' }>, 'kind'>>(v, { writeBehind: 'write-behind', bitmapChunk: 'bitmap-chunk', speedLimitMin: 'speed_limit_min', speedLimitMax: 'speed_limit_max', sndbuf: 'sndbuf' });
  }

  const mdDecoder = map(object(mdFields), (v): ReplicationOptions => ({
    kind: 'md',
    writeBehind: 256,
    bitmapChunk: 64 * MIB,
    speedLimitMin: 1000 * KIB,
    speedLimitMax: 200000 * KIB,
    sndbuf: AUTO_SNDBUF,
    ...mdFrom(v as Record<string, unknown>),
  }));

  const walbFields = {
    ring_buffer_size: opt(size({ positive: true }), 'The log device\'s ring buffer for unextracted logs (default 64GiB).'),
    full_scan_rate: opt(bandwidth(), 'Read rate of the initial full backup; 0 = unlimited (walb-tools default).'),
    error_before_overflow: opt(boolean(), 'Fail writes instead of overflowing the ring (module parameter, default false).'),
    sndbuf: opt(size(), 'Socket buffer of the transfer to the archive (default 4MiB).'),
  };

  function walbFrom(v: Record<string, unknown>): Partial<Extract<ReplicationOptions, { kind: 'walb' }>> {
    return renameKeys<Omit<Extract<ReplicationOptions, { kind: 'walb' }>, 'kind' | 'logDisk'>>(v, { ringSize: 'ring_buffer_size', fullScanRate: 'full_scan_rate', errorBeforeOverflow: 'error_before_overflow', sndbuf: 'sndbuf' });
  }

  const walbDecoder = object(
    { log_disk: req(diskRef, 'The log device (a disk of the primary host).'), ...walbFields },
    {
      build: (v): ReplicationOptions => ({
        kind: 'walb',
        logDisk: v.log_disk,
        ringSize: 64 * 1024 * MIB,
        fullScanRate: 0,
        errorBeforeOverflow: false,
        sndbuf: AUTO_SNDBUF,
        ...walbFrom(v as Record<string, unknown>),
      }),
    },
  );

  const endpointDecoder = object({ host: req(hostRef, 'The host.'), disk: req(diskRef, 'Its backing disk.') });

  function resourceDecoder(name: string): Decoder<BlockResourceSpec> {
    return object(
      {
        size: req(size({ positive: true }), 'Device size.'),
        primary: req(endpointDecoder, 'The host writes go to at the start, and its backing disk.'),
        secondary: req(endpointDecoder, 'The peer at the other site, and its backing disk.'),
        // A pair written without `connected` is a running one (Connected, UpToDate on both sides), as a user describing their
        // replicated volume means: a default of StandAlone replicated nothing, silently.
        connected: withDefault(boolean(), 'true (default): the peers start connected and in sync; false: StandAlone, never synced: a plan `connect` starts the initial full sync.', true),
        diskless: opt(list(hostRef, { label: (i) => `diskless node ${i + 1}` }), 'DRBD 9: intentionally diskless nodes of the resource (quorum tiebreakers), by host.'),
        max_bio_size: withDefault(size({ positive: true }), 'Largest request a resync merges adjacent dirty blocks into (the device\'s max hw I/O size). ASSUMPTION default.', 128 * KIB, '128KiB'),
        drbd: opt(drbdDecoder, 'Replicate with DRBD.'),
        md: opt(mdDecoder, 'Replicate with an mdadm RAID1 whose remote leg is --write-mostly --write-behind.'),
        walb: opt(walbDecoder, 'Replicate with WalB (log device + asynchronous transfer).'),
      },
      {
        build: (v, info, ctx: C): BlockResourceSpec => {
          const kinds = (['drbd', 'md', 'walb'] as const).filter((k) => v[k] !== undefined);
          if (kinds.length !== 1) ctx.fail(info.node, `${ctx.subject} needs exactly one of drbd, md, walb${kinds.length > 1 ? ` (has ${kinds.join(' and ')})` : ''}`);
          const replication = (v.drbd ?? v.md ?? v.walb)!;
          blockEnv(ctx.env).versions.set(name, replication.kind === 'drbd' ? replication.version : null);
          if (replication.kind === 'drbd' && replication.crmFencePeer) blockEnv(ctx.env).crmFencePeer.push({ name, node: info.at('drbd') ?? info.node });
          const diskless = v.diskless ?? [];
          if (diskless.length > 0 && (replication.kind !== 'drbd' || replication.version < 9)) ctx.fail(info.at('diskless') ?? info.node, `${ctx.subject}: diskless nodes need DRBD 9: ${replication.kind === 'drbd' ? `DRBD ${replication.version.toFixed(1)} connects two nodes` : `${replication.kind} has two legs`}`, { hint: 'use drbd: { version: 9.2 }' });
          for (const h of diskless) if (h === v.primary.host || h === v.secondary.host) ctx.fail(info.at('diskless') ?? info.node, `${ctx.subject}: ${show(h)} is diskful here (primary or secondary), not a diskless node`);
          if (new Set(diskless).size !== diskless.length) ctx.fail(info.at('diskless') ?? info.node, `${ctx.subject}: a diskless host is listed twice`);
          return { name, size: v.size, primary: v.primary, secondary: v.secondary, startConnected: v.connected, maxBioSize: v.max_bio_size, replication, ...(diskless.length > 0 ? { diskless } : {}) };
        },
      },
    );
  }

  const workloadDecoder = object({
    resource: req(resourceRef, 'The replicated device the application uses (it follows the device\'s primary).'),
    iops: req(rate(), 'Requests per second.'),
    reads: withDefault(fraction(), 'Share of requests that are reads.', 0.7, '70%'),
    random: withDefault(fraction(), 'Share of requests that are random (the rest continue a sequential stream). HDD headroom depends on it.', 0.5, '50%'),
    size: withDefault(size({ positive: true }), 'Bytes per request.', 16 * KIB, '16KiB'),
    working_set: opt(size({ positive: true }), 'Part of the device writes land in: how fast a bitmap fills while disconnected. Default: the whole device.'),
    queue_depth: withDefault(integer({ min: 1, max: 100000 }), 'Writes the application keeps outstanding at most (threads, connections); when the device stalls, this many wait and new ones are not issued.', 32),
  });

  const jobBody = {
    disk: req(diskRef, 'The disk.'),
    kind: withDefault(enumOf(['background-init', 'backup', 'scan'] as const), 'What the job is (for the report).', 'backup' as const),
    op: opt(enumOf(['read', 'write'] as const), 'Its I/O: read (backup, scan) or write (background initialisation). Default by kind.'),
    size: opt(size({ positive: true }), 'Bytes to process; default: until stopped.'),
    share: opt(fraction(), 'A fixed share of disk time (a controller\'s background rate %, §7.3).'),
    rate: opt(bandwidth(), 'A target rate, taken as the disk allows.'),
  };

  function jobFrom(name: string, v: { disk: string; kind: DiskJobSpec['kind']; op?: 'read' | 'write' | undefined; size?: number | undefined; share?: number | undefined; rate?: number | undefined }, info: ObjectInfo, ctx: C): DiskJobSpec {
    if ((v.share === undefined) === (v.rate === undefined)) ctx.fail(info.node, `${ctx.subject} needs share or rate (one of them)`);
    // The disk queue keeps 5% of disk time for the streams (disk/queue.ts MAX_SHARE): a larger share would be
    // silently capped.
    if (v.share !== undefined && v.share > MAX_SHARE + 1e-9) {
      ctx.fail(info.at('share') ?? info.node, `${ctx.subject}: share ${Math.round(v.share * 1000) / 10}% is above the ${MAX_SHARE * 100}% of disk time a fixed-share job may take (the rest is the application's and replication's)`, {
        expected: `a share of at most ${MAX_SHARE * 100}%`,
        hint: 'use share: 95%, or rate: for a job that takes what the disk allows',
      });
    }
    return {
      name,
      disk: v.disk,
      kind: v.kind,
      op: v.op ?? (v.kind === 'background-init' ? 'write' : 'read'),
      size: v.size ?? null,
      pace: v.share !== undefined ? { kind: 'share', share: v.share } : { kind: 'rate', rate: v.rate! },
    };
  }

  const named = <T>(d: (name: string) => Decoder<T>, what: string, register: (env: BlockEnv, names: string[]) => void, minItems = 0): Decoder<{ name: string; value: T }[]> => {
    // Each entry's decoder is built with its name (a disk spec carries its own name).
    let current = '';
    return namedMap(
      custom<T>(`a ${what}`, (b) => d('').schema(b), (node, ctx) => d(current).decode(node, ctx)),
      {
        label: (n) => `${what} ${show(n)}`,
        names: blockName(),
        minItems,
        onNames: (names, ctx: C) => register(blockEnv(ctx.env), names.map((n) => n.name)),
        before: (n) => {
          current = n;
        },
      },
    );
  };

  const blockDecoder: Decoder<BlockSpec> = object(
    {
      hosts: req(named(() => hostDecoder, 'host', (e, n) => (e.hosts = n), 1), 'Storage hosts by name, each at a site.'),
      disks: req(named(diskDecoder, 'disk', (e, n) => (e.disks = n), 1), 'Disks (a drive or a RAID array) by name, each on a host.'),
      resources: withDefault(named(resourceDecoder, 'resource', (e, n) => (e.resources = n)), 'Replicated block devices by name.', []),
      workloads: withDefault(named(() => workloadDecoder, 'workload', (e, n) => (e.workloads = n)), 'Applications\' I/O on the devices, by name.', []),
      jobs: withDefault(
        named((n) => object(jobBody, { build: (v, info, ctx: C) => jobFrom(n, v, info, ctx) }), 'job', (e, n) => (e.jobs = n)),
        'Background disk jobs running from the start (a RAID background initialisation, a backup).',
        [],
      ),
      pacemaker: opt(pacemakerGrammar({ hostRef, resourceRef, siteRef: siteRefB }), 'A Pacemaker/Corosync cluster managing DRBD resources: membership over the network, quorum, STONITH, promotion (docs/model-pacemaker.md).'),
    },
    {
      expected: 'a block section {hosts, disks, resources, workloads, jobs}',
      build: (v, info, ctx: C): BlockSpec => {
        const disks = v.disks.map((d) => d.value);
        const hosts: BlockHostSpec[] = v.hosts.map((h) => ({ name: h.name, site: h.value.site }));
        const resources = v.resources.map((r) => r.value);
        const hostOfDisk = new Map(disks.map((d) => [d.name, d.host]));
        for (const r of resources) {
          for (const side of ['primary', 'secondary'] as const) {
            const e = r[side];
            if (hostOfDisk.get(e.disk) !== e.host) ctx.fail(undefined, `resource ${show(r.name)}: disk ${show(e.disk)} is on host ${show(hostOfDisk.get(e.disk) ?? '')}, not on ${show(e.host)}`);
          }
          if (r.primary.host === r.secondary.host) ctx.fail(undefined, `resource ${show(r.name)}: primary and secondary are the same host`);
        }
        const sizeOf = new Map(resources.map((r) => [r.name, r.size]));
        const workloads: IoWorkloadSpec[] = v.workloads.map((w) => ({
          name: w.name,
          resource: w.value.resource,
          iops: w.value.iops,
          readShare: w.value.reads,
          random: w.value.random,
          size: w.value.size,
          workingSet: w.value.working_set ?? sizeOf.get(w.value.resource)!,
        queueDepth: w.value.queue_depth,
        }));
        const pm = v.pacemaker;
        const pmAt = info.at('pacemaker') ?? info.node;
        if (pm) {
          for (const name of pm.resources) {
            const r = resources.find((x) => x.name === name)!;
            if (r.replication.kind !== 'drbd') ctx.fail(pmAt, `block.pacemaker manages ${show(name)}, which is not a DRBD resource (ocf:linbit:drbd manages DRBD only)`);
            for (const h of [r.primary.host, r.secondary.host]) if (!pm.nodes.includes(h)) ctx.fail(pmAt, `block.pacemaker manages ${show(name)}, but its host ${show(h)} is not in pacemaker.nodes`, { hint: `add ${h} to nodes` });
          }
        }
        for (const r of resources) {
          const crm = r.replication.kind === 'drbd' && r.replication.crmFencePeer !== undefined;
          if (crm && !pm?.resources.includes(r.name)) ctx.fail(blockEnv(ctx.env).crmFencePeer.find((x) => x.name === r.name)?.node ?? pmAt, `resource ${show(r.name)}: the crm-fence-peer handler needs the resource managed by Pacemaker`, { hint: 'add it to block.pacemaker.resources, or use exits-after' });
        }
        return { hosts, disks, resources, workloads, jobs: v.jobs.map((j) => j.value), ...(pm ? { pacemaker: pm } : {}) };
      },
    },
  );

  // ---------------------------------------------------------------------------------------------------------
  // Plan steps

  const block = (step: BlockOp): ActionBody => ({ kind: 'block', step });

  const adjustDecoder = object(
    {
      resource: req(resourceRef, 'The device.'),
      net: opt(object(drbdNetFields), 'DRBD net options to change.'),
      disk: opt(object(drbdDiskFields), 'DRBD disk (resync) options to change.'),
      md: opt(object(mdFields), 'md options to change.'),
      walb: opt(object(walbFields), 'WalB options to change.'),
    },
    {
      build: (v, info, ctx: C): ActionBody => {
        const version = blockEnv(ctx.env).versions.get(v.resource) ?? null;
        const set: ReplicationAdjust = {
          ...(v.net ? { net: netFrom(v.net as NetIn as Record<string, unknown>) } : {}),
          ...(v.disk ? { disk: diskFrom(v.disk as Record<string, unknown>) } : {}),
          ...(v.md ? { md: mdFrom(v.md as Record<string, unknown>) } : {}),
          ...(v.walb ? { walb: walbFrom(v.walb as Record<string, unknown>) } : {}),
        };
        if ((set.net || set.disk) && version === null) ctx.fail(info.node, `${ctx.subject}: ${show(v.resource)} is not a DRBD device`);
        if (version !== null) checkDrbd(version, set.net ?? {}, set.disk ?? {}, { net: subInfo(info, 'net'), disk: subInfo(info, 'disk') }, ctx);
        return block({ op: 'adjust', resource: v.resource, set });
      },
    },
  );

  const startJobDecoder = object(
    { name: req(blockName(), 'The job\'s name (stop_job refers to it).'), ...jobBody },
    { build: (v, info, ctx: C): ActionBody => block({ op: 'startJob', job: jobFrom(v.name, v, info, ctx) }) },
  );

  const ioWorkloadDecoder = object(
    {
      workload: req(workloadRef, 'The I/O workload.'),
      iops: opt(rate(), 'Requests per second.'),
      reads: opt(fraction(), 'Share of reads.'),
      random: opt(fraction(), 'Share of random requests.'),
      size: opt(size({ positive: true }), 'Bytes per request.'),
    },
    {
      build: (v): ActionBody =>
        block({
          op: 'ioWorkload',
          workload: v.workload,
          ...(v.iops !== undefined ? { iops: v.iops } : {}),
          ...(v.reads !== undefined ? { readShare: v.reads } : {}),
          ...(v.random !== undefined ? { random: v.random } : {}),
          ...(v.size !== undefined ? { size: v.size } : {}),
        }),
    },
  );

  const BLOCK_ACTION_BODIES = {
    connect: map(resourceRef, (resource): ActionBody => block({ op: 'connect', resource })),
    disconnect: map(resourceRef, (resource): ActionBody => block({ op: 'disconnect', resource })),
    adjust: adjustDecoder,
    start_job: startJobDecoder,
    stop_job: object({ disk: req(diskRef, 'The disk.'), name: req(blockName(), 'The job.') }, { build: (v): ActionBody => block({ op: 'stopJob', disk: v.disk, name: v.name }) }),
    io_workload: ioWorkloadDecoder,
    fail_host: map(hostRef, (host): ActionBody => block({ op: 'failHost', host })),
    power_on: map(hostRef, (host): ActionBody => block({ op: 'powerOn', host })),
    force_primary: object(
      { resource: req(resourceRef, 'The device.'), host: req(hostRef, 'The surviving peer to make primary.') },
      { build: (v): ActionBody => block({ op: 'forcePrimary', resource: v.resource, host: v.host }) },
    ),
    slow_disk: object(
      {
        disk: req(diskRef, 'The disk (a drive or an array).'),
        factor: req(factor(), 'Every request takes this many times its service time: latency × factor, IOPS ÷ factor (1 = healthy again).'),
        for: opt(duration(), 'A latency spike: the factor holds this long, then the disk is as it was before.'),
      },
      { build: (v): ActionBody => block({ op: 'slowDisk', disk: v.disk, factor: v.factor, duration: (v.for ?? null) as Micros | null }) },
    ),
    fail_disk: map(diskRef, (disk): ActionBody => block({ op: 'failDisk', disk })),
    secondary: object(
      { resource: req(resourceRef, 'The device.'), host: req(hostRef, 'The node that gives up the Primary role.') },
      { build: (v): ActionBody => block({ op: 'secondary', resource: v.resource, host: v.host }) },
    ),
    primary: object(
      { resource: req(resourceRef, 'The device.'), host: req(hostRef, 'The node to make Primary (its peer must be Secondary, and it must have every write).') },
      { build: (v): ActionBody => block({ op: 'primary', resource: v.resource, host: v.host }) },
    ),
    move: object(
      { resource: req(resourceRef, 'The device (one block.pacemaker manages).'), to: req(hostRef, 'The node to move the Promoted role to.') },
      { build: (v): ActionBody => block({ op: 'move', resource: v.resource, host: v.to }) },
    ),
  };

  const BLOCK_ACTION_DESCRIPTIONS: { readonly [K in keyof typeof BLOCK_ACTION_BODIES]: string } = {
    connect: 'drbdadm connect a block resource (the first connect starts the initial full sync); md: re-add the remote leg; WalB: start the transfer.',
    disconnect: 'drbdadm disconnect: writes only mark the bitmap until the next connect.',
    adjust: 'Change a device\'s options at run time: {resource, net?, disk?, md?, walb?} (drbdadm adjust / disk-options / net-options).',
    start_job: 'Start a background disk job: {name, disk, kind, share | rate, size?} (a backup, a background initialisation).',
    stop_job: 'Stop a background disk job: {disk, name}.',
    io_workload: 'Change an application\'s I/O: {workload, iops?, reads?, random?, size?} (day and night load).',
    fail_host: 'A storage host crashes or loses power: its buffers (RAM) are lost; its disk keeps what it wrote (less what a volatile write_cache held unflushed: taken as a power loss) and comes back with power_on (without one, lost for good).',
    power_on: 'A lost storage host is powered on: it boots (Pacemaker nodes take boot_time), its DRBD comes up Secondary, reconnects and resyncs.',
    force_primary: 'drbdadm primary --force on the surviving peer: {resource, host}; the application moves there.',
    slow_disk: 'A disk degrades: {disk, factor, for?}: every request takes factor times as long (latency × factor, IOPS ÷ factor); with for, a latency spike that ends by itself; factor 1 restores.',
    secondary: 'drbdadm secondary {resource, host}: on the primary, the first half of a planned switchover (the application is stopped, the device closed; what is queued for the peer is still sent); on a node made Primary elsewhere (a split brain), it gives up the role.',
    primary: 'drbdadm primary {resource, host} (no --force): the second half of a planned switchover; refused while the peer is Primary as far as this node knows (its demotion reaches it behind the data it queued) or its disk is not UpToDate; the application moves there.',
    move: 'crm resource move / pcs resource move --promoted {resource, to} on a resource Pacemaker manages: a location constraint for the Promoted role; the cluster stops the application and demotes the Primary, then promotes `to` once the demote is done, its agent retrying drbdadm primary every second (drbd.ocf drbd_promote) until the old Primary\'s demotion has reached it behind the data it still sends.',
    fail_disk: 'A disk fails: DRBD detaches it (on-io-error detach); on the peer, writes only mark the bitmap; on the primary, its I/O stops.',
  };

  // ---------------------------------------------------------------------------------------------------------
  // Expectation

  const stallsExpectation = object(
    {
      resource: opt(resourceRef, 'Only stalls of this device (default: any, PostgreSQL ones included).'),
      bottleneck: opt(enumOf(['local-disk', 'peer-disk', 'line', 'peer-latency', 'peer-unreachable'] as const), 'Only stalls whose back-pressure path ends here.'),
      count: opt(bounds(integer({ min: 0 }), 'stalls'), 'How many stalls.'),
      seconds: opt(bounds(custom<number>('a number of seconds', () => ({ type: 'number', minimum: 0 }), (n, ctx) => {
        const s = ctx.resolve(n);
        if (!isScalar(s) || typeof s.value !== 'number' || s.value < 0) return typeError(s, ctx, 'a number of seconds');
        return s.value;
      }), 's'), 'Total stalled time.'),
    },
    {
      build: (v, info, ctx): ExpectationBody => {
        if (v.count === undefined && v.seconds === undefined) ctx.fail(info.node, `${ctx.subject} checks nothing`, { expected: 'count and/or seconds' });
        const none: Bounds = { atLeast: null, atMost: null };
        return { kind: 'stalls', cluster: v.resource ?? null, bottleneck: v.bottleneck ?? null, count: v.count ?? none, seconds: v.seconds ?? none };
      },
    },
  );
  const fencedExpectation = object(
    {
      node: opt(hostRef, 'Only fences of this node (default: any).'),
      count: req(bounds(integer({ min: 0 }), 'fences'), 'How many times it was (they were) fenced: {at_least?, at_most?}.'),
    },
    { build: (v): ExpectationBody => ({ kind: 'fenced', node: v.node ?? null, count: v.count }) },
  );
  return { blockDecoder, actions: BLOCK_ACTION_BODIES, actionDescriptions: BLOCK_ACTION_DESCRIPTIONS, stallsExpectation, fencedExpectation };
}

export function describeStallsExpectation(e: Extract<ExpectationBody, { kind: 'stalls' }>, boundsText: (b: Bounds, unit: string) => string): string {
  const parts = [boundsText(e.count, 'stalls'), boundsText(e.seconds, 's stalled')].filter((s) => s !== '');
  return `stalls${e.cluster ? ` of ${e.cluster}` : ''}${e.bottleneck ? ` at ${e.bottleneck}` : ''}: ${parts.join(', ')}`;
}

export const STALLS_DESCRIPTION = 'Write stalls, as described: {resource?, bottleneck?, count?, seconds?}.';

export const FENCED_DESCRIPTION = 'Nodes powered off by STONITH (block.pacemaker): {node?, count: {at_least?, at_most?}}.';

export function describeFencedExpectation(e: Extract<ExpectationBody, { kind: 'fenced' }>, boundsText: (b: Bounds, unit: string) => string): string {
  return `${e.node ?? 'nodes'} fenced ${boundsText(e.count, 'times')}`;
}

