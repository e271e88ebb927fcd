/**
 * Generated scenarios print as the YAML file they stand for wherever fast-check reports a counterexample
 * (a plain fc.assert, @fast-check/vitest, Jest): fast-check's stringify calls a value's [fc.toStringMethod].
 * The method is a non-enumerable property, so equality, JSON and spreads do not see it.
 */
import fc from 'fast-check';
import type { Scenario } from '../scenario/types.ts';
import { scenarioToYaml } from './yaml.ts';

function print(this: Scenario): string {
  try {
    return `\n${scenarioToYaml(this)}`;
  } catch (e) {
    return `<a scenario that cannot be printed as YAML: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

/** `s`, printing as its YAML in fast-check's reports. */
export function printable<S extends Scenario>(s: S): S {
  if (Object.isFrozen(s) || Object.hasOwn(s, fc.toStringMethod)) return s;
  Object.defineProperty(s, fc.toStringMethod, { value: print, enumerable: false, configurable: true, writable: true });
  return s;
}
