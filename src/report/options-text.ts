/**
 * Run-time option changes (drbdadm adjust, md and WalB knobs) as the operator typed them: each option under
 * its drbd.conf / mdadm / walb-tools name, with its unit through the report's formatters
 * ("c-plan-ahead 2 s, resync-rate 2 MB/s"), not the model's camelCase names and raw numbers.
 */
import { count, duration, rate, size } from './format.ts';
import type { ReplicationAdjust } from '../scenario/types-block.ts';

type Unit = 'size' | 'rate' | 'duration' | 'count' | 'word';

/** The model's option name → the configuration's name and the value's unit. */
const OPTIONS: Readonly<Record<string, readonly [string, Unit]>> = {
  protocol: ['protocol', 'word'],
  sndbufSize: ['sndbuf-size', 'size'],
  rcvbufSize: ['rcvbuf-size', 'size'],
  onCongestion: ['on-congestion', 'word'],
  congestionFill: ['congestion-fill', 'size'],
  congestionExtents: ['congestion-extents', 'count'],
  maxBuffers: ['max-buffers', 'count'],
  koCount: ['ko-count', 'count'],
  timeout: ['timeout', 'duration'],
  proxyBuffer: ['proxy memlimit', 'size'],
  connectInt: ['connect-int', 'duration'],
  pingInt: ['ping-int', 'duration'],
  pingTimeout: ['ping-timeout', 'duration'],
  afterSb0pri: ['after-sb-0pri', 'word'],
  afterSb1pri: ['after-sb-1pri', 'word'],
  afterSb2pri: ['after-sb-2pri', 'word'],
  fencing: ['fencing', 'word'],
  resyncRate: ['resync-rate', 'rate'],
  cPlanAhead: ['c-plan-ahead', 'duration'],
  cFillTarget: ['c-fill-target', 'size'],
  cDelayTarget: ['c-delay-target', 'duration'],
  cMaxRate: ['c-max-rate', 'rate'],
  cMinRate: ['c-min-rate', 'rate'],
  alExtents: ['al-extents', 'count'],
  resyncWithoutReplication: ['resync-without-replication', 'word'],
  writeBehind: ['write-behind', 'count'],
  bitmapChunk: ['bitmap-chunk', 'size'],
  speedLimitMin: ['speed_limit_min', 'rate'],
  speedLimitMax: ['speed_limit_max', 'rate'],
  sndbuf: ['sndbuf', 'size'],
  ringSize: ['ring_buffer_size', 'size'],
  fullScanRate: ['full_scan_rate', 'rate'],
  errorBeforeOverflow: ['error_before_overflow', 'word'],
};

function value(v: unknown, unit: Unit): string {
  if (typeof v !== 'number') return String(v);
  switch (unit) {
    case 'size':
      return size(v);
    case 'rate':
      // DRBD's 0 for c-min-rate / c-max-rate / WalB's scan rate: off or unlimited.
      return v === 0 ? '0' : rate(v);
    case 'duration':
      return duration(v / 1e6);
    case 'count':
      return count(v);
    case 'word':
      return String(v);
  }
}

/** One option as the configuration spells it, with its unit: optionText('cPlanAhead', 2e6) → "c-plan-ahead 2 s". */
export function optionText(option: string, v: unknown): string {
  const [name, unit] = OPTIONS[option] ?? [option, 'word'];
  return `${name} ${value(v, unit)}`;
}

export function describeAdjust(a: ReplicationAdjust): string {
  return Object.entries({ ...a.net, ...a.disk, ...a.md, ...a.walb }).map(([k, v]) => optionText(k, v)).join(', ');
}
