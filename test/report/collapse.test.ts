import { describe, expect, it } from 'vitest';
import { collapseCycles } from '../../src/report/collapse.ts';
import type { EventJson } from '../../src/report/types.ts';

const at = (s: number) => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();
const micros = (iso: string) => Date.parse(iso) * 1000;
const ev = (s: number, kind: string, log: string[]): EventJson => ({ at: at(s), cluster: 'c', node: 'p', kind, message: kind, fact: { kind } as unknown as EventJson['fact'], log });

describe('cycles of messages folded in the text report', () => {
  it('a vacuum loop whose WARNING counts down the transactions left is one cycle; other numbers keep messages apart', () => {
    const events: EventJson[] = [];
    for (let i = 0; i < 50; i++) {
      events.push(ev(i * 60, 'vacuum', ['autovacuum worker WARNING:  oldest xmin is far in the past']));
      events.push(ev(i * 60 + 20, 'recompute', [`autovacuum worker WARNING:  database "app" must be vacuumed within ${39_900_000 - i * 90_000} transactions`]));
    }
    const items = collapseCycles(events, micros);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'cycle', turns: 50 });
    // A segment name that changes is not a countdown: nothing folds.
    const segments = events.map((e, i) => (e.kind === 'recompute' ? { ...e, log: [`requested WAL segment 00000001000000000000${(i + 16).toString(16).toUpperCase()} has already been removed`] } : e));
    expect(collapseCycles(segments, micros)).toHaveLength(100);
  });
});
