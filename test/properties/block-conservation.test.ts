/**
 * Property 5 for block replication: for every buffer of the block model (the send path: DRBD's socket
 * buffer and Proxy, md's write-behind window, WalB's log ring; the peer's receive buffer and max-buffers
 * queue; the out-of-sync bitmap; each workload's backlog of waiting writes), bytes in = bytes out + level
 * at every event, and no level is ever negative or above its capacity (within a microsecond of its rate and
 * floating-point rounding, src/models/block/account.ts). The scenarios are the cybozu migration's shape
 * (scenarios/cybozu-drbd-migration.yaml) with its parameters drawn: rates, sizes, protocol, on-congestion,
 * sndbuf-size, max-buffers, disk kinds, md and WalB, and a plan of connects, disconnects, rate changes,
 * backups, load changes and a failover.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { booksError } from '../../src/models/block/account.ts';
import { runScenario } from '../../src/run.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { cases, DEEP } from '../support/properties.ts';

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

const drive = fc.oneof(
  fc.record({ members: pick([4, 8]), level: pick([10, 5]), rpm: pick([7200, 15000]) }).map((d) => `{ drive: { type: hdd, rpm: ${d.rpm}, seek: 8.5ms, transfer: 150MB/s }, raid: { level: ${d.level}, members: ${d.members} } }`),
  pick(['{ drive: { type: ssd } }', '{ drive: { type: hdd, rpm: 7200, seek: 8.5ms, transfer: 150MB/s } }']),
);

const replication = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    protocol: pick(['A', 'B', 'C']),
    congestion: pick(['block', 'pull-ahead', 'disconnect']),
    fill: pick(['1MiB', '4MiB', '7MiB']),
    sndbuf: pick(['128KiB', '1MiB', '8MiB', '10MiB', '0']),
    maxBuffers: pick([32, 256, 2048, 8000]),
    dynamic: fc.boolean(),
    rate: pick(['2MB/s', '40MB/s', '90MB/s']),
    cMin: pick(['0', '250KiB/s']),
    proxy: fc.boolean(),
  }).map((d) => {
    const onCong = d.protocol === 'A' ? `, on-congestion: ${d.congestion}, congestion-fill: ${d.fill}` : '';
    const disk = d.dynamic ? `c-plan-ahead: 2s, c-fill-target: 1MiB, c-max-rate: ${d.rate}` : `c-plan-ahead: 0, resync-rate: ${d.rate}`;
    return { kind: 'drbd', text: `drbd: { version: 8.4, net: { protocol: ${d.protocol}, sndbuf-size: ${d.sndbuf}, max-buffers: ${d.maxBuffers}${onCong}${d.proxy ? ', proxy: { memlimit: 64MiB }' : ''} }, disk: { ${disk}, c-min-rate: ${d.cMin} } }`, rate: (r: string) => `disk: { ${d.dynamic ? 'c-max-rate' : 'resync-rate'}: ${r} }` };
  }) },
  { weight: 1, arbitrary: fc.record({ wb: pick([16, 256, 4096]), min: pick(['1MB/s', '40MB/s']), sndbuf: pick(['256KiB', '4MiB']) }).map((d) => ({
    kind: 'md', text: `md: { write-behind: ${d.wb}, speed_limit_min: ${d.min}, speed_limit_max: 90MB/s, sndbuf: ${d.sndbuf} }`, rate: (r: string) => `md: { speed_limit_min: ${r} }`,
  })) },
  { weight: 1, arbitrary: fc.record({ ring: pick(['64MiB', '1GiB', '100GiB']), scan: pick(['2MB/s', '40MB/s']) }).map((d) => ({
    kind: 'walb', text: `walb: { log_disk: log-ssd, ring_buffer_size: ${d.ring}, full_scan_rate: ${d.scan} }`, rate: (r: string) => `walb: { full_scan_rate: ${r} }`,
  })) },
);

const step = fc.oneof(
  pick(['connect: vol', 'disconnect: vol']),
  pick(['300kB/s', '2MB/s', '90MB/s']).map((r) => ({ rate: r })),
  fc.record({ iops: pick([0, 60, 410, 2000]), size: pick(['4KiB', '16KiB', '1MiB']), random: pick(['5%', '90%']) }).map((w) => `io_workload: { workload: app, iops: ${w.iops}/s, random: ${w.random}, size: ${w.size} }`),
  pick(['start_job: { name: bk, disk: new-array, kind: backup, share: 80% }', 'stop_job: { disk: new-array, name: bk }', 'start_job: { name: rd, disk: old-array, kind: scan, rate: 50MB/s, size: 1GiB }']),
);

const scenario = fc.record({
  old: drive,
  new: drive,
  rep: replication,
  size: pick(['1GiB', '20GiB', '2TiB']),
  bandwidth: pick(['100Mbps', '1Gbps', '10Gbps']),
  latency: pick(['0.2ms', '1ms', '20ms']),
  connected: fc.boolean(),
  iops: pick([60, 410, 3000]),
  reads: pick(['0%', '70%']),
  random: pick(['0%', '90%', '100%']),
  ioSize: pick(['4KiB', '16KiB', '256KiB']),
  workingSet: pick(['100MiB', '100GiB']),
  queueDepth: pick([1, 32, 256]),
  bgi: fc.boolean(),
  steps: fc.array(fc.tuple(fc.integer({ min: 1, max: 119 }), step), { maxLength: 8 }),
  failover: fc.option(fc.integer({ min: 1, max: 119 }), { freq: 4 }),
}).map((s) => {
  const plan = [...s.steps].sort((a, b) => a[0] - b[0]).map(([at, st]) => `  - { at: +${at}m, ${typeof st === 'string' ? st : `adjust: { resource: vol, ${s.rep.rate(st.rate)} }`} }`);
  if (s.failover !== null) plan.push(`  - { at: +${s.failover}m, fail_host: store-old }`, `  - { at: +${s.failover}m, force_primary: { resource: vol, host: store-new } }`);
  return `name: block conservation
start: 2015-05-18T09:00:00+09:00
duration: 2h
stall_threshold: 100ms
sites: [old-dc, new-dc]
links: [{ between: [old-dc, new-dc], bandwidth: ${s.bandwidth}, latency: ${s.latency} }]
block:
  hosts: { store-old: { site: old-dc }, store-new: { site: new-dc } }
  disks:
    old-array: { host: store-old, ${s.old.slice(2, -2)} }
    new-array: { host: store-new, ${s.new.slice(2, -2)} }
    log-ssd: { host: store-old, drive: { type: ssd } }
  resources:
    vol:
      size: ${s.size}
      primary: { host: store-old, disk: old-array }
      secondary: { host: store-new, disk: new-array }
      connected: ${s.connected}
      ${s.rep.text}
  workloads:
    app: { resource: vol, iops: ${s.iops}/s, reads: ${s.reads}, random: ${s.random}, size: ${s.ioSize}, working_set: ${s.workingSet}, queue_depth: ${s.queueDepth} }
${s.bgi ? '  jobs:\n    bgi: { disk: new-array, kind: background-init, share: 30%, size: 400GB }\n' : ''}${plan.length ? `plan:\n${plan.join('\n')}\n` : ''}`;
});

describe('property 5 for block replication: conservation of every buffer', () => {
  it('bytes in = bytes out + level at every event; no level negative or above its capacity', () => {
    let checked = 0;
    fc.assert(
      fc.property(scenario, (text) => {
        const s = loadScenarioText(text, 'block-conservation.yaml');
        try {
          runScenario(s, {
            afterEvent: (w) => {
              const b = w.block!;
              const now = w.ctx.sim.now;
              for (const books of b.books(now)) {
                const err = booksError(books);
                if (err) throw new Error(`at +${now} us: ${err}`);
                checked++;
              }
            },
          });
        } catch (e) {
          throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- replay it with: replsim run <this file>\n${text}`);
        }
      }),
      { seed: 20150518, numRuns: cases(300) },
    );
    if (checked === 0) throw new Error('no books were checked');
    // About 12 s of CPU: pull-ahead cases whose peer cannot keep up flap between Ahead and SyncSource every
    // second or two, as DRBD does, tens of thousands of events each; the margin is for a loaded machine.
  }, DEEP ? 900_000 : 120_000);
});
