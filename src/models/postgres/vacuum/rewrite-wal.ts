/**
 * The WAL a table-rewriting or index-building statement writes (docs/model-vacuum.md, "The WAL of a rewrite").
 * With wal_level replica or logical every page of the new relation goes into the WAL, whatever
 * full_page_writes says (a standby must be able to rebuild it):
 * - a heap copied page by page (VACUUM FULL and CLUSTER: rewriteheap.c raw_heap_insert; SET TABLESPACE:
 *   storage.c RelationCopyStorage) writes each page as a full-page record (log_newpage; from 17 several pages
 *   a record through bulk_write.c log_newpages), its free space left out (the page's hole): 1.00 to 1.01 of the
 *   new heap measured on 10.23, 15 and 17.10 (docs/model-vacuum.md);
 * - an index build (nbtsort.c _bt_blwritepage, the same way; REINDEX, CREATE INDEX [CONCURRENTLY], ADD PRIMARY
 *   KEY, and the rebuilds at the end of every rewrite) writes 0.90 to 0.91 of the index;
 * - a heap rebuilt row by row (ALTER TABLE ... ALTER COLUMN TYPE, ADD COLUMN with a volatile default:
 *   tablecmds.c ATRewriteTable; REFRESH MATERIALIZED VIEW: an INSERT ... SELECT into the new heap) logs one
 *   insert record per row: the rows plus about 28 bytes each (measured: 112.5 MB for 1 M rows in an 84 MB heap).
 * wal_compression compresses the page images (the first two), not the rows' records: it keeps the share
 * full-page-images.ts takes for a page (0.71 of a heap of md5 text, 0.48 of an integer index, 0.91 of an index
 * on md5 text measured with pglz: data-dependent).
 * Approximations: a new index is estimated at INDEX_BYTES_PER_ROW (one single-column btree on an integer or
 * timestamp key); a table that does not give its `indexes` is taken to have one such index; wal_level minimal (no WAL for a
 * relation created in the same transaction) is not modelled (it allows no streaming standby anyway).
 */
import { classifyStatement } from '../locks/statements.ts';
import type { Micros } from '../../../engine/time.ts';
import type { PgMajor } from '../../../scenario/types.ts';
import type { VacuumActionBody } from '../../../scenario/types-vacuum.ts';
import { BLCKSZ, COMPRESSED, IMAGE_BYTES } from '../full-page-images.ts';
import type { PgSettings } from '../settings.ts';
import type { Relation } from './relations.ts';

/**
 * What a statement writes: a copied heap with its indexes rebuilt (`copy`), a copied heap alone (`heap`: SET
 * TABLESPACE), a heap rebuilt row by row with its indexes, one index, or all of the table's indexes.
 */
export type RewriteWal = 'none' | 'copy' | 'heap' | 'rows' | 'index' | 'indexes';

/** Share of the new heap a page-by-page copy logs (log_newpage leaves out the hole): 1.003 to 1.008 measured. */
export const COPY_FACTOR = 1.0;
/** Share of a new btree its build logs: 0.903 to 0.912 measured (leaf pages filled to fillfactor 90). */
export const INDEX_FACTOR = 0.91;
/** Bytes a row's insert record adds to the row (record header, block reference, xl_heap_insert/header). */
export const ROW_RECORD_OVERHEAD = 28;
/**
 * Bytes per row of a single-column btree on a 4- or 8-byte key: an 8-byte IndexTupleData plus the key, MAXALIGNed
 * to 16, a 4-byte line pointer, leaves filled to 90 %, and the upper levels. Measured 22.5 (22 487 040 bytes for
 * 1 M rows of int4 on 10.23, 15 and 17.10).
 */
export const INDEX_BYTES_PER_ROW = 22.5;

/** What the estimates read of a table (a Relation now; lint's a table's spec at the start). */
export type RelationSize = Pick<Relation, 'size' | 'rows'> & { readonly spec: Pick<Relation['spec'], 'indexes'> };

