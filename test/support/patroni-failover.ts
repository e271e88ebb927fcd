/**
 * A small Patroni cluster at one site whose primary pg1 is cut off at `cut`: pg2 is promoted after the
 * leader key's ttl. `workload` adds keys to the single workload (`, retries: {...}`).
 */
export function patroniFailoverYaml(opts: { readonly end: string; readonly cut: string; readonly workload?: string }): string {
  return `
name: patroni-failover
start: 2024-01-01T10:00:00Z
end: "${opts.end}"
sites: [a]
clusters:
  c:
    nodes:
      pg1: {site: a, version: 16}
      pg2: {site: a, version: 16, upstream: pg1}
    workload: {target: pg1, rate: 100/s, wal_per_tx: 2KiB${opts.workload ?? ''}}
    failover: {policy: patroni, site: a}
faults:
  - {at: "${opts.cut}", partition: pg1}
`;
}
