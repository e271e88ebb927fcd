#!/usr/bin/env node
// The replsim command: the bundled command line in dist/ (built by `npm run build`, and by npm's prepare
// step on `npm ci` or `npm pack`).
try {
  await import('../dist/cli/replsim.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('replsim.js')) throw e;
  process.stderr.write('replsim: the command line is not built (dist/cli/replsim.js is missing): run "npm run build" in the replsim checkout\n');
  process.exitCode = 3;
}
