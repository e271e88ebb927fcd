/**
 * Unit syntax of scenario files: durations, sizes, bandwidths, rates, LSNs, times and time zones. Every
 * parser returns either `{ ok: true, value }` or `{ ok: false, reason, hint? }`: the reason says what is
 * wrong with the text (`unknown unit "Mbs"`), the hint is a did-you-mean when one is close
 * (`did you mean "10Mbps"?`). Values come out in the simulator's units: microseconds, bytes, bytes per
 * second, events per second.
 */
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import type { Micros } from '../engine/time.ts';
import { closest, show } from './errors.ts';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string; readonly hint?: string };

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(reason: string, hint?: string): Parsed<T> {
  return hint === undefined ? { ok: false, reason } : { ok: false, reason, hint };
}

const MAX_INPUT = 200;

/** `table[key]` for own keys only (so `constructor` or `__proto__` are not units). */
function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Numbers with units

export const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  min: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
  w: 604_800_000_000,
};

/** Spellings people write that are not accepted, with the unit they mean (used only for hints). */
const DURATION_ALIASES: Readonly<Record<string, string>> = {
  µs: 'us', usec: 'us', usecs: 'us', msec: 'ms', msecs: 'ms', millis: 'ms', sec: 's', secs: 's', second: 's',
  seconds: 's', mins: 'min', minute: 'min', minutes: 'min', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
  day: 'd', days: 'd', week: 'w', weeks: 'w',
};

export const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/**
 * PostgreSQL's memory units, for its settings: kB, MB, GB and TB are powers of 1024 and case-sensitive
 * (guc.c memory_unit_conversion_table: "Valid units for this parameter are "B", "kB", "MB", "GB", and
 * "TB""), so `max_wal_size: 1GB` copied from postgresql.conf means 1024 MB as on the server. The IEC
 * spellings (KiB, MiB, GiB, TiB) mean the same and are accepted too.
 */
export const PG_SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

export const BANDWIDTH_UNITS: Readonly<Record<string, number>> = {
  bps: 1 / 8,
  kbps: 1e3 / 8,
  Mbps: 1e6 / 8,
  Gbps: 1e9 / 8,
  'B/s': 1,
  'kB/s': 1e3,
  'KB/s': 1e3,
  'MB/s': 1e6,
  'GB/s': 1e9,
  'KiB/s': 1024,
  'MiB/s': 1024 ** 2,
  'GiB/s': 1024 ** 3,
};

export const RATE_UNITS: Readonly<Record<string, number>> = { s: 1, m: 1 / 60, min: 1 / 60, h: 1 / 3600 };

const NUMBER = String.raw`\d+(?:\.\d+)?`;
/** A number and an optional unit (letters, `/s`, `µ`). */
const TERM = new RegExp(String.raw`^(${NUMBER})\s*([A-Za-zµ]+(?:/[A-Za-z]+)?)?\s*`);
const BARE_NUMBER = /^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

/** Exact product of a decimal string and a unit factor, as a float. */
function scale(numText: string, factor: number): number {
  const [int, frac = ''] = numText.split('.');
  return Number(int) * factor + (frac ? (Number(frac) * factor) / 10 ** frac.length : 0);
}

/** Years have no unit (their length varies): `100y` is probably meant as 365-day years. */
const YEAR_SPELLINGS = new Set(['y', 'yr', 'yrs', 'year', 'years', 'a']);

function unitHint(numText: string, unit: string, units: Readonly<Record<string, number>>, aliases: Readonly<Record<string, string>> = {}): string | undefined {
  if (units === DURATION_UNITS && YEAR_SPELLINGS.has(unit.toLowerCase()) && Number.isFinite(Number(numText))) {
    return `durations have no year unit: did you mean "${Math.round(Number(numText) * 365)}d"?`;
  }
  const alias = own(aliases, unit) ?? own(aliases, unit.toLowerCase());
  const c = alias ?? closest(unit, Object.keys(units));
  return c === null ? undefined : `did you mean "${numText}${c}"?`;
}

function unitList(units: Readonly<Record<string, number>>): string {
  return Object.keys(units).join(', ');
}

function isBare(input: string | number): boolean {
  return typeof input === 'number' || BARE_NUMBER.test(input.trim());
}

function bareNumber(input: string | number): number {
  return typeof input === 'number' ? input : Number(input.trim());
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : show(n);
}

/**
 * A duration: `90s`, `1h30m`, `250ms`, `1.5s` (us, ms, s, m|min, h, d, w; terms from largest to smallest).
 * A bare number is an error (which unit?) except 0. `bareUnit` is the unit suggested for a bare number.
 */
