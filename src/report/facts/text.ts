/** Facts as plain text: the text report's and the JSON report's `message`, the cause chains' sentences. */
import type { Fact } from '../../history/facts/index.ts';
import { formatLsn } from '../../models/postgres/lsn.ts';
import { isList, type Token } from './parts.ts';
import { tokens } from './templates.ts';

export function factText(f: Fact): string {
  return flatten(tokens(f));
}

function flatten(t: Token): string {
  if (typeof t === 'string') return t;
  if (typeof t === 'number') return String(t);
  if (isList(t)) {
    let s = '';
    for (const x of t) s += flatten(x);
    return s;
  }
  if ('node' in t) return t.node;
  if ('lsn' in t) return formatLsn(t.lsn);
  return t.code;
}
