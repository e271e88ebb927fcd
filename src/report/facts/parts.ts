/**
 * A rendered fact before it meets a format: literal text and values (escaped in HTML) and marked values that
 * a format may present differently (a node's name links to its events in HTML, an LSN is code).
 */
import type { Micros } from '../../engine/time.ts';
import type { Lsn } from '../../models/postgres/lsn.ts';

export type Token = string | number | { readonly node: string } | { readonly lsn: Lsn } | { readonly code: string } | { readonly time: Micros } | readonly Token[];

/** A list of tokens (Array.isArray does not narrow readonly arrays). */
export const isList = (t: Token): t is readonly Token[] => Array.isArray(t);

/** Tagged template: p`streaming from ${node(up)} on timeline ${tli}` keeps the marks for the format. */
export function p(strings: TemplateStringsArray, ...values: readonly Token[]): Token[] {
  const out: Token[] = [strings[0]!];
  values.forEach((v, i) => out.push(v, strings[i + 1]!));
  return out;
}

export const node = (name: string): Token => ({ node: name });
export const lsn = (at: Lsn): Token => ({ lsn: at });
/** A simulated time: the format writes it in the report's clock (cause-chain steps). */
export const time = (at: Micros): Token => ({ time: at });
/** A setting's name or value, a file name: code in HTML. */
export const code = (text: string): Token => ({ code: text });
/** Items joined by `sep` (", " unless given). */
export function join(items: readonly Token[], sep = ', '): Token[] {
  return items.flatMap((t, i) => (i === 0 ? [t] : [sep, t]));
}
