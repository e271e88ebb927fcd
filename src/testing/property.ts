/**
 * Checking a property over generated scenarios, with the shrunk counterexample printed as a scenario file
 * one can replay with `replsim run FILE`.
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
  /** fast-check seed; fixed by default so that a failure reproduces. */
  readonly seed?: number;
  /** Where counterexample files go (default $REPLSIM_COUNTEREXAMPLES or <tmpdir>/replsim-counterexamples). */
  readonly counterexampleDir?: string;
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

/** Thrown when a property fails: the message holds the counterexample's YAML and the file it was written to. */
export class ScenarioPropertyFailure extends Error {
  override readonly name = 'ScenarioPropertyFailure';
  constructor(
    message: string,
    readonly scenario: Scenario,
    readonly yaml: string,
    readonly file: string | null,
  ) {
    super(message);
  }
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'property';
}

/**
 * Checks `check` over scenarios from `arb`. The check fails by returning false or throwing. On failure,
 * fast-check shrinks the scenario; the smallest failing one is written as YAML and a ScenarioPropertyFailure
 * is thrown whose message shows the file, the command to replay it and the reason.
 */
export function assertScenarioProperty(name: string, arb: fc.Arbitrary<Scenario>, check: (s: Scenario) => boolean | void, opts: ScenarioPropertyOptions = {}): void {
  const seed = opts.seed ?? 5;
  const details = fc.check(
    fc.property(arb, (s) => check(s) !== false),
    { numRuns: opts.numRuns ?? 100, seed },
  );
  if (!details.failed) return;
  const generated = details.counterexample?.[0];
  const err = details.errorInstance;
  const scenario = err instanceof ScenarioCounterexample ? err.scenario : generated;
  const reason = err instanceof Error ? err.message : err === undefined || err === null ? 'the check returned false' : String(err);
  if (!scenario) throw new Error(`property "${name}" failed without a counterexample (seed ${seed}): ${reason}`);
  const why = reason.split('\n').map((l) => `   ${l}`).join('\n');
  let yaml: string;
  try {
    yaml = scenarioToYaml({ ...scenario, name: slug(name) }, { comment: ` property "${name}" failed (fast-check seed ${seed}, after ${details.numShrinks} shrinks):\n${why}` });
  } catch (e) {
    yaml = `# the counterexample cannot be printed as YAML: ${e instanceof Error ? e.message : String(e)}\n${JSON.stringify(scenario, null, 2)}`;
  }
  let file: string | null = null;
  try {
    const dir = opts.counterexampleDir ?? process.env.REPLSIM_COUNTEREXAMPLES ?? join(tmpdir(), 'replsim-counterexamples');
    mkdirSync(dir, { recursive: true });
    file = join(dir, `${slug(name)}.yaml`);
    writeFileSync(file, yaml);
  } catch {
    file = null;
  }
  const replay = file ? `replay it with: replsim run ${file}\n` : '';
  throw new ScenarioPropertyFailure(
    `property "${name}" failed (seed ${seed}, ${details.numRuns} runs, ${details.numShrinks} shrinks): ${reason}\n${replay}--- counterexample ---\n${yaml}`,
    scenario,
    yaml,
    file,
  );
}