export function parseDuration(input: string | number, opts: { bareUnit?: string } = {}): Parsed<Micros> {
  const bareUnit = opts.bareUnit ?? 's';
  if (isBare(input)) {
    const n = bareNumber(input);
    if (n === 0) return ok(0 as Micros);
    return fail(`${show(formatNumber(n))} has no unit`, Number.isFinite(n) && n > 0 ? `did you mean "${formatNumber(n)}${bareUnit}"?` : undefined);
  }
  const text = String(input).trim();
  if (text.length > MAX_INPUT) return fail('is too long for a duration');
  if (text.startsWith('-')) return fail('is negative: a duration must be >= 0');
  let rest = text;
  let total = 0;
  let lastFactor = Number.POSITIVE_INFINITY;
  while (rest.length > 0) {
    const m = TERM.exec(rest);
    if (!m) return fail(`${show(text)} is not a duration`, 'write a number and a unit, e.g. "90s", "1h30m", "250ms"');
    const [whole, num = '', unit] = m;
    if (unit === undefined) return fail(`${show(text)} is missing a unit after ${num}`, `did you mean "${text.replace(/\s+/g, '')}${bareUnit}"?`);
    const factor = own(DURATION_UNITS, unit);
    if (factor === undefined) {
      return fail(`unknown duration unit ${show(unit)} in ${show(text)}`, unitHint(num, unit, DURATION_UNITS, DURATION_ALIASES) ?? `units: ${unitList(DURATION_UNITS)}`);
    }
    if (factor >= lastFactor) return fail(`${show(text)}: units must go from largest to smallest, each once`, 'e.g. "1h30m"');
    lastFactor = factor;
    total += scale(num, factor);
    rest = rest.slice(whole.length);
  }
  const rounded = Math.round(total);
  if (Math.abs(total - rounded) > 1e-6 * Math.max(1, Math.abs(total))) return fail(`${show(text)} is finer than a microsecond`);
  if (!Number.isSafeInteger(rounded)) return fail(`${show(text)} is too large`);
  return ok(rounded as Micros);
}

/** Formats microseconds compactly: 90000000 -> "1m30s", 1500 -> "1500us". */
export function formatDuration(us: number): string {
  if (us === 0) return '0s';
  let rest = us;
  let out = '';
  for (const [unit, f] of [['d', 86_400_000_000], ['h', 3_600_000_000], ['m', 60_000_000], ['s', 1_000_000], ['ms', 1_000], ['us', 1]] as const) {
    if (rest >= f) {
      const n = Math.floor(rest / f);
      out += `${n}${unit}`;
      rest -= n * f;
    }
  }
  return out;
}

function parseWithUnit(
  input: string | number,
  units: Readonly<Record<string, number>>,
  what: string,
  bareHintUnit: string,
  example: string,
): Parsed<{ amount: number; text: string }> {
  if (isBare(input)) {
    const n = bareNumber(input);
    if (n === 0) return ok({ amount: 0, text: '0' });
    return fail(`${show(formatNumber(n))} has no unit`, Number.isFinite(n) && n > 0 ? `did you mean "${formatNumber(n)}${bareHintUnit}"?` : undefined);
  }
  const text = String(input).trim();
  if (text.length > MAX_INPUT) return fail(`is too long for a ${what}`);
  if (text.startsWith('-')) return fail(`is negative: a ${what} must be >= 0`);
  const m = TERM.exec(text);
  if (!m) return fail(`${show(text)} is not a ${what}`, `write a number and a unit, e.g. ${example}`);
  const [whole, num = '', unit] = m;
  if (unit === undefined) return fail(`${show(text)} is missing a unit`, `units: ${unitList(units)}`);
  if (whole.length !== text.length) return fail(`${show(text)} is not a ${what}`, `write one number and one unit, e.g. ${example}`);
  const factor = own(units, unit);
  if (factor === undefined) return fail(`unknown ${what} unit ${show(unit)} in ${show(text)}`, unitHint(num, unit, units) ?? `units: ${unitList(units)}`);
  const amount = scale(num, factor);
  if (!Number.isFinite(amount) || amount > Number.MAX_SAFE_INTEGER) return fail(`${show(text)} is too large`);
  return ok({ amount, text });
}

/**
 * A size in bytes: `16MiB`, `2KiB`, `1GB` (B, kB|KB = 1000, MB, GB, TB, KiB = 1024, MiB, GiB, TiB). A bare
 * number is an error except 0; `bareUnit` is the unit suggested for one. `postgres`: a PostgreSQL setting's
 * value, read with the server's units (PG_SIZE_UNITS: 1GB = 1024 MB).
 */
