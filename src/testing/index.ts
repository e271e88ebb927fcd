/** Property-based testing of replsim scenarios: arbitraries, a property runner, YAML counterexamples. */
export * from './arbitraries.ts';
export * from './property.ts';
export { printable } from './printable.ts';
export { scenarioToYaml, printTime, printBandwidth, printSynchronousStandbyNames, canonicalActions } from './yaml.ts';
