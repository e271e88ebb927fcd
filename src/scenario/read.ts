/**
 * Reading a scenario file, or standard input for `-`, never more than MAX_SCENARIO_BYTES: `replsim validate
 * /dev/zero` stops at the limit instead of filling memory.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ScenarioError } from './errors.ts';

/** Files larger than this are refused: a scenario is a page or two of YAML; 100,000 plan steps fit. */
export const MAX_SCENARIO_BYTES = 16 * 1024 * 1024;

/** How a scenario read from standard input is named in messages. */
export const STDIN_NAME = '<stdin>';

const CHUNK = 1 << 16;

/** Names of standard input, read from fd 0 itself: /dev/stdin cannot be opened when it is a socket (ENXIO). */
const STDIN_PATHS = new Set(['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** Sleeps `ms` synchronously (a non-blocking stdin that has no data yet). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The text of `path` (`-`: standard input), or a ScenarioError at 1:1 saying why not. */
export function readScenarioInput(path: string, limit = MAX_SCENARIO_BYTES): string {
  const name = path === '-' ? STDIN_NAME : path;
  let fd: number;
  try {
    fd = STDIN_PATHS.has(path) ? 0 : openSync(path, 'r');
  } catch (e) {
    throw new ScenarioError(name, 1, 1, `cannot read the file: ${reason(e)}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          pause(10);
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw new ScenarioError(name, 1, 1, `cannot read the file: ${reason(e)}`);
      }
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > limit) {
        throw new ScenarioError(name, 1, 1, `the file is too large (more than ${limit} bytes; a scenario is a page or two of YAML)`);
      }
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'it is a directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.code ?? (e instanceof Error ? e.message : String(e));
}
