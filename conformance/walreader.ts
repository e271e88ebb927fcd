/**
 * The last WAL record before a position, read from a data directory's pg_wal: which resource manager wrote
 * it and its info bits. The harness waits for a primary's last record to be the background writer's standby
 * snapshot (real.ts quiescent); pg_walinspect exists only from 15 and has no till-end function from 16, so the
 * few header fields needed are read here, the same way on 10 to 18.
 *
 * Layout (access/xlog_internal.h, access/xlogrecord.h, unchanged from 9.5 to 18): 8 KiB pages, each starting
 * with a page header of 24 bytes (40 on a segment's first page, XLP_LONG_HEADER); a record continued from the
 * previous page is flagged XLP_FIRST_IS_CONTRECORD, with xlp_rem_len bytes left of it; records start
 * MAXALIGNed (8) and begin with xl_tot_len (uint32), xl_xid, xl_prev (uint64), xl_info (uint8), xl_rmid
 * (uint8); a record, its header included, may span pages. An XLOG_SWITCH record ends its segment.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

const PAGE = 8192;
const SHORT_HEADER = 24;
const LONG_HEADER = 40;
const XLP_FIRST_IS_CONTRECORD = 0x0001;
const RM_XLOG_ID = 0;
const XLOG_SWITCH = 0x40;
export const RM_STANDBY_ID = 8;
export const XLOG_RUNNING_XACTS = 0x10;

export interface WalRecordHead {
  readonly lsn: number;
  readonly rmid: number;
  /** xl_info without the generic low bits (XLR_INFO_MASK). */
  readonly info: number;
  readonly totLen: number;
}

export function segmentFileName(tli: number, lsn: number, segSize: number): string {
  const segno = Math.floor(lsn / segSize);
  const perId = 2 ** 32 / segSize;
  const hex = (v: number) => v.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(tli)}${hex(Math.floor(segno / perId))}${hex(segno % perId)}`;
}

class SegmentReader {
  private fd: number | null = null;
  private segno = -1;

  constructor(
    private readonly walDir: string,
    private readonly tli: number,
    private readonly segSize: number,
  ) {}

  /** `n` bytes at absolute position `pos`, from the segment file holding it (zeros past its end). */
  bytes(pos: number, n: number): Buffer {
    const segno = Math.floor(pos / this.segSize);
    if (segno !== this.segno) {
      this.close();
      this.fd = openSync(join(this.walDir, segmentFileName(this.tli, pos, this.segSize)), 'r');
      this.segno = segno;
    }
    const b = Buffer.alloc(n);
    readSync(this.fd!, b, 0, n, pos - segno * this.segSize);
    return b;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.segno = -1;
  }
}

const maxAlign = (v: number) => Math.ceil(v / 8) * 8;

/**
 * The last record starting before `end` (the primary's insert position), or null when it cannot be read
 * (a missing segment, a page that is not written yet). Walks from the page holding `end - window` (within
 * the segment of `end`, so only that segment file is needed unless a record reaches back into the previous one).
 */
export function lastRecordBefore(dataDir: string, tli: number, end: number, segSize = 16 * 1024 * 1024, window = 64 * 1024): WalRecordHead | null {
  const r = new SegmentReader(join(dataDir, 'pg_wal'), tli, segSize);
  try {
    const segStart = Math.floor((end - 1) / segSize) * segSize;
    let page = Math.max(segStart, Math.floor((end - window) / PAGE) * PAGE);
    const headerSize = (p: number) => (p % segSize === 0 ? LONG_HEADER : SHORT_HEADER);
    /** Position `n` logical bytes after `p`, skipping page headers. */
    const advance = (p: number, n: number): number => {
      while (n > 0) {
        const pageEnd = Math.floor(p / PAGE) * PAGE + PAGE;
        const room = pageEnd - p;
        if (n < room) return p + n;
        n -= room;
        p = pageEnd + headerSize(pageEnd);
      }
      return p;
    };
    /** Logical bytes from `p`, across page headers. */
    const read = (p: number, n: number): Buffer => {
      const parts: Buffer[] = [];
      while (n > 0) {
        if (p % PAGE === 0) p += headerSize(p);
        const pageEnd = Math.floor(p / PAGE) * PAGE + PAGE;
        const take = Math.min(n, pageEnd - p);
        parts.push(r.bytes(p, take));
        n -= take;
        p += take;
      }
      return Buffer.concat(parts);
    };
    // The first record boundary on `page`: past a continued record's remaining bytes.
    const head = r.bytes(page, SHORT_HEADER);
    const info = head.readUInt16LE(2);
    const pageAddr = Number(head.readBigUInt64LE(8));
    if (pageAddr !== page) return null;
    let p = page + headerSize(page);
    if (info & XLP_FIRST_IS_CONTRECORD) p = maxAlign(advance(p, head.readUInt32LE(16)));
    let last: WalRecordHead | null = null;
    for (let guard = 0; guard < 100000; guard++) {
      if (p % PAGE === 0) p += headerSize(p);
      if (p >= end) break;
      const pageStart = Math.floor(p / PAGE) * PAGE;
      if (Number(r.bytes(pageStart + 8, 8).readBigUInt64LE(0)) !== pageStart) break; // page not written yet
      const hdr = read(p, 24);
      const totLen = hdr.readUInt32LE(0);
      if (totLen < 24) break;
      const rec: WalRecordHead = { lsn: p, rmid: hdr[17]!, info: hdr[16]! & 0xf0, totLen };
      last = rec;
      if (rec.rmid === RM_XLOG_ID && rec.info === XLOG_SWITCH) p = (Math.floor(p / segSize) + 1) * segSize;
      else p = maxAlign(advance(p, totLen));
    }
    return last;
  } catch {
    return null;
  } finally {
    r.close();
  }
}
