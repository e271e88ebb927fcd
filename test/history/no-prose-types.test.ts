/**
 * Facts as data (issue 14): the types the models record causes with carry no free text. Every string field of a
 * write cause, a block stall's step, a decision's author or a plan's synchronous source names something (a node,
 * a table, a lock mode, a disk) or quotes the real system (a server's message); a new field such as
 * `cause: string` or `text: string` changes the key sets below and fails the type check (npx tsc --noEmit runs
 * over the tests) and this test.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { DecidedBy, SynchronousSource } from '../../src/history/facts/managers.ts';
import type { DiskUse, LineBound, ResyncPace, StallDisk, StallStepFact } from '../../src/history/facts/stall.ts';
import type { CommitLimit, LockQueueParty, Slowdown, WriteCauseFact } from '../../src/history/facts/writes.ts';
import type { HorizonHolder } from '../../src/history/facts/vacuum.ts';
import type { Holder } from '../../src/models/postgres/vacuum/horizons.ts';
import type { StallPhase } from '../../src/history/block.ts';
import type { WriteStatusInterval } from '../../src/history/history.ts';
import type { ManagedRedundancy } from '../../src/models/managers/manager.ts';
import type { StepFact } from '../../src/history/facts/steps.ts';
import type { FactStep } from '../../src/checkers/explain.ts';
import type { Fact } from '../../src/history/facts/index.ts';
import type { BecamePrimary, NodeFate, NotFollowing, RebuildWay, Redundancy, VerdictEnd, VerdictStepFact } from '../../src/history/facts/verdicts.ts';
import type { BlockChainFact, BlockCopy, CopiesWhy, FenceReason, LockChainFact, XidChainFact } from '../../src/history/facts/chains.ts';
import type { BlockLossStep, ConnReason, Sb0Rule, SbRule } from '../../src/history/facts/block-why.ts';
import type { BlockCopiesSample, BlockFenceRecord, BlockLossRecord } from '../../src/history/block.ts';
import type { BlockResource } from '../../src/models/block/resource.ts';
import type { BlockDeviceState } from '../../src/models/block/world.ts';
import type { SbOutcome } from '../../src/models/block/split-brain.ts';
import type { CauseStep } from '../../src/checkers/explain.ts';

/** The keys of any member of union `T` whose value may be any string (literal unions such as 'first' | 'any' do not count). */
type FreeStringKeys<T> = T extends unknown ? { [K in keyof T]-?: string extends NonNullable<T[K]> ? K : string extends Extract<T[K], string> ? K : never }[keyof T] : never;

