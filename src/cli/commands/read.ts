/** A rehearsal command's scenario text: read as `run` reads it (bounded; `-` is standard input). */
import { readScenarioInput } from '../../scenario/read.ts';

export function readScenario(file: string): string {
  return readScenarioInput(file);
}
