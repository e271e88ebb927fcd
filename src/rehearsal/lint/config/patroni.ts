/**
 * A Patroni configuration file (YAML): the cluster's scope, the failover settings of the dynamic
 * configuration (bootstrap.dcs: maximum_lag_on_failover, synchronous_mode, check_timeline, use_slots) and
 * the PostgreSQL parameters it writes. What Patroni itself imposes on the servers it manages matters to the
 * rules: it writes recovery_target_timeline = 'latest' for every replica whatever the file says
 * (postgresql/config.py build_recovery_params), and with use_slots (the default) a physical slot per member.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import type { Where } from '../types.ts';
import { ConfigError } from './pgconf.ts';

export interface PatroniConfig {
  readonly file: string;
  readonly scope: string | null;
  readonly member: string | null;
  /** Bytes; Patroni's default 1 MiB (global_config.py). */
  readonly maximumLagOnFailover: number;
  readonly maximumLagWhere: Where;
  readonly synchronousMode: boolean;
  /** synchronous_mode: quorum (Patroni 4.0+; global_config.py is_quorum_commit_mode). */
  readonly quorumCommit: boolean;
  readonly useSlots: boolean;
  readonly where: Where;
}

/** Whether a YAML file looks like Patroni's (a scope, or bootstrap/postgresql sections with restapi or a DCS). */
export function looksLikePatroni(text: string): boolean {
  return /^(scope|restapi|bootstrap|etcd3?|consul|zookeeper|kubernetes)\s*:/m.test(text);
}

export function readPatroni(file: string): PatroniConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError({ file, line: 1, column: 1 }, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const p = lc.linePos(err.pos[0]);
    throw new ConfigError({ file, line: p.line, column: p.col }, `YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  const where = (n: Node | null | undefined): Where => {
    if (!n?.range) return { file, line: 1, column: 1 };
    const p = lc.linePos(n.range[0]);
    return { file, line: p.line, column: p.col };
  };
  const get = (path: string[]): Node | null => {
    let cur: unknown = doc.contents;
    for (const k of path) {
      if (!isMap(cur)) return null;
      cur = cur.get(k, true);
    }
    return (cur as Node | undefined) ?? null;
  };
  const scalar = (path: string[]): unknown => {
    const n = get(path);
    return isScalar(n) ? n.value : undefined;
  };
  const lagNode = get(['bootstrap', 'dcs', 'maximum_lag_on_failover']) ?? get(['maximum_lag_on_failover']);
  const lag = isScalar(lagNode) ? Number(lagNode.value) : 1_048_576;
  if (!Number.isFinite(lag) || lag < 0) throw new ConfigError(where(lagNode), `maximum_lag_on_failover must be a number of bytes, not ${JSON.stringify(isScalar(lagNode) ? lagNode.value : null)}`);
  const bool = (v: unknown, dflt: boolean) => (typeof v === 'boolean' ? v : typeof v === 'string' ? /^(on|true|yes)$/i.test(v) : dflt);
  const quorum = String(scalar(['bootstrap', 'dcs', 'synchronous_mode'])).toLowerCase() === 'quorum';
  return {
    file,
    scope: typeof scalar(['scope']) === 'string' ? (scalar(['scope']) as string) : null,
    member: typeof scalar(['name']) === 'string' ? (scalar(['name']) as string) : null,
    maximumLagOnFailover: lag,
    maximumLagWhere: where(lagNode ?? get(['bootstrap', 'dcs']) ?? get(['scope'])),
    // 'quorum' is synchronous too (global_config.py is_synchronous_mode).
    synchronousMode: quorum || bool(scalar(['bootstrap', 'dcs', 'synchronous_mode']), false),
    quorumCommit: quorum,
    useSlots: bool(scalar(['bootstrap', 'dcs', 'postgresql', 'use_slots']), true),
    where: where(get(['scope'])),
  };
}
