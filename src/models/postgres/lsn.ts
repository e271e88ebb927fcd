/**
 * A WAL position in bytes. PostgreSQL's XLogRecPtr is 64-bit; simulated positions stay far below 2^53
 * (8 PiB), so a JS number holds them exactly.
 */
export type Lsn = number;

/** PostgreSQL's %X/%X: high and low 32-bit halves in upper-case hex, no padding (xlogdefs.h LSN_FORMAT_ARGS). */
export function formatLsn(lsn: Lsn): string {
  const v = Math.floor(lsn);
  const hi = Math.floor(v / 2 ** 32);
  const lo = v - hi * 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Start of the WAL segment holding lsn: the walreceiver asks for streaming from a segment boundary. */
export function segmentStart(lsn: Lsn, walSegmentSize: number): Lsn {
  return Math.floor(lsn / walSegmentSize) * walSegmentSize;
}

/** Size of an XLOG record header (SizeOfXLogRecord): the startup process waits for the record after `lsn`. */
export const XLOG_RECORD_HEADER = 24;

/**
 * WAL taken by a shutdown checkpoint record: a 24-byte header, a 2-byte data header and the 88-byte CheckPoint
 * struct (PG15 catalog/pg_control.h), 8-byte aligned.
 */
export const SHUTDOWN_CHECKPOINT_RECORD = 120;

/**
 * WAL taken by the commit record of a transaction without subtransactions, invalidations or relfilenode drops:
 * a 24-byte header, a 2-byte data header and the 8-byte commit time, 8-byte aligned (observed: `redo done at`
 * 40 bytes before the end of WAL after a commit, on 13.23).
 */
export const COMMIT_RECORD = 40;

/** WAL file name of the segment holding lsn on a timeline, as in pg_wal (XLogFileName). */
export function walFileName(tli: number, lsn: Lsn, walSegmentSize: number): string {
  const segNo = Math.floor(lsn / walSegmentSize);
  const perXlogId = 2 ** 32 / walSegmentSize;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(tli)}${hex(Math.floor(segNo / perXlogId))}${hex(segNo % perXlogId)}`;
}
