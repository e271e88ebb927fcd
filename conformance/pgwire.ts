/**
 * A minimal PostgreSQL client (frontend/backend protocol 3.0, simple query, trust authentication only) for the
 * harness: the embedded servers ship no psql, and some steps need a session that stays open (a backup's
 * pg_backup_start/stop, a commit waiting for a synchronous standby that another session cancels).
 * Every wait is bounded; text results only.
 */
import { Socket, createConnection } from 'node:net';

export interface PgError {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface QueryResult {
  readonly rows: (string | null)[][];
  /** The first error of the query, if any (the session stays usable). */
  readonly error: PgError | null;
  /** NOTICE and WARNING messages the server sent during the query. */
  readonly notices: readonly PgError[];
}

export class PgConnectError extends Error {
  /** The server's SQLSTATE when it refused the connection (57P03: starting up), else undefined (refused, timed out). */
  constructor(
    message: string,
    readonly sqlstate?: string,
  ) {
    super(message);
  }
}

function fields(body: Buffer): PgError {
  const f = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    f.set(type, body.toString('utf8', i + 1, end));
    i = end + 1;
  }
  const hint = f.get('H');
  return { severity: f.get('V') ?? f.get('S') ?? 'ERROR', code: f.get('C') ?? '', message: f.get('M') ?? '', ...(hint !== undefined ? { hint } : {}) };
}

interface Pending {
  rows: (string | null)[][];
  error: PgError | null;
  notices: PgError[];
  resolve: (r: QueryResult) => void;
  reject: (e: Error) => void;
}

