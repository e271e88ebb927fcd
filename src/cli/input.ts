/** The scenario a command reads: a file or standard input, bounded, with a hint toward the shipped examples. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioError } from '../scenario/errors.ts';
import { readScenarioInput, STDIN_NAME } from '../scenario/read.ts';

/** The shipped scenarios: `scenarios/` at the package root (src/cli and dist/cli are two levels below it). */
export function examplesDir(): string {
  return fileURLToPath(new URL('../../scenarios/', import.meta.url));
}

export interface Input {
  /** How messages name it: the path, or <stdin>. */
  readonly name: string;
  readonly text: string;
}

export function readInput(path: string): Input {
  try {
    return { name: path === '-' ? STDIN_NAME : path, text: readScenarioInput(path) };
  } catch (e) {
    if (!(e instanceof ScenarioError) || path === '-' || existsSync(path)) throw e;
    const name = basename(path).replace(/(\.ya?ml)?$/, '.yaml');
    const shipped = `${examplesDir()}${name}`;
    if (!existsSync(shipped)) throw e;
    throw new ScenarioError(e.file, 1, 1, e.message, { hint: `a scenario of that name ships with replsim: ${shipped} (see replsim examples)` });
  }
}