export function parseSize(input: string | number, opts: { bareUnit?: string; postgres?: boolean } = {}): Parsed<number> {
  const r = opts.postgres
    ? parseWithUnit(input, PG_SIZE_UNITS, 'size', opts.bareUnit ?? 'B', '"1GB" or "512MB" (PostgreSQL\'s units: kB, MB, GB, TB are powers of 1024)')
    : parseWithUnit(input, SIZE_UNITS, 'size', opts.bareUnit ?? 'B', '"16MiB" or "2KiB"');
  if (!r.ok) return r;
  const rounded = Math.round(r.value.amount);
  if (Math.abs(r.value.amount - rounded) > 1e-6) return fail(`${show(r.value.text)} is not a whole number of bytes`);
  return ok(rounded);
}

/** Formats bytes with the largest unit that divides them, binary first: 16777216 -> "16MiB", 1e9 -> "1GB". */
export function formatSize(bytes: number): string {
  for (const [unit, f] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024], ['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['kB', 1e3]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return `${bytes}B`;
}

/** Bytes for people, rounded: 1536 -> "1.5 KiB", 63e9 -> "58.7 GiB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * A bandwidth in bytes per second: bits per second (bps, kbps, Mbps, Gbps) or bytes per second (B/s, kB/s,
 * MB/s, GB/s, KiB/s, MiB/s, GiB/s). Must be > 0.
 */
export function parseBandwidth(input: string | number): Parsed<number> {
  const r = parseWithUnit(input, BANDWIDTH_UNITS, 'bandwidth', 'Mbps', '"1Gbps" or "100MB/s"');
  if (!r.ok) return r;
  if (r.value.amount <= 0) return fail('must be greater than 0');
  return ok(r.value.amount);
}

/** A rate per second: `800/s`, `48000/min`, `1000/h`; a bare number is per second. */
export function parseRate(input: string | number): Parsed<number> {
  if (isBare(input)) {
    const n = bareNumber(input);
    if (!Number.isFinite(n)) return fail(`${show(formatNumber(n))} is too large`);
    if (n < 0) return fail('is negative: a rate must be >= 0');
    return ok(n);
  }
  const text = String(input).trim();
  if (text.length > MAX_INPUT) return fail('is too long for a rate');
  // The number as YAML would read it bare (1e9 is 1000000000), so "1e9/s" means what 1e9 does.
  const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*\/\s*([A-Za-z]+)$/.exec(text);
  if (!m) {
    const t = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(text);
    const hint = t ? `did you mean "${t[1]}/s"?` : 'e.g. "800/s", "48000/min", "1000/h"';
    if (text.startsWith('-')) return fail('is negative: a rate must be >= 0');
    return fail(`${show(text)} is not a rate`, hint);
  }
  const [, num = '', unit = ''] = m;
  const per = own(RATE_UNITS, unit);
  if (per === undefined) {
    const c = own(DURATION_ALIASES, unit.toLowerCase()) ?? closest(unit, Object.keys(RATE_UNITS));
    return fail(`unknown rate unit ${show(`/${unit}`)} in ${show(text)}`, c && c in RATE_UNITS ? `did you mean "${num}/${c}"?` : 'units: /s, /min, /h');
  }
  const v = Number(num) * per;
  if (!Number.isFinite(v)) return fail(`${show(text)} is too large`);
  return ok(v);
}

// ---------------------------------------------------------------------------------------------------------
// LSNs

const TWO32 = 2 ** 32;

/** An LSN: `2A/1000000` (PostgreSQL's %X/%X: high and low 32 bits in hex) or a non-negative integer. */
export function parseLsn(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return fail(`${show(formatNumber(input))} is not a valid LSN`, 'write it as PostgreSQL prints it, e.g. "0/3000000"');
    return ok(input);
  }
  const text = input.trim();
  if (/^\d+$/.test(text) && text.length <= 16) return parseLsn(Number(text));
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) return fail(`${show(text)} is not an LSN`, 'write it as PostgreSQL prints it: two hex numbers of up to 8 digits, e.g. "2A/1000000"');
  const v = parseInt(m[1]!, 16) * TWO32 + parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(v)) return fail(`${show(text)} is beyond the LSNs the simulator can represent (up to 1FFFFF/FFFFFFFF)`);
  return ok(v);
}

