/**
 * Where the command line writes. A reader that goes away (`replsim run ... | head -2`) is not an error: the
 * rest of the output is dropped and the exit code stays the run's. Any other failure to write the report
 * (a full disk) is reported once on stderr and makes the exit code 2, like any output that cannot be written.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The report goes to a terminal (colours). */
  readonly stdoutIsTTY: boolean;
  /** Where a progress bar may draw, if stderr is a terminal. */
  readonly progressStream: NodeJS.WriteStream | null;
  readonly columns: number;
  /** The environment, for NO_COLOR. */
  readonly env: NodeJS.ProcessEnv;
  /** Set when writing stdout failed for another reason than a closed pipe: the exit code becomes 2. */
  readonly writeFailed: () => boolean;
}

function guarded(stream: NodeJS.WriteStream, onFailure: (e: NodeJS.ErrnoException) => void): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    if (e.code !== 'EPIPE') onFailure(e);
  });
  return (text) => {
    if (closed || text === '') return;
    try {
      stream.write(text);
    } catch (e) {
      // Synchronous writes (files, and pipes on Linux) may throw instead of emitting 'error'.
      stream.emit('error', e);
    }
  };
}

export function processIo(): Io {
  let failed = false;
  const err = guarded(process.stderr, () => {
    failed = true;
  });
  const out = guarded(process.stdout, (e) => {
    failed = true;
    err(`replsim: cannot write the output: ${e.code ?? e.message}\n`);
  });
  return {
    out,
    err,
    stdoutIsTTY: process.stdout.isTTY === true,
    progressStream: process.stderr.isTTY ? process.stderr : null,
    columns: process.stdout.columns || 100,
    env: process.env,
    writeFailed: () => failed,
  };
}

/** Colour: asked for with --color / --no-color; else only on a terminal, and never with NO_COLOR (no-color.org). */
export function useColor(flag: boolean | undefined, isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  return isTty && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

/** The text report's width: the terminal's (within 60..160), else 100. */
export function reportWidth(io: Io): number {
  return io.stdoutIsTTY && io.columns ? Math.min(Math.max(io.columns, 60), 160) : 100;
}
