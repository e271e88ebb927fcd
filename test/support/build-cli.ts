/** vitest globalSetup: the CLI tests run bin/replsim.mjs, which runs dist/cli: build it from the current sources. */
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { stdio: 'inherit', env: { ...process.env, REPLSIM_BUILD_QUIET: '1' } });
}
