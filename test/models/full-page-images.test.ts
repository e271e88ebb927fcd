/**
 * Full-page images in the WAL volume (full-page-images.ts, docs/model-postgres.md "Full-page writes"): a workload
 * that states its working set writes more WAL after each checkpoint's redo point. Judged against 15.18 (pgbench
 * scale 10, 500 tx/s: 450 bytes per transaction without images, 14.6 kB in the 2 s after a CHECKPOINT, 2 kB a
 * minute later; about 7.9 kB per image).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.ts';
import { loadLocatedScenario, loadScenarioText } from '../../src/scenario/load.ts';
import { scenarioFacts } from '../../src/rehearsal/lint/from-scenario.ts';

const lsnOf = (lsn: string) => {
  const [hi, lo] = lsn.split('/').map((x) => parseInt(x, 16));
  return hi! * 2 ** 32 + lo!;
};

/** 500 tx/s of 450 bytes, two pages each over 190 MiB (24,320 pages); a CHECKPOINT at 09:31, the end at 09:32. */
const scenario = (settings: string, workload: string, plan = '[{at: "09:31", checkpoint: pg1}]', end = '09:32') => `name: fpi
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "${end}"
sites: [dc1]
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, settings: {${settings}}}
    workload: {target: pg1, rate: 500/s, wal_per_tx: 450B${workload}}
plan: ${plan}
`;

const walEnd = (settings: string, workload: string, plan?: string, end?: string) => {
  const r = runScenario(loadScenarioText(scenario(settings, workload, plan, end), 'fpi.yaml')).report;
  return lsnOf(r.nodes.find((n) => n.name === 'pg1')!.lsn);
};

const PAGES = 24_320;
const WORKLOAD = ', working_set: 190MiB, pages_per_tx: 2';

describe('full-page images', () => {
  it('the first change of each page after a redo point logs its image: 22,260 images in the minute after a CHECKPOINT', () => {
    const plain = walEnd('', '');
    const imaged = walEnd('', WORKLOAD);
    // 30,000 transactions of 2 pages after the redo point: 24,320 × (1 − e^(−60,000 / 24,320)) = 22,258 pages
    // imaged once each, 7,900 bytes per image: 176 MB more WAL than the 27 MB of the transactions themselves.
    const images = PAGES * (1 - Math.exp(-60_000 / PAGES));
    expect((imaged - plain) / (images * 7900)).toBeCloseTo(1, 1);
  });

  it('no images before the first redo point the run sees, none without working_set, none with full_page_writes off', () => {
    expect(walEnd('', WORKLOAD, '[]')).toBe(walEnd('', '', '[]'));
    expect(walEnd('full_page_writes: off', WORKLOAD)).toBe(walEnd('', ''));
  });

  it('wal_compression keeps half of each image (an approximation: the ratio is the data\'s)', () => {
    const plain = walEnd('', '');
    const full = walEnd('', WORKLOAD) - plain;
    const lz4 = walEnd('wal_compression: lz4', WORKLOAD) - plain;
    expect(lz4 / full).toBeCloseTo(0.5, 2);
  });

  it('a small max_wal_size checkpoints more often and so images the pages more often: more WAL per transaction', () => {
    // Ten minutes: with max_wal_size = 1GB only the timed checkpoint at 09:35 starts images again (about 190 MB
    // of them); with 128MB a checkpoint starts every 67 MB of WAL, each imaging a fresh share of the pages.
    const plan = '[]';
    const big = walEnd('', WORKLOAD, plan, '09:40') - walEnd('', '', plan, '09:40');
    const small = walEnd('max_wal_size: 128MB', WORKLOAD, plan, '09:40') - walEnd('max_wal_size: 128MB', '', plan, '09:40');
    expect(big / 1e6).toBeGreaterThan(150);
    expect(big / 1e6).toBeLessThan(200);
    expect(small / big).toBeGreaterThan(5);
  });

  it('refuses pages_per_tx without working_set, and lz4 before 15', () => {
    expect(() => loadScenarioText(scenario('', ', pages_per_tx: 2'), 'fpi.yaml')).toThrow(/needs working_set/);
    expect(() => loadScenarioText(scenario('wal_compression: lz4', WORKLOAD).replace('version: 15', 'version: 14'), 'fpi.yaml')).toThrow(/from PostgreSQL 15/);
  });
});

