/**
 * What was done to the system and for how long, from the scenario's timed actions: a partition until its heal,
 * a node down until it starts again, a device disconnected until it reconnects, a disk job until it stops, a
 * slot's consumer stopped until it starts or the slot is dropped, clients blocked until unblocked; and the gray
 * failures: packet loss until it clears, a one-way partition until healed, a manager's process stopped until
 * started, a slow node or disk until back to normal (or for its duration), archive_command failing. The chart
 * shades these periods over every panel, as Jepsen shades nemesis periods; an action that does not begin a
 * state (a promotion, an adjust) stays a marker.
 */
import type { Action } from '../../scenario/types.ts';

export interface Period {
  readonly from: number;
  /** µs since start; null: still on at the end of the run. */
  readonly to: number | null;
  readonly source: 'plan' | 'faults';
  readonly label: string;
  /** Names of the actions that began and ended it (to leave their markers out). */
  readonly names: readonly string[];
}

interface Opening {
  readonly key: string;
  readonly label: string;
}

/** The state an action begins (key, label), the key of the state it ends, or a period of its own length (`to`, µs). */
function classify(a: Action): { open: Opening } | { close: string } | { span: Opening & { readonly to: number } } | null {
  switch (a.kind) {
    case 'archiveFails':
      return { span: { key: `archive:${a.node}`, label: `archive_command of ${a.node} fails`, to: a.until } };
    case 'packetLoss': {
      const key = `loss:${[...a.sites].sort().join('|')}`;
      return a.probability > 0 ? { open: { key, label: `packet loss ${a.sites[0]}–${a.sites[1]}` } } : { close: key };
    }
    case 'oneWayPartition':
      return { open: { key: `oneway:${a.from}>${a.to}`, label: `${a.from} → ${a.to} dropped` } };
    case 'healOneWay':
      return { close: `oneway:${a.from}>${a.to}` };
    case 'stopManager':
      return { open: { key: `manager:${a.process}`, label: `${a.process} stopped` } };
    case 'startManager':
      return { close: `manager:${a.process}` };
    case 'slowNode': {
      const factors = [a.cpu, a.disk, a.diskThroughput ?? null].filter((x) => x !== null);
      // Every factor it names back to 1: the node is healthy again.
      return factors.every((x) => x === 1) ? { close: `slow:${a.node}` } : { open: { key: `slow:${a.node}`, label: `${a.node} slowed` } };
    }
    case 'partition':
      return { open: { key: `net:${targetKey(a.target)}`, label: a.target.kind === 'link' ? `link ${a.target.sites[0]}–${a.target.sites[1]} cut` : `${a.target.node} cut off` } };
    case 'heal':
      return { close: `net:${targetKey(a.target)}` };
    case 'crash':
      return { open: { key: `down:${a.node}`, label: `${a.node} crashed` } };
    case 'stop':
      return { open: { key: `down:${a.node}`, label: `${a.node} stopped${a.mode ? ` (-m ${a.mode})` : ''}` } };
    case 'start':
    case 'restart':
    // Re-pointing a standby restarts it (recovery.conf / standby.signal is read at start).
    case 'repoint':
      return { close: `down:${a.node}` };
    case 'blockClients':
      return { open: { key: `clients:${a.node}`, label: `clients blocked from ${a.node}` } };
    case 'unblockClients':
      return { close: `clients:${a.node}` };
    case 'stopConsumer':
      return { open: { key: `consumer:${a.cluster}:${a.slot}`, label: `consumer of slot "${a.slot}" stopped` } };
    case 'startConsumer':
    case 'dropSlot':
      return { close: `consumer:${a.cluster}:${a.slot}` };
    case 'openTransaction':
      return { open: { key: `tx:${a.transaction}`, label: `transaction "${a.transaction}" open on ${a.node}` } };
    case 'closeTransaction':
      return { close: `tx:${a.transaction}` };
    case 'block': {
      const s = a.step;
      switch (s.op) {
        case 'disconnect':
          return { open: { key: `link:${s.resource}`, label: `${s.resource} disconnected` } };
        case 'connect':
          return { close: `link:${s.resource}` };
        case 'startJob':
          return { open: { key: `job:${s.job.disk}:${s.job.name}`, label: `${s.job.kind} "${s.job.name}" on ${s.job.disk}` } };
        case 'stopJob':
          return { close: `job:${s.disk}:${s.name}` };
        case 'failHost':
          return { open: { key: `host:${s.host}`, label: `${s.host} lost` } };
        case 'powerOn':
          return { close: `host:${s.host}` };
        case 'failDisk':
          return { open: { key: `disk-failed:${s.disk}`, label: `disk ${s.disk} failed` } };
        case 'slowDisk':
          if (s.factor === 1) return { close: `slow-disk:${s.disk}` };
          return s.duration !== null
            ? { span: { key: `slow-disk:${s.disk}`, label: `disk ${s.disk} slowed`, to: a.at + s.duration } }
            : { open: { key: `slow-disk:${s.disk}`, label: `disk ${s.disk} slowed` } };
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

function targetKey(t: Extract<Action, { kind: 'partition' }>['target']): string {
  return t.kind === 'link' ? `link:${[...t.sites].sort().join('|')}` : `node:${t.node}`;
}

/**
 * The periods of a plan and its faults, in start order. A state that is begun again while on (a second
 * stop) keeps its first start; one never ended runs to the end of the run (`to` null). A disk job that ends
 * by itself (a backup that finished) ends at `jobEnds(disk, name, from)` when known.
 */
export function actionPeriods(actions: readonly Action[], end: number, jobEnd: (disk: string, name: string, from: number) => number | null = () => null): Period[] {
  const sorted = actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i);
  const open = new Map<string, { from: number; source: Action['source']; label: string; names: string[] }>();
  const out: Period[] = [];
  for (const { a } of sorted) {
    if (a.at > end) break;
    const c = classify(a);
    if (c === null) continue;
    if ('span' in c) {
      out.push({ from: a.at, to: c.span.to <= end ? c.span.to : null, source: a.source, label: c.span.label, names: a.name ? [a.name] : [] });
      continue;
    }
    if ('open' in c) {
      if (!open.has(c.open.key)) open.set(c.open.key, { from: a.at, source: a.source, label: c.open.label, names: a.name ? [a.name] : [] });
      continue;
    }
    const o = open.get(c.close);
    if (!o) continue;
    open.delete(c.close);
    out.push({ from: o.from, to: a.at, source: o.source, label: o.label, names: a.name ? [...o.names, a.name] : o.names });
  }
  for (const [key, o] of open) {
    const job = /^job:(.*):(.*)$/.exec(key);
    const to = job ? jobEnd(job[1]!, job[2]!, o.from) : null;
    out.push({ from: o.from, to: to !== null && to <= end ? to : null, source: o.source, label: o.label, names: o.names });
  }
  return out.sort((x, y) => x.from - y.from || (x.to ?? end) - (y.to ?? end));
}
