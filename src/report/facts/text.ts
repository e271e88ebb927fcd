/** Facts as plain text: the text report's and the JSON report's `message`, the cause chains' sentences. */
import type { Micros } from '../../engine/time.ts';
import type { Fact } from '../../history/facts/index.ts';
import { formatLsn } from '../../models/postgres/lsn.ts';
import { duration } from '../format.ts';
import { isList, type Token } from './parts.ts';
import { tokens } from './templates.ts';

/** How a simulated time reads (the report's clock); without one, the time into the run ("1 h 2 min into the run"). */
export type TimeFormat = (t: Micros) => string;
export const SECONDS: TimeFormat = (t) => `${duration(t / 1e6)} into the run`;

export function factText(f: Fact, time: TimeFormat = SECONDS): string {
  return flatten(tokens(f), time);
}

/** Words a template helper returned (a part of a fact, e.g. a DRBD connection's reason) as plain text. */
export function tokenText(t: Token, time: TimeFormat = SECONDS): string {
  return flatten(t, time);
}

function flatten(t: Token, time: TimeFormat): string {
  if (typeof t === 'string') return t;
  if (typeof t === 'number') return String(t);
  if (isList(t)) {
    let s = '';
    for (const x of t) s += flatten(x, time);
    return s;
  }
  if ('node' in t) return t.node;
  if ('lsn' in t) return formatLsn(t.lsn);
  if ('time' in t) return time(t.time);
  return t.code;
}