/** PostgreSQL's %X/%X spelling of an LSN. */
export function formatLsn(lsn: number): string {
  const hi = Math.floor(lsn / TWO32);
  const lo = lsn - hi * TWO32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------------------
// Time zones, instants and scenario times

let zoneNames: readonly string[] | null = null;
function knownZones(): readonly string[] {
  if (zoneNames === null) {
    try {
      zoneNames = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
    } catch {
      zoneNames = [];
    }
  }
  return zoneNames;
}

const zoneValidity = new Map<string, boolean>();

/** IANAZone.isValidZone, cached (it builds an Intl.DateTimeFormat each time). */
function isValidZone(name: string): boolean {
  let v = zoneValidity.get(name);
  if (v === undefined) {
    v = IANAZone.isValidZone(name);
    if (zoneValidity.size > 1000) zoneValidity.clear();
    zoneValidity.set(name, v);
  }
  return v;
}

/** `UTC+09:00` for +540 minutes. */
export function offsetZoneName(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * A time zone: an IANA name (`Asia/Tokyo`, `UTC`) or a fixed offset (`+09:00`, `UTC+09:00`). Returns the
 * name luxon understands: the IANA name, or `UTC+09:00` for an offset.
 */
export function parseTimeZone(input: string): Parsed<string> {
  const text = input.trim();
  if (text.length > 100) return fail('is too long for a time zone');
  const off = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(text);
  if (off) {
    const h = Number(off[2]);
    const mi = Number(off[3] ?? '0');
    if (h > 14 || mi > 59) return fail(`${show(text)} is not a valid UTC offset`);
    return ok(offsetZoneName((off[1] === '-' ? -1 : 1) * (h * 60 + mi)));
  }
  if (/^(UTC|Z|GMT)$/i.test(text)) return ok('UTC');
  if (text !== '' && isValidZone(text)) return ok(text);
  const zones = knownZones();
  const city = text.toLowerCase().replace(/ /g, '_');
  const c = closest(text, zones) ?? zones.find((z) => z.toLowerCase().endsWith(`/${city}`)) ?? null;
  return fail(`unknown time zone ${show(text)}`, c ? `did you mean "${c}"?` : 'use an IANA name like "Asia/Tokyo" or an offset like "+09:00"');
}

const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface Instant {
  /** Milliseconds since the Unix epoch. */
  readonly epochMs: number;
  /** Microseconds past epochMs (0..999). */
  readonly extraMicros: number;
  /** The written UTC offset in minutes. */
  readonly offsetMinutes: number;
}

const instantCache = new Map<string, Parsed<Instant>>();

/** An ISO 8601 date-time with an offset: `2017-08-07T14:00:00+09:00` (or `Z`). Cached: a sweep reads the same start at every run. */
export function parseInstant(input: string): Parsed<Instant> {
  let r = instantCache.get(input);
  if (r === undefined) {
    r = readInstant(input);
    if (instantCache.size >= 1024) instantCache.clear();
    instantCache.set(input, r);
  }
  return r;
}

function readInstant(input: string): Parsed<Instant> {
  const text = input.trim();
  if (text.length > 64) return fail('is too long for a time');
  const m = ISO.exec(text);
  if (!m) return fail(`${show(text)} is not an ISO 8601 date-time`, 'e.g. "2017-08-07T14:00:00+09:00"');
  if (m[6] === undefined) return fail(`${show(text)} has no UTC offset`, `add one, e.g. "${text}+09:00" or "${text}Z"`);
  const dt = DateTime.fromISO(text.replace(' ', 'T'), { setZone: true });
  if (!dt.isValid) return fail(`${show(text)} is not a valid date-time (${dt.invalidExplanation ?? dt.invalidReason ?? 'invalid'})`);
  const frac = (m[5] ?? '').padEnd(6, '0');
  return ok({ epochMs: dt.toMillis(), extraMicros: Number(frac.slice(3, 6)), offsetMinutes: dt.offset });
}

/** What a scenario time is relative to. */
export interface TimeRef {
  /** Milliseconds since the Unix epoch of simulated time 0. */
  readonly startEpochMs: number;
  /** The scenario's time zone (IANA name or `UTC+09:00`). */
  readonly zone: string;
}

const zoneCache = new Map<string, Zone>();

/** The luxon zone for a scenario time zone name (cached: creating IANA zones is costly). */
function zoneOf(zone: string): Zone {
  let z = zoneCache.get(zone);
  if (!z) {
    const off = /^UTC([+-])(\d{2}):(\d{2})$/.exec(zone);
    z = off ? FixedOffsetZone.instance((off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3]))) : IANAZone.create(zone);
    if (zoneCache.size > 100) zoneCache.clear();
    zoneCache.set(zone, z);
  }
  return z;
}

