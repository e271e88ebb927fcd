/**
 * The `replsim` executable's entry (bundled into dist/cli/replsim.js by scripts/build.mjs; bin/replsim.mjs
 * imports it). The exit code is set, not forced, so that pending output is flushed.
 */
import { processIo } from './io.ts';
import { main } from './main.ts';

const io = processIo();
process.on('exit', () => {
  if (io.writeFailed() && (process.exitCode === 0 || process.exitCode === 1 || process.exitCode === undefined)) process.exitCode = 2;
});
process.exitCode = await main(process.argv.slice(2), io);
