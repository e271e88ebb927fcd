import { DateTime } from 'luxon';
import type { Micros } from '../engine/time.ts';

/** Formats simulated times as wall-clock times in the scenario's zone: the only place time leaves µs. */
export class Clock {
  constructor(
    private readonly startEpochMs: number,
    private readonly zone: string,
  ) {
    this.offsets = zoneOffsets(zone);
  }

  private dt(t: Micros): DateTime {
    return DateTime.fromMillis(this.startEpochMs + t / 1000, { zone: this.zone });
  }

  /** The zone's offsets by quarter hour (zoneOffsets), shared by every clock of the zone. */
  private readonly offsets: Map<number, number | null>;
  private startDay: string | null = null;

  private offsetAt(ms: number): number | null {
    const quarter = Math.floor(ms / 900_000);
    let off = this.offsets.get(quarter);
    if (off === undefined) {
      const a = DateTime.fromMillis(quarter * 900_000, { zone: this.zone }).offset;
      const b = DateTime.fromMillis(quarter * 900_000 + 899_999, { zone: this.zone }).offset;
      off = a === b ? a : null;
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(quarter, off);
    }
    return off;
  }

  /** Local date and time fields of `t` (as luxon computes them), or null where luxon must decide. */
  private fields(t: Micros): { date: string; time: string; millis: number; offset: number } | null {
    const ms = Math.floor(this.startEpochMs + t / 1000);
    const off = this.offsetAt(ms);
    if (off === null) return null;
    const d = new Date(ms + off * 60_000);
    const y = d.getUTCFullYear();
    if (y < 1 || y > 9999) return null;
    const p2 = (n: number) => String(n).padStart(2, '0');
    return { date: `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`, time: `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`, millis: d.getUTCMilliseconds(), offset: off };
  }

  /** ISO 8601 with the zone's offset, milliseconds only when not zero. */
  iso(t: Micros): string {
    const f = this.fields(t);
    if (!f) return this.dt(t).toISO({ suppressMilliseconds: true })!;
    // Luxon writes a zero offset as Z for a fixed zone (UTC, UTC+00:00) and +00:00 for a named one.
    const a = Math.abs(f.offset);
    const off = f.offset === 0 && this.zone.startsWith('UTC') ? 'Z' : `${f.offset < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    return `${f.date}T${f.time}${f.millis ? `.${String(f.millis).padStart(3, '0')}` : ''}${off}`;
  }

  /** Short form for people: HH:MM:SS (with .mmm when needed), and the date when it is not the start's. */
  short(t: Micros): string {
    const f = this.fields(t);
    this.startDay ??= this.fields(0 as Micros)?.date ?? this.dt(0 as Micros).toFormat('yyyy-MM-dd');
    if (!f) {
      const d = this.dt(t);
      const time = d.millisecond ? d.toFormat('HH:mm:ss.SSS') : d.toFormat('HH:mm:ss');
      return d.toFormat('yyyy-MM-dd') === this.startDay ? time : `${d.toFormat('yyyy-MM-dd')} ${time}`;
    }
    const time = f.millis ? `${f.time}.${String(f.millis).padStart(3, '0')}` : f.time;
    return f.date === this.startDay ? time : `${f.date} ${time}`;
  }

  /** The zone as people read it, the same in every renderer: "Asia/Tokyo (UTC+9)", "UTC". */
  get zoneName(): string {
    return zoneLabel(this.zone, this.startEpochMs);
  }
}

/**
 * A zone's offset (minutes) by quarter hour, where it is the same at both ends of the quarter: an IANA zone's
 * offset costs an Intl call through luxon, and a report formats thousands of times (a sweep, millions, with
 * a clock per run). Null: a transition inside the quarter (luxon decides). Kept for the last few zones.
 */
const OFFSETS = new Map<string, Map<number, number | null>>();

function zoneOffsets(zone: string): Map<number, number | null> {
  let m = OFFSETS.get(zone);
  if (!m) {
    if (OFFSETS.size >= 16) OFFSETS.clear();
    m = new Map();
    OFFSETS.set(zone, m);
  }
  return m;
}

/** An offset from UTC in minutes as "UTC+9", "UTC-3:30", "UTC". */
export function offsetLabel(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const a = Math.abs(minutes);
  const mm = a % 60;
  return `UTC${minutes < 0 ? '-' : '+'}${Math.floor(a / 60)}${mm ? `:${String(mm).padStart(2, '0')}` : ''}`;
}

/**
 * A zone as people read it, at an instant (the offset of a zone with summer time depends on it): an IANA
 * name with its offset, "Asia/Tokyo (UTC+9)"; UTC and fixed offsets as the offset alone, "UTC", "UTC+9".
 */
export function zoneLabel(zone: string, epochMs: number): string {
  const offset = offsetLabel(DateTime.fromMillis(epochMs, { zone }).offset);
  return /^(UTC|Etc\/UTC|GMT|Z)$|^UTC[+-]/i.test(zone) ? offset : `${zone} (${offset})`;
}

/**
 * Times of a finished report (ISO strings with the zone's offset, docs/report.md) for people: the same
 * spelling in the text, the chart and the HTML report.
 */
export class ReportClock {
  readonly startMs: number;
  readonly zone: string;
  private readonly startDay: string;

  constructor(report: { readonly start: string; readonly timezone: string }) {
    this.zone = report.timezone;
    this.startMs = DateTime.fromISO(report.start, { setZone: true }).toMillis();
    this.startDay = this.day(report.start);
  }

  private dt(iso: string): DateTime {
    return DateTime.fromISO(iso, { setZone: true }).setZone(this.zone);
  }

  /** Microseconds since the start of the run. */
  us(iso: string): number {
    return Math.round((DateTime.fromISO(iso, { setZone: true }).toMillis() - this.startMs) * 1000);
  }

  /** The ISO time `us` microseconds after the start (with the zone's offset). */
  iso(us: number): string {
    return DateTime.fromMillis(this.startMs + us / 1000, { zone: this.zone }).toISO({ suppressMilliseconds: true })!;
  }

  /** HH:MM:SS, with .mmm when the milliseconds are not zero. */
  time(iso: string): string {
    const d = this.dt(iso);
    return d.millisecond ? d.toFormat('HH:mm:ss.SSS') : d.toFormat('HH:mm:ss');
  }

  /** The local date: 2017-08-07. */
  day(iso: string): string {
    return this.dt(iso).toFormat('yyyy-MM-dd');
  }

  /** The time, with the date in front when it is not the day the run started. */
  short(iso: string): string {
    const day = this.day(iso);
    return day === this.startDay ? this.time(iso) : `${day} ${this.time(iso)}`;
  }

  /** Date and time to the minute, for runs of weeks and months: 2023-10-24 10:01. */
  minute(iso: string): string {
    return this.dt(iso).toFormat('yyyy-MM-dd HH:mm');
  }

  /** Date and time to the second: 2017-08-07 14:00:00. */
  full(iso: string): string {
    return this.dt(iso).toFormat('yyyy-MM-dd HH:mm:ss');
  }

  /** A weekday and date heading: Tuesday 2015-05-19. */
  dayHeading(iso: string): string {
    return this.dt(iso).toFormat('cccc yyyy-MM-dd');
  }

  get zoneName(): string {
    return zoneLabel(this.zone, this.startMs);
  }
}
