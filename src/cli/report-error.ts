/** What the command line prints for each kind of failure, and the exit code it gives. */
import { ScenarioError } from '../scenario/errors.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

/** At most this many errors of one file are printed (each on its own line). */
export const MAX_PRINTED_ERRORS = 20;

/** Prints what went wrong and returns the exit code. */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof ScenarioError) {
    io.err(formatScenarioErrors(e));
    return 2;
  }
  if (e instanceof UsageError) {
    io.err(`replsim: ${e.message}\nTry "replsim ${e.command ? `${e.command} ` : ''}--help".\n`);
    return 2;
  }
  if (e instanceof Error && e.name === 'SimulationLimitError') {
    io.err(`replsim: run stopped: ${e.message}\n`);
    return 3;
  }
  if (e instanceof Error && e.name === 'InvariantViolation') {
    io.err(`replsim: internal error (a model invariant was violated; please report it with the scenario and seed): ${e.message}\n`);
    return 3;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`replsim: internal error (please report it with the scenario): ${msg}\n`);
  return 3;
}

/** Every error of the file, one located line each (at most MAX_PRINTED_ERRORS, then how many more). */
export function formatScenarioErrors(e: ScenarioError): string {
  const all = e.errors;
  const shown = all.slice(0, MAX_PRINTED_ERRORS).map((x) => `${x.format()}\n`);
  const more = all.length - shown.length + (e.truncated ? 1 : 0);
  if (more > 0) shown.push(`${e.file}: ${e.truncated ? 'more errors' : `${more} more error(s)`} not shown (fix these first)\n`);
  return shown.join('');
}
