/** Raised when the simulated world reaches a state that must never exist: a bug in a model, never bad input. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** Assertions stay on in every run: a silent wrong answer is worse than a stopped simulation. */
export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantViolation(typeof message === 'function' ? message() : message);
}