/** What `sql` writes when it runs (by its statement: see the module's comment). */
export function rewriteWalOf(sql: string, version: PgMajor): RewriteWal {
  const c = classifyStatement(sql, version);
  if (!c.ok) return 'none';
  const s = sql.trim().replace(/\s+/g, ' ').toUpperCase();
  switch (c.label) {
    case 'VACUUM FULL':
    case 'CLUSTER':
      return 'copy';
    case 'REFRESH MATERIALIZED VIEW':
      return 'rows';
    case 'CREATE INDEX':
    case 'CREATE INDEX CONCURRENTLY':
      return 'index';
    case 'REINDEX':
    case 'REINDEX CONCURRENTLY':
      return /^REINDEX (\(.*?\) )?INDEX\b/.test(s) ? 'index' : 'indexes';
  }
  if (!s.startsWith('ALTER TABLE')) return 'none';
  // SET TABLESPACE copies the heap's files (its indexes stay where they are); other rewrites rebuild rows.
  if (c.effect === 'rewrite') return /\bSET TABLESPACE\b/.test(s) && !/,/.test(s) ? 'heap' : 'rows';
  // ADD PRIMARY KEY / UNIQUE / EXCLUDE build an index (USING INDEX takes an existing one: statements.ts 'none').
  if (c.effect === 'scan' && /\bADD (CONSTRAINT \S+ )?(PRIMARY KEY|UNIQUE|EXCLUDE)\b/.test(s)) return 'index';
  return 'none';
}

/** The WAL bytes the statement writes on `rel` (its size and rows now) with the node's settings. */
export function rewriteWalBytes(kind: RewriteWal, rel: RelationSize, settings: Pick<PgSettings, 'walCompression'>): number {
  const image = settings.walCompression === 'off' ? 1 : COMPRESSED;
  // A new index's size is not known: one btree on an integer key. The table's own are, when it gives them.
  const index = rel.rows * INDEX_BYTES_PER_ROW * INDEX_FACTOR * image;
  const indexes = rel.spec.indexes !== undefined ? rel.spec.indexes * INDEX_FACTOR * image : index;
  switch (kind) {
    case 'none':
      return 0;
    case 'heap':
      return rel.size * COPY_FACTOR * image;
    case 'copy':
      return rel.size * COPY_FACTOR * image + indexes;
    case 'rows':
      return rel.size + rel.rows * ROW_RECORD_OVERHEAD + indexes;
    case 'index':
      return index;
    case 'indexes':
      return indexes;
  }
}

/**
 * Bytes of WAL a deleted row's record takes (heapam.c heap_delete: XLOG_HEAP_DELETE, a record header, a block
 * reference and xl_heap_delete): 16,849,400 bytes for 300,000 rows on 10.23, 15 and 17.10, 56.2 a row.
 */
export const DELETE_RECORD = 56;

/**
 * The WAL a DELETE of `rows` rows writes: a record per row, and with full_page_writes the image of each page it
 * changes first after the redo point (101.4 MB for the same DELETE over an 84.5 MB table right after a
 * CHECKPOINT: every page). Approximation: the rows deleted fill whole pages one after the other (a purge of
 * the oldest rows), each page imaged once (IMAGE_BYTES; a full heap page measured 8.2 kB).
 */
export function deleteWalBytes(rows: number, rel: RelationSize & Pick<Relation, 'rowSize'>, settings: Pick<PgSettings, 'walCompression' | 'fullPageWrites'>): number {
  const pages = Math.min(Math.ceil(rel.size / BLCKSZ), Math.ceil((rows * rel.rowSize) / BLCKSZ));
  const images = settings.fullPageWrites ? pages * IMAGE_BYTES * (settings.walCompression === 'off' ? 1 : COMPRESSED) : 0;
  return rows * DELETE_RECORD + images;
}

/**
 * How long a statement runs once it has its lock, and the WAL it writes meanwhile (vacuum/operations.ts ddl,
 * and lint's estimate of the plan's statements): it reads the table's `bytes` at the disk's throughput, twice
 * for a rewrite (read and write), once for a scan or a DELETE of many rows (approximation: a sequential scan;
 * no CPU or sort cost), unless the plan gives its duration.
 */
export function statementCost(
  a: Pick<Extract<VacuumActionBody, { kind: 'ddl' }>, 'statement' | 'effect' | 'rows' | 'duration'>,
  rel: RelationSize & Pick<Relation, 'rowSize'>,
  bytes: number,
  settings: Pick<PgSettings, 'walCompression' | 'fullPageWrites'>,
  version: PgMajor,
  diskThroughput: number,
): { duration: Micros; wal: number } {
  const passes = a.effect === 'rewrite' ? 2 : a.effect === 'scan' || a.rows !== undefined ? 1 : 0;
  const duration = a.duration ?? (Math.ceil((bytes * passes * 1e6) / diskThroughput) as Micros);
  const wal = Math.round(a.rows !== undefined ? deleteWalBytes(a.rows, rel, settings) : rewriteWalBytes(rewriteWalOf(a.statement, version), rel, settings));
  return { duration, wal };
}
