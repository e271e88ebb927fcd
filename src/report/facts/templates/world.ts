/** The prose of the history's own facts and of the plan's and faults' steps (history/facts/world.ts). */
import type { StepActionFact, WorldFact } from '../../../history/facts/world.ts';
import type { GrayFailure } from '../../../scenario/types-managers.ts';
import type { VacuumActionBody } from '../../../scenario/types-vacuum.ts';
import type { Micros } from '../../../engine/time.ts';
import { count, counted, duration, percent, perSecond, size } from '../../format.ts';
import { code, node, p, time, type Token } from '../parts.ts';
import type { TemplatesOf } from './types.ts';

const SLOT_OPS = { drop: 'drop replication slot', 'stop-consumer': 'stop the consumer of slot', 'start-consumer': 'start the consumer of slot' } as const;

/** How a vacuum-model plan step reads in the report's list of events. */
function vacuumStep(a: VacuumActionBody): Token {
  switch (a.kind) {
    case 'vacuum':
      return code(
        `VACUUM${a.freeze ? ' FREEZE' : ''} ${a.table ? `${a.database}.${a.table}` : `(database ${a.database})`}${a.costDelay !== null || a.costLimit !== null ? ` with cost_delay ${a.costDelay === null ? 'default' : `${a.costDelay / 1000} ms`}, cost_limit ${a.costLimit ?? 'default'}` : ''}`,
      );
    case 'ddl':
      return p`${code(a.statement)}${a.session ? ` (in session "${a.session}")` : ''}`;
    case 'checkpoint':
      return p`CHECKPOINT on ${node(a.node)}`;
    case 'singleUserVacuum':
      return p`stop ${node(a.node)} and VACUUM ${a.database ? `database ${a.database}` : 'the database the stop ERROR names'} in single-user mode`;
  }
}

/** What a gray failure does (models/gray.ts). */
function gray(g: GrayFailure): Token {
  switch (g.kind) {
    case 'packetLoss':
      return g.probability > 0 ? `${percent(g.probability)} of packets between ${g.sites[0]} and ${g.sites[1]} are lost` : `no more packet loss between ${g.sites[0]} and ${g.sites[1]}`;
    case 'oneWayPartition':
      return `packets from ${g.from} to ${g.to} are dropped (the other way they pass)`;
    case 'healOneWay':
      return `packets from ${g.from} to ${g.to} pass again`;
    case 'stopManager':
      return `${g.process} stops: it answers nobody`;
    case 'startManager':
      return `${g.process} runs again`;
    case 'slowNode': {
      const share = g.diskThroughput ?? null;
      const parts = [
        g.cpu !== null ? `CPU ${g.cpu === 1 ? 'back to normal' : `saturated (${g.cpu}x service times)`}` : null,
        g.disk !== null ? `disk ${g.disk === 1 ? 'back to normal' : `${g.disk}x slower`}` : null,
        share !== null ? `disk throughput ${share === 1 ? 'back to normal' : `collapsed to ${percent(share)} of its disk_throughput`}` : null,
      ];
      return p`${node(g.node)}: ${parts.filter((x) => x !== null).join(', ')}`;
    }
  }
}

export const STEPS: TemplatesOf<StepActionFact> = {
  'promote-asked': (f) => p`promote ${node(f.node)}`,
  'repoint-asked': (f) => p`repoint ${node(f.node)} to stream from ${node(f.upstream)}`,
  'configure-asked': (f) => p`configure ${node(f.node)}`,
  'drop-subscription': (f) => p`DROP SUBSCRIPTION ${code(f.subscription)}`,
  'add-column': (f) => p`ALTER TABLE ... ADD COLUMN on ${node(f.node)} (subscription ${code(f.subscription)})`,
  'sync-sequences': (f) => p`setval of the sequences of subscription ${code(f.subscription)} to the publisher's values`,
  'route-writes': (f) => p`route writes${f.workload ? ` of ${f.workload}` : ''} to ${node(f.node)}`,
  'client-connections': (f) => p`${f.blocked ? 'block' : 'unblock'} client connections to ${node(f.node)}`,
  'end-sync-waits': (f) => p`${f.how === 'cancel' ? 'cancel' : 'terminate'} the backends of ${node(f.node)} waiting for synchronous standbys`,
  'node-network': (f) => (f.cut ? p`${node(f.node)} is cut off from the network` : p`${node(f.node)} is reachable again`),
  link: (f) => `link ${f.sites[0]}–${f.sites[1]} ${f.cut ? 'cut' : 'restored'}`,
  'server-op': (f) => p`${f.op} ${node(f.node)}${f.mode ? ` (-m ${f.mode})` : ''}${f.host ? ' with its host' : ''}`,
  'switchover-asked': (f) =>
    f.tool === 'pg_autoctl'
      ? f.candidate !== null
        ? p`pg_autoctl perform promotion --name ${node(f.candidate)} (cluster ${f.cluster})`
        : p`pg_autoctl perform switchover (cluster ${f.cluster})`
      : p`patronictl ${f.action ?? 'switchover'}${f.leader !== null ? p` --leader ${node(f.leader)}` : ''}${f.candidate !== null ? p` --candidate ${node(f.candidate)}` : ''} --force (cluster ${f.cluster})`,
  'copy-asked': (f) => p`${f.how === 'reclone' ? 're-clone' : 'pg_basebackup into'} ${node(f.node)} from ${node(f.from)}`,
  'pg-rewind-asked': (f) => p`pg_rewind ${node(f.node)} against ${node(f.from)}`,
  'backup-asked': (f) => p`pg_basebackup "${f.name}" from ${node(f.from)} into the backup store`,
  'restore-asked': (f) => p`restore base backup "${f.backup}" into ${node(f.node)}`,
  'destroy-data': (f) => p`destroy the data directory of ${node(f.node)}`,
  'archive-command-fails': (f) => p`${code('archive_command')} of ${node(f.node)} fails (exit code ${f.exitCode}) for ${duration(f.duration / 1e6)}`,
  'workload-set': (f) =>
    `workload${f.workload ? ` ${f.workload}` : ''}${f.rate !== undefined ? ` ${perSecond(f.rate, 'tx')}` : ''}${f.walPerTx !== undefined ? `${f.rate !== undefined ? ',' : ''} ${size(f.walPerTx)} of WAL per transaction` : ''}`,
  'slot-create': (f) => `create ${f.slotKind} replication slot "${f.slot}"`,
  'slot-op': (f) => `${SLOT_OPS[f.op]} "${f.slot}"`,
  'transaction-open': (f) => p`open ${f.prepared ? 'prepared ' : ''}transaction "${f.transaction}" on ${node(f.node)}`,
  'transaction-close': (f) => `close transaction "${f.transaction}"`,
  'vacuum-step': (f) => vacuumStep(f.step),
  'gray-failure': (f) => gray(f.failure),
};

export const WORLD: TemplatesOf<WorldFact> = {
  ...STEPS,
  'events-omitted': (f) => p`${counted(f.count, 'event')} omitted, until ${time(f.until as Micros)} (the history keeps at most ${count(f.limit)} events: the first and the most recent; the fingerprint covers all)`,
  step: (f, sub) => p`${f.source}: ${sub(f.action)}${f.name ? ` (${f.name})` : ''}`,
  'no-sync-waits': (f) => p`no commit on ${node(f.node)} was waiting for synchronous standbys`,
};
