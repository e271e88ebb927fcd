/**
 * Checking a property over generated scenarios, with the shrunk counterexample printed as a scenario file
 * one can replay with `replsim run FILE`.
 *
 * Seeds follow fast-check's convention: a random seed unless one is given (in the options, or globally with
 * fc.configureGlobal({ seed })), printed with the failing case's path on failure; passing the two back
 * (`{ seed, path }`) replays the shrunk counterexample directly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Scenario } from '../scenario/types.ts';
import { scenarioToYaml } from './yaml.ts';

export interface ScenarioPropertyOptions {
  /** Generated cases (default 100). */
  readonly numRuns?: number;
  /** fast-check seed. Default: fast-check's global seed (fc.configureGlobal) if set, else a random one. */
  readonly seed?: number;
  /** With `seed`, the path a failure printed: replays its shrunk counterexample directly. */
  readonly path?: string;
  /** Where counterexample files go (default $REPLSIM_COUNTEREXAMPLES or <tmpdir>/replsim-counterexamples). */
  readonly counterexampleDir?: string;
}

/** What a passing check ran: its seed (to run the same cases again) and how many cases. */
export interface ScenarioPropertyRun {
  readonly seed: number;
  readonly numRuns: number;
}

/**
 * Thrown by a check to name the scenario that shows the failure when it is not the generated one (a check
 * that derives a second scenario from the first, say with a promotion chosen from the first run).
 */
export class ScenarioCounterexample extends Error {
  override readonly name = 'ScenarioCounterexample';
  constructor(
    message: string,
    readonly scenario: Scenario,
  ) {
    super(message);
  }
}

/**
 * Thrown when a property fails: the message holds the counterexample's YAML, the file it was written to,
 * and the seed and path that replay it.
 */
export class ScenarioPropertyFailure extends Error {
  override readonly name = 'ScenarioPropertyFailure';
  constructor(
    message: string,
    readonly scenario: Scenario,
    readonly yaml: string,
    readonly file: string | null,
    readonly seed: number,
    readonly path: string | null,
  ) {
    super(message);
  }
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'property';
}

/** A seed as fast-check draws its own when none is given. */
function randomSeed(): number {
  return (Date.now() ^ (Math.random() * 0x100000000)) | 0;
}

/**
 * Writes `yaml` to a file of its own in `dir` (test files running in parallel never share one): the
 * property's name, the seed, the process and a counter.
 */
function writeCounterexample(dir: string, name: string, seed: number, yaml: string): string {
  mkdirSync(dir, { recursive: true });
  for (let n = 1; ; n++) {
    const file = join(dir, `${slug(name)}.seed${seed}.pid${process.pid}${n > 1 ? `.${n}` : ''}.yaml`);
    try {
      writeFileSync(file, yaml, { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e;
    }
  }
}

/**
 * Checks `check` over scenarios from `arb`. The check fails by returning false or throwing. On failure,
 * fast-check shrinks the scenario; the smallest failing one is written as YAML and a ScenarioPropertyFailure
 * is thrown whose message shows the file, the command to replay it, the seed and path, and the reason.
 */
export function assertScenarioProperty(name: string, arb: fc.Arbitrary<Scenario>, check: (s: Scenario) => boolean | void, opts: ScenarioPropertyOptions = {}): ScenarioPropertyRun {
  const seed = opts.seed ?? fc.readConfigureGlobal().seed ?? randomSeed();
  const numRuns = opts.numRuns ?? 100;
  const details = fc.check(
    fc.property(arb, (s) => check(s) !== false),
    // With a path, fast-check starts at that case; endOnFailure stops there instead of shrinking again.
    { numRuns, seed, ...(opts.path !== undefined ? { path: opts.path, endOnFailure: true } : {}) },
  );
  if (!details.failed) return { seed, numRuns };
  const generated = details.counterexample?.[0];
  const err = details.errorInstance;
  const scenario = err instanceof ScenarioCounterexample ? err.scenario : generated;
  const reason = err instanceof Error ? err.message : err === undefined || err === null ? 'the check returned false' : String(err);
  const path = details.counterexamplePath;
  const replayOptions = `{ seed: ${seed}${path ? `, path: ${JSON.stringify(path)}` : ''} }`;
  if (!scenario) throw new Error(`property "${name}" failed without a counterexample (seed ${seed}): ${reason}`);
  const why = reason.split('\n').map((l) => `   ${l}`).join('\n');
  let yaml: string;
  try {
    yaml = scenarioToYaml({ ...scenario, name: slug(name) }, { comment: ` property "${name}" failed (fast-check seed ${seed}, path ${path ?? 'none'}, after ${details.numShrinks} shrinks):\n${why}` });
  } catch (e) {
    yaml = `# the counterexample cannot be printed as YAML: ${e instanceof Error ? e.message : String(e)}\n${JSON.stringify(scenario, null, 2)}`;
  }
  let file: string | null = null;
  try {
    file = writeCounterexample(opts.counterexampleDir ?? process.env.REPLSIM_COUNTEREXAMPLES ?? join(tmpdir(), 'replsim-counterexamples'), name, seed, yaml);
  } catch {
    file = null;
  }
  const replay = file ? `replay it with: replsim run ${file}\n` : '';
  throw new ScenarioPropertyFailure(
    `property "${name}" failed (seed ${seed}, path ${JSON.stringify(path)}, ${details.numRuns} runs, ${details.numShrinks} shrinks): ${reason}\n` +
      `${replay}check this case again: assertScenarioProperty(name, arb, check, ${replayOptions}); the same cases: { seed: ${seed} }\n` +
      `--- counterexample ---\n${yaml}`,
    scenario,
    yaml,
    file,
    seed,
    path,
  );
}
