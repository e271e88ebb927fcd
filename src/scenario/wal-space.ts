/**
 * A workload may not write more WAL over the run than PostgreSQL can address: a WAL location (XLogRecPtr,
 * src/include/access/xlogdefs.h) is an unsigned 64-bit byte position, so 2^64 bytes is the end of the WAL
 * address space. The check is per workload and per rate change, over the whole run length (an upper bound).
 */
import type { Node } from 'yaml';
import type { Ctx } from './decode.ts';
import { formatDuration, formatSize } from './units.ts';

/** 1e15, 2.5e9, 800: short and exact enough for a message. */
function num(n: number): string {
  return n < 1e6 ? String(Number(n.toPrecision(6))) : n.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

export const WAL_ADDRESS_SPACE = 2 ** 64;

/** Fails at `node` when `rate` transactions/s of `walPerTx` bytes for `seconds` pass 2^64 bytes of WAL. */
export function checkWalSpace(rate: number, walPerTx: number, seconds: number, node: Node | undefined, ctx: Ctx<object>): void {
  const bytes = rate * walPerTx * seconds;
  if (bytes < WAL_ADDRESS_SPACE) return;
  ctx.fail(node, `${ctx.field('rate').subject}: ${num(rate)}/s of ${formatSize(walPerTx)} for ${formatDuration(seconds * 1e6)} is ${num(bytes)} bytes of WAL, past the end of PostgreSQL's 64-bit WAL address space (2^64 bytes)`, {
    hint: 'lower the rate, the WAL per transaction or the run length',
  });
}
