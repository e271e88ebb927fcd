/** Reading the files a command names: a scenario file's text, or a ScenarioError naming the file (exit 2). */
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../../scenario/errors.ts';
import { MAX_SCENARIO_BYTES } from '../../scenario/load.ts';

export function readScenario(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(file, 1, 1, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (text.length > MAX_SCENARIO_BYTES) throw new ScenarioError(file, 1, 1, `the file is too large (${text.length} characters, at most ${MAX_SCENARIO_BYTES})`);
  return text;
}
