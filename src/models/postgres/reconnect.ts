/**
 * How long a walreceiver's connection attempt to an upstream it cannot reach lasts, when the next attempt
 * starts, and when an attempt in progress connects once the path is back: the rules the retry scheduler
 * (retry.ts) reads.
 *
 * - An attempt behind a cut path (packets dropped, nothing answers) ends when the kernel gives up on the SYN:
 *   Linux retransmits it after 1, 2, 4, 8, 16 and 32 s (initial RTO 1 s, doubling; tcp_syn_retries = 6) and
 *   gives up 64 s after the last: 127 s after the first. From 10 the walreceiver connects asynchronously
 *   (libpqwalreceiver.c libpqrcv_connect: PQconnectStartParams, then PQconnectPoll in a WaitLatchOrSocket loop
 *   with no timeout), so primary_conninfo's connect_timeout, which libpq applies only in its blocking
 *   connectDBComplete, is not honoured: observed on 15.18, a standby with connect_timeout=3 logged nothing for
 *   12 s, and without it `Connection timed out` 133 s after it became ready. Up to 9.6 the walreceiver used
 *   the blocking PQconnectdbParams, so connect_timeout bounds the attempt there (libpq takes at least 2 s).
 * - An attempt in progress when the path comes back connects at its next SYN retransmission (observed on
 *   15.18: the path back 6.9 s into an attempt, streaming 7.2 s into it, at the +7 s retransmission).
 * - The next attempt (xlogrecovery.c WaitForWALToBecomeAvailable): the startup process sleeps only until
 *   wal_retrieve_retry_interval has passed since last_fail_time, which it sets when it leaves that sleep, just
 *   before it starts the walreceiver again: so since the start of the failed attempt. An attempt that lasted
 *   longer than the interval is followed by the next at once.
 */
import type { Micros } from '../../engine/time.ts';
import type { PgMajor } from '../../scenario/types.ts';

/** Linux's SYN retransmissions (tcp_syn_retries) and the initial retransmission timeout (TCP_TIMEOUT_INIT). */
const SYN_RETRIES = 6;
const INITIAL_RTO = 1_000_000;
/** libpq: a connect_timeout below 2 s is taken as 2 s (fe-connect.c connectDBComplete). */
const MIN_CONNECT_TIMEOUT = 2_000_000;

/** When the kernel gives up on a connection nothing answers: 127 s with the defaults. */
export const SYN_GIVE_UP = (INITIAL_RTO * (2 ** (SYN_RETRIES + 1) - 1)) as Micros;

/** How long an attempt to connect to an upstream nothing answers for lasts. */
export function unreachableAttempt(version: PgMajor, connectTimeout: Micros | null): Micros {
  if (version < 10 && connectTimeout !== null && connectTimeout > 0) return Math.min(SYN_GIVE_UP, Math.max(MIN_CONNECT_TIMEOUT, connectTimeout)) as Micros;
  return SYN_GIVE_UP;
}

/** When the SYN of an attempt started at `start` that lasts `duration` is sent: the first, then each retransmission. */
export function synTimes(start: Micros, duration: Micros): Micros[] {
  const out: Micros[] = [start];
  for (let k = 1; k <= SYN_RETRIES; k++) {
    const at = start + INITIAL_RTO * (2 ** k - 1);
    if (at >= start + duration) break;
    out.push(at as Micros);
  }
  return out;
}

/**
 * Data on an established connection behind a cut path (an idle walreceiver's request on its own connection): Linux
 * retransmits it after TCP_RTO_MIN (200 ms, the RTO of a connection with a sub-millisecond RTT), doubling up to
 * TCP_RTO_MAX (120 s), and gives up after tcp_retries2 = 15 retransmissions: 924.6 s after the first send, with no
 * error before then (the walreceiver waits for the answer without a timeout: libpqwalreceiver.c libpqrcv_PQexec).
 */
const DATA_RTO_MIN = 200_000;
const DATA_RTO_MAX = 120_000_000;
const DATA_RETRIES = 15;

function dataTimes(start: Micros, duration: Micros): Micros[] {
  const out: Micros[] = [start];
  let at = start as number;
  for (let k = 0; k < DATA_RETRIES; k++) {
    at += Math.min(DATA_RTO_MAX, DATA_RTO_MIN * 2 ** k);
    if (at >= start + duration) break;
    out.push(at as Micros);
  }
  return out;
}

/** When TCP gives up on data nothing acknowledges: 924.6 s with the defaults. */
export const DATA_GIVE_UP = (() => {
  let total = 0;
  for (let k = 0; k <= DATA_RETRIES; k++) total += Math.min(DATA_RTO_MAX, DATA_RTO_MIN * 2 ** k);
  return total as Micros;
})();

/** How an attempt in progress reaches its upstream: a new connection's SYNs, or data on an established one. */
export type AttemptKind = 'syn' | 'data';

/** When an attempt (started at `start`, lasting `duration`) gets through if the path is back at `now`; null: it ends first. */
export function connectsAt(start: Micros, duration: Micros, now: Micros, kind: AttemptKind = 'syn'): Micros | null {
  for (const at of kind === 'syn' ? synTimes(start, duration) : dataTimes(start, duration)) if (at >= now) return at;
  return null;
}

/**
 * When the next attempt starts after one that started at `attemptStart` failed at `failedAt`: at once if the
 * interval has passed since the attempt's start (last_fail_time), else when it has. `attemptStart` undefined:
 * the first failure of the loop (last_fail_time 0), retried at once.
 */
export function nextAttemptAt(attemptStart: Micros | undefined, failedAt: Micros, interval: Micros): Micros {
  return (attemptStart === undefined ? failedAt : Math.max(failedAt, attemptStart + interval)) as Micros;
}