describe('the model-side cause types carry no free text', () => {
  it('write causes: only names and the server\'s own messages', () => {
    expectTypeOf<FreeStringKeys<WriteCauseFact>>().toEqualTypeOf<'node' | 'standby' | 'site' | 'message' | 'relation' | 'table' | 'workload' | 'mode' | 'pool' | 'disk' | 'resource' | 'host' | 'policy' | 'subscription'>();
    expectTypeOf<FreeStringKeys<Slowdown>>().toEqualTypeOf<'node'>();
    expectTypeOf<FreeStringKeys<LockQueueParty>>().toEqualTypeOf<'who' | 'mode'>();
    expectTypeOf<FreeStringKeys<CommitLimit>>().toEqualTypeOf<never>();
    // The interval holds the fact, not a sentence.
    expectTypeOf<WriteStatusInterval['cause']>().toEqualTypeOf<WriteCauseFact>();
  });

  it('horizon holders: only names (a workload, a database, a session, a node, a slot); the report words them', () => {
    expectTypeOf<FreeStringKeys<HorizonHolder>>().toEqualTypeOf<'workload' | 'database' | 'name' | 'node' | 'slot'>();
    expectTypeOf<Holder['who']>().toEqualTypeOf<HorizonHolder>();
  });

  it('block stall steps: only names (hosts, disks, the resource, the labels of a disk\'s users)', () => {
    expectTypeOf<FreeStringKeys<StallStepFact>>().toEqualTypeOf<'host' | 'resource' | 'peer'>();
    expectTypeOf<FreeStringKeys<StallDisk>>().toEqualTypeOf<'name'>();
    expectTypeOf<FreeStringKeys<DiskUse[number]>>().toEqualTypeOf<'label'>();
    expectTypeOf<FreeStringKeys<LineBound>>().toEqualTypeOf<never>();
    expectTypeOf<FreeStringKeys<ResyncPace>>().toEqualTypeOf<never>();
    expectTypeOf<StallPhase['chain']>().toEqualTypeOf<readonly StallStepFact[]>();
  });

  it('the steps of a data loss\'s cause chain are facts; a checker\'s fact step holds a fact, not a sentence', () => {
    // (StepFact nests Fact, a union that includes it: its strings are checked at run time, test/support/fact-prose.ts.)
    expectTypeOf<StepFact['kind']>().toEqualTypeOf<'loss-acknowledged' | 'loss-released' | 'loss-crash-cut' | 'survivor-holds' | 'no-shared-history' | 'promoted-branch' | 'stopped-receiving' | 'received-up-to' | 'promoted-during-shutdown' | 'was-falling-behind' | 'loss-conclusion'>();
    expectTypeOf<FactStep['fact']>().toEqualTypeOf<Fact>();
    expectTypeOf<keyof FactStep>().toEqualTypeOf<'fact' | 'log'>();
  });

  it('every checker\'s cause-chain step is a fact: no step carries a sentence (issue 14: ProseStep is gone)', () => {
    expectTypeOf<CauseStep>().toEqualTypeOf<FactStep>();
    // The verdicts' steps: names, the policy's name, the rule the manager cites, a server's FATAL message.
    expectTypeOf<FreeStringKeys<VerdictStepFact>>().toEqualTypeOf<'newer' | 'node' | 'cluster' | 'policy' | 'chosen' | 'rule' | 'by' | 'source' | 'upstream' | 'message'>();
    expectTypeOf<FreeStringKeys<BecamePrimary>>().toEqualTypeOf<'node'>();
    expectTypeOf<FreeStringKeys<NodeFate>>().toEqualTypeOf<'node' | 'message'>();
    expectTypeOf<FreeStringKeys<NotFollowing>>().toEqualTypeOf<'node' | 'follows' | 'primary' | 'upstream'>();
    expectTypeOf<FreeStringKeys<VerdictEnd>>().toEqualTypeOf<'node' | 'follows' | 'upstream'>();
    expectTypeOf<FreeStringKeys<Redundancy>>().toEqualTypeOf<'primary'>();
    expectTypeOf<FreeStringKeys<RebuildWay>>().toEqualTypeOf<never>();
    // Block data loss and fencing, transaction IDs, lock queues: names only (a horizon holder and a lock's
    // holder are the scenario's labels, a lock mode is PostgreSQL's).
    expectTypeOf<FreeStringKeys<BlockChainFact>>().toEqualTypeOf<'resource' | 'by' | 'node' | 'device' | 'older' | 'newer'>();
    expectTypeOf<FreeStringKeys<XidChainFact>>().toEqualTypeOf<'holder' | 'table'>();
    expectTypeOf<FreeStringKeys<LockChainFact>>().toEqualTypeOf<'who' | 'mode' | 'table' | 'workload'>();
  });

  it('block devices record why as data: connection reasons, split-brain rules, where the newest data is, why a node was fenced, a loss\'s steps', () => {
    expectTypeOf<Extract<BlockResource['conn'], { kind: 'StandAlone' | 'Connecting' }>['reason']>().toEqualTypeOf<ConnReason>();
    expectTypeOf<BlockDeviceState['reason']>().toEqualTypeOf<ConnReason | null>();
    expectTypeOf<FreeStringKeys<ConnReason>>().toEqualTypeOf<'disk' | 'host'>();
    expectTypeOf<SbOutcome['rule']>().toEqualTypeOf<SbRule>();
    expectTypeOf<FreeStringKeys<Sb0Rule>>().toEqualTypeOf<'host'>();
    expectTypeOf<BlockCopiesSample['why']>().toEqualTypeOf<CopiesWhy>();
    expectTypeOf<FreeStringKeys<CopiesWhy>>().toEqualTypeOf<'primary'>();
    expectTypeOf<FreeStringKeys<BlockCopy>>().toEqualTypeOf<'host'>();
    expectTypeOf<BlockFenceRecord['reason']>().toEqualTypeOf<FenceReason>();
    expectTypeOf<FreeStringKeys<FenceReason>>().toEqualTypeOf<'node' | 'dc'>();
    expectTypeOf<BlockLossRecord['chain']>().toEqualTypeOf<readonly BlockLossStep[]>();
    expectTypeOf<FreeStringKeys<BlockLossStep>>().toEqualTypeOf<'primary' | 'peer' | 'label' | 'resource' | 'survivor' | 'host' | 'old' | 'disk'>();
  });

  it('who decided a failover, and what configured the synchronous standbys: names only', () => {
    expectTypeOf<FreeStringKeys<DecidedBy>>().toEqualTypeOf<'node' | 'leader' | 'monitor' | 'name'>();
    expectTypeOf<FreeStringKeys<SynchronousSource>>().toEqualTypeOf<'node'>();
    expectTypeOf<ManagedRedundancy['source']>().toEqualTypeOf<SynchronousSource>();
  });
});
