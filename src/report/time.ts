import { DateTime } from 'luxon';
import type { Micros } from '../engine/time.ts';

/** Formats simulated times as wall-clock times in the scenario's zone: the only place time leaves µs. */
export class Clock {
  constructor(
    private readonly startEpochMs: number,
    private readonly zone: string,
  ) {}

  private dt(t: Micros): DateTime {
    return DateTime.fromMillis(this.startEpochMs + t / 1000, { zone: this.zone });
  }

  /** ISO 8601 with the zone's offset, milliseconds only when not zero. */
  iso(t: Micros): string {
    return this.dt(t).toISO({ suppressMilliseconds: true })!;
  }

  /** Short form for people: HH:MM:SS (with .mmm when needed), and the date when it is not the start's. */
  short(t: Micros): string {
    const d = this.dt(t);
    const start = this.dt(0 as Micros);
    const time = d.millisecond ? d.toFormat('HH:mm:ss.SSS') : d.toFormat('HH:mm:ss');
    return d.hasSame(start, 'day') ? time : `${d.toFormat('yyyy-MM-dd')} ${time}`;
  }

  get zoneName(): string {
    return this.dt(0 as Micros).toFormat('ZZZZ');
  }
}

export function formatDuration(us: number): string {
  const s = us / 1e6;
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  const m = s / 60;
  if (m < 120) return `${Math.floor(m)} min ${Math.round(s - Math.floor(m) * 60)} s`.replace(/ 0 s$/, '');
  const h = m / 60;
  if (h < 48) return `${Math.floor(h)} h ${Math.round(m - Math.floor(h) * 60)} min`.replace(/ 0 min$/, '');
  return `${(h / 24).toFixed(1)} days`;
}
