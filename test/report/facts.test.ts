import { describe, expect, it } from 'vitest';
import type { Micros } from '../../src/engine/time.ts';
import type { Fact } from '../../src/history/facts/index.ts';
import type { ReplicationFact } from '../../src/history/facts/replication.ts';
import { History } from '../../src/history/history.ts';
import type { Lsn } from '../../src/models/postgres/lsn.ts';
import { factFromJson, factHtml, factJson, factText } from '../../src/report/facts/index.ts';
import type { TemplatesOf } from '../../src/report/facts/templates/types.ts';
import { runScenario } from '../../src/run.ts';
import { mackerel } from '../support/builder.ts';

const streaming: Fact = { kind: 'streaming', upstream: 'db000', timeline: 15, lsn: 0x2a01000000 as Lsn, switchLsn: null };

describe('facts and their renderers', () => {
  it('one fact, three formats: prose, HTML with marks and escaped names, JSON with WAL positions as PostgreSQL writes them', () => {
    expect(factText(streaming)).toBe('streaming from db000 on timeline 15 from 2A/1000000');
    expect(factHtml(streaming)).toBe('streaming from <span class="node">db000</span> on timeline 15 from <code class="lsn">2A/1000000</code>');
    expect(factJson(streaming)).toEqual({ kind: 'streaming', upstream: 'db000', timeline: 15, lsn: '2A/1000000', switchLsn: null });
    expect(factFromJson(factJson(streaming))).toEqual(streaming);
    const evil: Fact = { kind: 'upstream-not-running', upstream: '<b>&' };
    expect(factHtml(evil)).toBe('<span class="node">&lt;b&gt;&amp;</span> is not running');
  });

  it('nested facts render inside their parent (a wait with the refused rescan, a demotion with its reason)', () => {
    const wait: Fact = {
      kind: 'with-refusal',
      fact: { kind: 'upstream-not-running', upstream: 'p' },
      refusal: { kind: 'timeline-not-a-child', node: 's', timeline: 3, nodeTimeline: 2 },
    };
    expect(factText(wait)).toBe("p is not running; timeline 3 is not a child of s's timeline 2");
  });

  it('identical consecutive events are compared as facts: the same fact folds, another LSN does not', () => {
    const h = new History();
    const at = (s: number) => (s * 1e6) as Micros;
    h.event(at(1), 'c', 'db001', 'replication', streaming);
    h.event(at(2), 'c', 'db001', 'replication', { ...streaming });
    h.event(at(3), 'c', 'db001', 'replication', { ...streaming, lsn: (0x2a01000000 + 16 * 2 ** 20) as Lsn });
    expect(h.events.map((e) => e.repeat?.count ?? 1)).toEqual([2, 1]);
    // Key order does not matter.
    h.event(at(4), 'c', 'db001', 'replication', { switchLsn: null, lsn: (0x2a01000000 + 16 * 2 ** 20) as Lsn, timeline: 15, upstream: 'db000', kind: 'streaming' });
    expect(h.events.map((e) => e.repeat?.count ?? 1)).toEqual([2, 2]);
  });

  it('the JSON report keeps the rendered message beside the fact', () => {
    const { report } = runScenario(mackerel());
    for (const e of report.events) expect(factText(factFromJson(e.fact))).toBe(e.message);
    expect(report.events.some((e) => e.fact.kind === 'promoted')).toBe(true);
  });

  it('a fact kind without a template does not compile', () => {
    // @ts-expect-error 'streaming' (and every other replication kind) has no template here.
    const partial: TemplatesOf<ReplicationFact> = { receiving: () => 'x' };
    expect(partial).toBeDefined();
  });
});
