/**
 * One template per fact kind, shared by the text and the HTML renderer: the report's English lives here (one
 * file per model in templates/), not in the models. Typed as a map over every kind, so a fact kind without a
 * template does not compile.
 */
import type { Fact, FactKind, FactOf } from '../../history/facts/index.ts';
import type { Token } from './parts.ts';
import { BLOCK } from './templates/block.ts';
import { PACEMAKER } from './templates/pacemaker.ts';
import { REPLICATION } from './templates/replication.ts';
import { SERVER } from './templates/server.ts';
import { STORAGE } from './templates/storage.ts';
import { WORLD } from './templates/world.ts';
import { MANAGERS } from './templates/managers.ts';
// PostgreSQL sessions, vacuum, locks, backups (models/postgres)
import { BACKUP } from './templates/backup.ts';
import { LOCKS } from './templates/locks.ts';
import { VACUUM } from './templates/vacuum.ts';
import { WRITES } from './templates/writes.ts';
import { WRITE_ENDS } from './templates/write-end.ts';
import { STALL } from './templates/stall.ts';
import { STEPS } from './templates/steps.ts';
import { VERDICT_STEPS } from './templates/verdicts.ts';
import { BLOCK_CHAINS, LOCK_CHAINS, XID_CHAINS } from './templates/chains.ts';
import { BLOCK_LOSS } from './templates/block-why.ts';
import { LOGICAL } from './templates/logical.ts';

type Templates = { readonly [K in FactKind]: (f: FactOf<K>, sub: (f: Fact) => Token) => Token };

const TEMPLATES: Templates = {
  prose: (f) => f.text,
  ...WORLD,
  ...REPLICATION,
  ...SERVER,
  ...STORAGE,
  ...BLOCK,
  ...PACEMAKER,
  // the failover managers
  ...MANAGERS,
  // PostgreSQL sessions, vacuum, locks, backups (models/postgres)
  ...VACUUM,
  ...LOCKS,
  ...BACKUP,
  // why writes fail or wait
  ...WRITES,
  ...WRITE_ENDS,
  // the steps of a block write stall
  ...STALL,
  // the steps of the checkers' cause chains
  ...STEPS,
  ...VERDICT_STEPS,
  ...BLOCK_CHAINS,
  ...XID_CHAINS,
  ...LOCK_CHAINS,
  ...BLOCK_LOSS,
  // logical replication between clusters
  ...LOGICAL,
};

/** The fact's prose, before formatting. */
export function tokens(f: Fact): Token {
  return (TEMPLATES[f.kind] as (f: Fact, sub: (f: Fact) => Token) => Token)(f, tokens);
}
