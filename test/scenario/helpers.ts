import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { loadScenarioText, type LoadOptions } from '../../src/scenario/load.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const MACKEREL = readFileSync(fixture('mackerel-2017.yaml'), 'utf8');

/** The sample with `from` replaced by `to` (which must occur exactly once). */
export function mackerelWith(from: string, to: string): string {
  const i = MACKEREL.indexOf(from);
  if (i < 0 || MACKEREL.indexOf(from, i + 1) >= 0) throw new Error(`"${from}" must occur once in the sample`);
  return MACKEREL.slice(0, i) + to + MACKEREL.slice(i + from.length);
}

/** The ScenarioError loading `text` throws (fails the test if it loads). */
export function errorOf(text: string, opts: LoadOptions = {}): ScenarioError {
  try {
    loadScenarioText(text, 'x.yaml', opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError, but the scenario loaded');
}

/** 1-based line and column of the first `needle` on line `line` of `text`. */
export function at(text: string, line: number, needle: string): { line: number; column: number } {
  const l = text.split('\n')[line - 1] ?? '';
  const c = l.indexOf(needle);
  if (c < 0) throw new Error(`"${needle}" not on line ${line}: ${l}`);
  return { line, column: c + 1 };
}

export function posOf(e: ScenarioError): { line: number; column: number } {
  return { line: e.line, column: e.column };
}