export class PgSession {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private ready: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private closedWith: Error | null = null;
  pid = 0;
  private secret = 0;

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {
    socket.on('data', (d) => this.onData(d));
    const fail = (e: Error) => {
      if (this.closedWith) return;
      this.closedWith = e;
      this.pending?.reject(e);
      this.pending = null;
      this.ready?.reject(e);
      this.ready = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('server closed the connection')));
  }

  /** Connect and authenticate (trust); rejects with PgConnectError on refusal or a server error (e.g. "starting up"). */
  static connect(opts: { host?: string; port: number; user?: string; database?: string; applicationName?: string; timeoutMs?: number; options?: string }): Promise<PgSession> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port: opts.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PgConnectError(`connection to ${host}:${opts.port} timed out`));
      }, opts.timeoutMs ?? 5000);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new PgConnectError(e.message));
      });
      socket.once('connect', () => {
        const s = new PgSession(socket, host, opts.port);
        const params: [string, string][] = [
          ['user', opts.user ?? 'postgres'],
          ['database', opts.database ?? 'postgres'],
          ['application_name', opts.applicationName ?? 'replsim-conformance'],
          ['client_encoding', 'UTF8'],
        ];
        if (opts.options) params.push(['options', opts.options]);
        const body = Buffer.concat([...params.flatMap(([k, v]) => [Buffer.from(k + '\0'), Buffer.from(v + '\0')]), Buffer.from([0])]);
        const head = Buffer.alloc(8);
        head.writeInt32BE(8 + body.length, 0);
        head.writeInt32BE(196608, 4);
        s.ready = {
          resolve: () => {
            clearTimeout(timer);
            resolve(s);
          },
          reject: (e) => {
            clearTimeout(timer);
            socket.destroy();
            reject(e instanceof PgConnectError ? e : new PgConnectError(e.message));
          },
        };
        socket.write(Buffer.concat([head, body]));
      });
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) return;
      const type = String.fromCharCode(this.buf[0]!);
      const body = this.buf.subarray(5, 1 + len);
      this.buf = this.buf.subarray(1 + len);
      this.onMessage(type, body);
    }
  }

  private onMessage(type: string, body: Buffer): void {
    switch (type) {
      case 'R': {
        const code = body.readInt32BE(0);
        if (code !== 0) this.ready?.reject(new PgConnectError(`authentication method ${code} is not supported (trust only)`));
        return;
      }
      case 'K':
        this.pid = body.readInt32BE(0);
        this.secret = body.readInt32BE(4);
        return;
      case 'Z':
        if (this.ready) {
          const r = this.ready;
          this.ready = null;
          r.resolve();
        } else if (this.pending) {
          const p = this.pending;
          this.pending = null;
          p.resolve({ rows: p.rows, error: p.error, notices: p.notices });
        }
        return;
      case 'E': {
        const e = fields(body);
        if (this.ready) {
          const r = this.ready;
          this.ready = null;
          r.reject(new PgConnectError(e.message, e.code));
        } else if (this.pending && !this.pending.error) this.pending.error = e;
        return;
      }
      case 'N':
        this.pending?.notices.push(fields(body));
        return;
      case 'D': {
        if (!this.pending) return;
        const n = body.readInt16BE(0);
        const row: (string | null)[] = [];
        let i = 2;
        for (let c = 0; c < n; c++) {
          const l = body.readInt32BE(i);
          i += 4;
          if (l < 0) row.push(null);
          else {
            row.push(body.toString('utf8', i, i + l));
            i += l;
          }
        }
        this.pending.rows.push(row);
        return;
      }
      default:
        // T (row description), C (command complete), S (parameter status), I (empty query), A (notification): not needed.
        return;
    }
  }

  /** Run one simple query (several statements allowed); rejects only when the connection is lost or the wait runs out. */
  query(sql: string, timeoutMs = 15000): Promise<QueryResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending) return Promise.reject(new Error('a query is already under way on this session'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The session is unusable from now on (its answer may still come): closed at once, not at the socket's close event.
        this.pending = null;
        this.closedWith = new Error(`query timed out after ${timeoutMs} ms: ${sql.slice(0, 80)}`);
        this.socket.destroy();
        reject(this.closedWith);
      }, timeoutMs);
      this.pending = {
        rows: [],
        error: null,
        notices: [],
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const body = Buffer.from(sql + '\0');
      const head = Buffer.alloc(5);
      head.write('Q', 0);
      head.writeInt32BE(4 + body.length, 1);
      this.socket.write(Buffer.concat([head, body]));
    });
  }

  /** A cancel request on a separate connection (what psql's Ctrl-C sends). */
  cancel(): Promise<void> {
    return new Promise((resolve) => {
      const s = createConnection({ host: this.host, port: this.port });
      const done = () => {
        s.destroy();
        resolve();
      };
      s.setTimeout(3000, done);
      s.once('error', done);
      s.once('close', done);
      s.once('connect', () => {
        const m = Buffer.alloc(16);
        m.writeInt32BE(16, 0);
        m.writeInt32BE(80877102, 4);
        m.writeInt32BE(this.pid, 8);
        m.writeInt32BE(this.secret, 12);
        s.end(m);
      });
    });
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  close(): void {
    if (this.closedWith) return;
    const m = Buffer.from([0x58, 0, 0, 0, 4]); // Terminate
    this.socket.end(m);
    this.closedWith = new Error('closed');
  }
}

/** Connect, retrying a refused or slow connection (a loaded machine, a server still starting) within `totalMs`. */
export async function connectPatiently(opts: Parameters<typeof PgSession.connect>[0], totalMs = 60000): Promise<PgSession> {
  const until = Date.now() + totalMs;
  for (;;) {
    try {
      return await PgSession.connect({ timeoutMs: 10000, ...opts });
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** One query on a fresh connection; connection failures are returned as an error, not thrown. */
export async function queryOnce(port: number, sql: string, timeoutMs = 15000): Promise<QueryResult> {
  let s: PgSession;
  try {
    s = await PgSession.connect({ port, timeoutMs: Math.min(timeoutMs, 5000) });
  } catch (e) {
    return { rows: [], error: { severity: 'FATAL', code: 'connect', message: e instanceof Error ? e.message : String(e) }, notices: [] };
  }
  try {
    return await s.query(sql, timeoutMs);
  } catch (e) {
    return { rows: [], error: { severity: 'FATAL', code: 'lost', message: e instanceof Error ? e.message : String(e) }, notices: [] };
  } finally {
    s.close();
  }
}
