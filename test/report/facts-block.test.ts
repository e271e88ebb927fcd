/**
 * Block and Pacemaker facts read with the report's one formatter of each kind (report/format.ts: sizes, rates
 * with /s, durations, counts), and their reasons (a DRBD connection's, a split brain's rule, a fence's, where a
 * device's newest data is) recorded as data and worded here (issue 14, audit S7).
 */
import { describe, expect, it } from 'vitest';
import * as blockExplain from '../../src/models/block/explain.ts';
import type { Micros } from '../../src/engine/time.ts';
import type { ConnReason, SbRule } from '../../src/history/facts/block-why.ts';
import type { Fact } from '../../src/history/facts/index.ts';
import { factText, tokenText } from '../../src/report/facts/index.ts';
import { connReason, sbRule } from '../../src/report/facts/templates/block-why.ts';
import { copiesWhy, fenceReason } from '../../src/report/facts/templates/chains.ts';

const GiB = 1024 ** 3;
const us = (s: number) => (s * 1e6) as Micros;

describe('block and Pacemaker facts read with report/format.ts', () => {
  it('sizes in the largest binary unit, durations in their two largest units, rates with /s', () => {
    expect(factText({ kind: 'sync-finished', resource: 'vol', full: true, bytes: 2048 * GiB, after: us(16.55 * 3600), peer: 'b' })).toBe('vol: initial sync of 2 TiB finished after 16 h 33 min; b is UpToDate');
    expect(factText({ kind: 'disk-job-finished', job: 'background-init', name: 'bgi', disk: 'new-array', size: 3725.3 * GiB })).toBe('background-init "bgi" on new-array finished (3.6 TiB)');
    expect(factText({ kind: 'disk-job-start', job: 'resync', name: 'r', disk: 'd', pace: { rate: 40e6 } } as Fact)).toBe('resync "r" starts on d (40 MB/s)');
    expect(factText({ kind: 'power-on', host: 'a', cause: { kind: 'plan' }, bootTime: us(180) })).toBe('a powers on (the plan); it boots and starts corosync and pacemaker in 3 min');
  });

  it('the block model keeps no formatter of its own', () => {
    for (const name of ['mb', 'ms', 'pct', 'human', 'mib']) expect(Object.keys(blockExplain)).not.toContain(name);
  });

  it('a DRBD connection\'s reason, a split brain\'s rule, a fence\'s reason and where the newest data is: data, worded here', () => {
    const reasons: [ConnReason, string][] = [
      [{ kind: 'no-answer', timeout: us(6) }, 'network failure: no answer within timeout 6 s'],
      [{ kind: 'ping-unanswered', pingInt: us(10), pingTimeout: us(0.5) }, 'network failure: ping unanswered (ping-int 10 s + ping-timeout 500 ms)'],
      [{ kind: 'congestion', inflight: 64 * 1024 ** 2 }, 'congestion: 64 MiB in flight ≥ congestion-fill, on-congestion disconnect'],
      [{ kind: 'ko-count', after: us(42) }, 'no progress for ko-count × timeout = 42 s (rule 7)'],
      [{ kind: 'disk-failed', disk: 'd1', host: 'a' }, "d1, a's disk, failed"],
    ];
    for (const [r, text] of reasons) expect(tokenText(connReason(r))).toBe(text);
    const rule: SbRule = { kind: 'npri', primaries: 1, policy: 'call-pri-lost-after-sb', how: { kind: 'by-0pri', zero: { kind: 'changed-less', host: 'b' }, gaveUp: 'b' } };
    expect(tokenText(sbRule(rule))).toBe('after-sb-1pri call-pri-lost-after-sb: discard-least-changes: b changed less; b gave up the Primary role');
    expect(tokenText(fenceReason({ kind: 'left-membership', node: 'b', dc: 'a', deadTime: us(4.8), tokenTimeout: us(3), consensus: us(1.8) }))).toBe(
      "b left a's membership unclean: not heard for 4.8 s (token 3 s + consensus 1.8 s)",
    );
    expect(tokenText(copiesWhy({ kind: 'copies', copies: [{ host: 'a', state: { kind: 'primary' }, down: { kind: 'host-lost' } }, { host: 'b', state: { kind: 'lacks', bytes: 12 * 1024 ** 2, primary: 'a' }, down: null }] }))).toBe(
      'a: UpToDate (primary), the host is lost; b: UpToDate as of what it received, without the last 12 MiB a acknowledged',
    );
  });
});
