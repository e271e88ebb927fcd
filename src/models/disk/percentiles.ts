/**
 * Percentiles of a write's latency from the fluid model's means. The queue model (queue.ts) gives each
 * stream a mean response time: its service (the phases it waits for in sequence) plus the M/G/1 mean wait
 * Wq. The wait's distribution is approximated as M/G/1 waits are under heavy traffic (Kingman; the
 * exponential tail of Cramér–Lundberg): a request waits not at all with probability 1 − ρ, and otherwise an
 * exponential time of mean Wq / ρ; the service time itself is taken as its mean. ASSUMPTION: exact for
 * M/M/1 waits, an approximation for the disk's general service times (docs/model-drbd.md).
 *
 * A write also waits for the replication path (a full send buffer, a protocol C round trip): that wait is
 * the same for every write at an instant (FIFO in a fluid), so a percentile of the whole is the larger of
 * the path's wait and the local percentile.
 */

/** One class of requests in the mixture: its share of them, its service and its mean wait (s), and the disk's ρ. */
export interface LatencyClass {
  readonly share: number;
  readonly service: number;
  readonly meanWait: number;
  readonly rho: number;
}

/** P(latency > t) for one class. */
function tail(c: LatencyClass, t: number): number {
  if (t < c.service) return 1;
  if (c.meanWait <= 0 || c.rho <= 0) return 0;
  const rho = Math.min(c.rho, 1);
  return rho * Math.exp((-(t - c.service) * rho) / c.meanWait);
}

/** The q-quantile of one class, in closed form. */
function classQuantile(c: LatencyClass, q: number): number {
  const rho = Math.min(c.rho, 1);
  if (c.meanWait <= 0 || rho <= 1 - q) return c.service;
  return c.service + (c.meanWait / rho) * Math.log(rho / (1 - q));
}

/**
 * The q-quantile (0 < q < 1) of the mixture's latency, to a relative 1e-6: the t where the shares' tails sum
 * to 1 − q, by bisection (the sum falls with t) between the classes' own quantiles, which bracket it.
 */
export function latencyQuantile(classes: readonly LatencyClass[], q: number): number {
  const live = classes.filter((c) => c.share > 0);
  const total = live.reduce((a, c) => a + c.share, 0);
  if (total <= 0) return 0;
  if (live.length === 1) return classQuantile(live[0]!, q);
  const over = (t: number) => live.reduce((a, c) => a + (c.share / total) * tail(c, t), 0);
  const each = live.map((c) => classQuantile(c, q));
  let lo = Math.min(...each);
  let hi = Math.max(...each);
  for (let k = 0; k < 60 && hi - lo > 1e-6 * hi; k++) {
    const mid = (lo + hi) / 2;
    if (over(mid) > 1 - q) lo = mid;
    else hi = mid;
  }
  return hi;
}