describe('full-page images in the lint', () => {
  it("the lint's WAL rate counts the images averaged over a checkpoint cycle, as the run writes them", () => {
    const rate = (workload: string) => scenarioFacts(loadLocatedScenario(scenario('', workload, '[]', '09:40'), 'fpi.yaml'), 'fpi.yaml').loads.get('shop')!.walBytesPerSecond;
    expect(rate('')).toBe(500 * 450);
    // A 300 s cycle of 150,000 transactions images 24,320 × (1 − e^(−300,000 / 24,320)) pages (all of them,
    // nearly): 192 MB over 300 s, 0.64 MB/s on top of the 0.225 MB/s of the transactions.
    const imaged = rate(WORKLOAD);
    expect((imaged - 500 * 450) / 1e6).toBeCloseTo((PAGES * (1 - Math.exp(-300_000 / PAGES)) * 7900) / 300 / 1e6, 2);
    // The run writes about that much over the ten minutes (one cycle from the 09:35 timed checkpoint on).
    const run = walEnd('', WORKLOAD, '[]', '09:40') - walEnd('', '', '[]', '09:40');
    expect(run / 1e6).toBeGreaterThan(150);
  });
});

describe('full-page images and synchronous commits', () => {
  // 1,000 commits/s to a synchronous standby over 100 Mbps (12.1 MB/s of WAL): 0.45 MB/s without images, but
  // 12.9 MB/s in the first step after each checkpoint's redo point (2 × 0.787 images of 7,900 bytes each).
  const text = (workload: string) => `name: sync-fpi
start: 2024-09-02T09:30:00Z
timezone: UTC
end: "09:35"
sites: [dc1, dc2]
links:
  - {between: [dc1, dc2], bandwidth: 100Mbps, latency: 20ms}
clusters:
  shop:
    nodes:
      pg1: {site: dc1, version: 15, role: primary, settings: {synchronous_standby_names: "pg2"}}
      pg2: {site: dc2, version: 15, upstream: pg1}
    workload: {target: pg1, rate: 1000/s, wal_per_tx: 450B, connections: 50${workload}}
plan: [{at: "09:31", checkpoint: pg1}]
`;

  it('the burst of images after a checkpoint outruns the line: commits wait for the standby, then the queue drains', () => {
    const none = runScenario(loadScenarioText(text(''), 'sync-fpi.yaml')).report;
    expect(none.stalls).toEqual([]);
    // The images' steps shrink the WAL per transaction while commits wait (the window's excess is counted as
    // leaving with the old commits; without it the model's invariant on the waiting WAL fails).
    const r = runScenario(loadScenarioText(text(', working_set: 1GiB, pages_per_tx: 2'), 'sync-fpi.yaml')).report;
    expect(r.stalls.length).toBeGreaterThan(0);
    expect(r.stalls[0]!.from >= '2024-09-02T09:31:00').toBe(true);
    expect(r.stalls[0]!.cause).toContain('the synchronous standbys of pg1 (pg2) confirm 941 transactions/s');
  });

  it('a workload step to smaller transactions while commits wait runs on (it was an internal error)', () => {
    // 16 KiB commits throttled by the line (50 waiting: 800 KiB), then 1 KiB ones: the waiting WAL is far more
    // than 50 new commits hold until the confirmations pass the old ones.
    const step = text('').replace('wal_per_tx: 450B', 'wal_per_tx: 16KiB').replace('plan: [{at: "09:31", checkpoint: pg1}]', 'plan: [{at: "09:31", workload: {wal_per_tx: 1KiB}}]');
    const r = runScenario(loadScenarioText(step, 'sync-step.yaml')).report;
    // 1,000 × 16 KiB (16.4 MB/s) stalled on the 12.1 MB/s line until 09:31 (740/s committed); then the 1 KiB
    // ones fit, and the queue (about 14,600 requests) drains at 50 / 40 ms − 1,000 = 250/s: by 09:32.
    expect(r.stalls.length).toBe(2);
    expect(r.stalls[0]!.cause).toContain('confirm 740 transactions/s');
    expect(r.stalls[1]!.to < '2024-09-02T09:32').toBe(true);
  });
});