/** A wall-clock rendering of a simulated time, e.g. "2017-08-07T14:30:00+09:00". */
export function formatTime(t: number, ref: TimeRef): string {
  const dt = DateTime.fromMillis(ref.startEpochMs + Math.floor(t / 1000), { zone: zoneOf(ref.zone) });
  return dt.toISO({ suppressMilliseconds: true }) ?? String(t);
}

const clockCache = new Map<string, number>();

/** Milliseconds from the start to h:mi:s on the start's date in the zone, as luxon computes it. */
function luxonClockMillis(h: number, mi: number, s: number, ref: TimeRef): number {
  const at = DateTime.fromMillis(ref.startEpochMs, { zone: zoneOf(ref.zone) }).set({ hour: h, minute: mi, second: s, millisecond: 0 });
  return at.toMillis() - ref.startEpochMs;
}

/**
 * Milliseconds from the start to the clock time h:mi:s on the start's date in the scenario's zone (luxon's
 * answer, cached: a zone's offsets cost Intl calls, and a sweep decodes the same times thousands of times).
 * Cached by minute: when luxon puts h:mi:00 and h:mi:59 59 s apart (no offset change inside that minute,
 * as in every zone of the tz database, whose transitions fall on whole minutes), the seconds add to the
 * minute's answer; otherwise each second asks luxon. A sweep drawing times to the second then asks luxon
 * about once per minute of its range instead of once per run.
 */
function clockMillis(h: number, mi: number, s: number, ref: TimeRef): number {
  const key = `${ref.startEpochMs}|${ref.zone}|${h}:${mi}`;
  let minute = clockCache.get(key);
  if (minute === undefined) {
    const first = luxonClockMillis(h, mi, 0, ref);
    // NaN marks a minute whose offset changes inside it.
    minute = luxonClockMillis(h, mi, 59, ref) === first + 59_000 ? first : Number.NaN;
    if (clockCache.size >= 4096) clockCache.clear();
    clockCache.set(key, minute);
  }
  return Number.isNaN(minute) ? luxonClockMillis(h, mi, s, ref) : minute + s * 1000;
}

/**
 * A scenario time, as microseconds since the start: a clock time `HH:MM` or `HH:MM:SS` on the start's date
 * in the scenario's time zone, an ISO 8601 date-time with offset, or `+DURATION` after the start. Must not
 * be before the start.
 */
export function parseTime(input: string, ref: TimeRef): Parsed<Micros> {
  const text = input.trim();
  if (text.length > 100) return fail('is too long for a time');
  let us: number;
  if (text.startsWith('+')) {
    const d = parseDuration(text.slice(1));
    if (!d.ok) return fail(`${show(text)}: ${d.reason}`, d.hint ? d.hint.replace(/"(.*)"/, '"+$1"') : undefined);
    return d;
  }
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text);
  if (clock) {
    const [, hh = '', mm = '', ss = '0', frac = ''] = clock;
    const h = Number(hh);
    const mi = Number(mm);
    const s = Number(ss);
    if (h > 23 || mi > 59 || s > 59) return fail(`${show(text)} is not a valid clock time`, 'write HH:MM or HH:MM:SS, 00:00 to 23:59:59');
    us = clockMillis(h, mi, s, ref) * 1000 + Number(frac.padEnd(6, '0') || '0');
    if (us < 0) {
      const start = DateTime.fromMillis(ref.startEpochMs, { zone: zoneOf(ref.zone) });
      const at = start.set({ hour: h, minute: mi, second: s, millisecond: 0 });
      const nextDay = at.plus({ days: 1 }).toISO({ suppressMilliseconds: true });
      return fail(
        `${show(text)} is before the start (${start.toFormat('HH:mm:ss')} on ${start.toISODate()} in ${ref.zone})`,
        `clock times are on the start's date; for another day use an ISO time like "${nextDay}" or "+duration" after the start`,
      );
    }
    return ok(us as Micros);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const i = parseInstant(text);
    if (!i.ok) return i;
    us = (i.value.epochMs - ref.startEpochMs) * 1000 + i.value.extraMicros;
    if (us < 0) return fail(`${show(text)} is before the start (${formatTime(0, ref)})`);
    if (!Number.isSafeInteger(us)) return fail(`${show(text)} is too far from the start`);
    return ok(us as Micros);
  }
  return fail(`${show(text)} is not a time`, 'write a clock time "14:30" or "14:30:10", an ISO time "2017-08-07T14:30:00+09:00", or "+90s" after the start');
}
