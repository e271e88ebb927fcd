/**
 * A long-lived process that runs the command line's own code (src/cli/main.ts `main`) on request, so a
 * fuzz can put thousands of documents through the exact path `replsim` takes without a process start for
 * each: one JSON request per stdin line ({id, argv}), one JSON answer per stdout line ({id, code, stdout,
 * stderr, cpuMs}). The parent kills and restarts it when an answer does not come in time (a hang).
 * Run with: node --import tsx test/support/cli-fuzz-child.ts
 */
import { createInterface } from 'node:readline';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/io.ts';

interface Request {
  readonly id: number;
  readonly argv: readonly string[];
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const req = JSON.parse(line) as Request;
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    stdoutIsTTY: false,
    progressStream: null,
    columns: 100,
    env: {},
    writeFailed: () => false,
  };
  const t0 = process.cpuUsage();
  let code: number;
  try {
    code = await main(req.argv, io);
  } catch (e) {
    // main() reports every error itself: anything thrown here is a bug the fuzz must see.
    code = -1;
    stderr += `THROWN: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  const d = process.cpuUsage(t0);
  process.stdout.write(`${JSON.stringify({ id: req.id, code, stdout, stderr, cpuMs: (d.user + d.system) / 1000 })}\n`);
}
