/** `replsim validate FILE`: load the scenario and every variant of it; say what it holds, or every error. */
import { ScenarioError } from '../scenario/errors.ts';
import { listVariants, loadScenarioText } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import type { OptionValue } from './args.ts';
import { readInput } from './input.ts';
import { reportWidth, type Io } from './io.ts';
import { formatScenarioErrors } from './report-error.ts';
import { printable } from '../report/escape.ts';
import { wrap } from '../report/wrap.ts';

export interface ValidationJson {
  readonly file: string;
  readonly valid: boolean;
  /** Present when valid. */
  readonly scenario?: { readonly name: string; readonly contents: Partial<Record<string, number>> };
  readonly variants?: readonly { readonly name: string; readonly description: string }[];
  /** Present when not valid: every error found (the base document's, else each failing variant's). */
  readonly errors?: readonly ErrorJson[];
  readonly moreErrors?: boolean;
}

export interface ErrorJson {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly expected?: string;
  readonly hint?: string;
  /** The --set argument the error is in. */
  readonly set?: string;
  /** The variant being checked when the error was found. */
  readonly variant?: string;
  /** The whole error as the text output prints it. */
  readonly text: string;
}

const NOUNS = {
  clusters: ['cluster', 'clusters'],
  nodes: ['node', 'nodes'],
  hosts: ['host', 'hosts'],
  disks: ['disk', 'disks'],
  blockDevices: ['replicated block device', 'replicated block devices'],
  actions: ['timed action', 'timed actions'],
  expectations: ['expectation', 'expectations'],
  alerts: ['alert', 'alerts'],
} as const;

/** What the scenario holds, counted: only what it has (a block-only scenario has no "0 nodes"). */
export function contents(s: Scenario): Partial<Record<keyof typeof NOUNS, number>> {
  const counts: Record<keyof typeof NOUNS, number> = {
    clusters: s.clusters.length,
    nodes: s.clusters.reduce((a, x) => a + x.nodes.length, 0),
    hosts: s.block?.hosts.length ?? 0,
    disks: s.block?.disks.length ?? 0,
    blockDevices: s.block?.resources.length ?? 0,
    actions: s.actions.length,
    expectations: s.expectations.length,
    alerts: s.alerts.length,
  };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

function describe(c: Partial<Record<keyof typeof NOUNS, number>>): string {
  const parts = (Object.keys(NOUNS) as (keyof typeof NOUNS)[]).flatMap((k) => (c[k] ? [`${c[k]} ${NOUNS[k][c[k] === 1 ? 0 : 1]}`] : []));
  return parts.length ? parts.join(', ') : 'nothing to simulate';
}

function errorJson(e: ScenarioError, variant: string | null): ErrorJson {
  return {
    file: e.file,
    line: e.line,
    column: e.column,
    message: e.message,
    ...(e.expected !== undefined ? { expected: e.expected } : {}),
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(e.setArg !== undefined ? { set: e.setArg } : {}),
    ...(variant !== null ? { variant } : {}),
    text: e.format(),
  };
}

/**
 * The errors found with a variant applied: a line that does not already name the variant (`variant "x": ...`
 * at its own lines, `(with variant "x")` elsewhere) is prefixed with `[variant x]`; no prefix on the empty
 * tail after the last line break.
 */
export function inVariant(text: string, variant: string): string {
  const named = `variant ${JSON.stringify(variant)}`;
  return text.replace(/^.+$/gm, (line) => (line.includes(named) ? line : `[variant ${variant}] ${line}`));
}

export function validateCommand(file: string, options: ReadonlyMap<string, OptionValue>, io: Io): number {
  const json = options.get('json') === true;
  const sets = (options.get('set') as readonly string[] | undefined) ?? [];
  const fail = (errors: readonly { e: ScenarioError; variant: string | null }[]): number => {
    if (json) {
      const all = errors.flatMap(({ e, variant }) => e.errors.map((x) => errorJson(x, variant)));
      const out: ValidationJson = { file: errors[0]!.e.file, valid: false, errors: all, ...(errors.some(({ e }) => e.truncated) ? { moreErrors: true } : {}) };
      io.out(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      for (const { e, variant } of errors) io.err(variant === null ? formatScenarioErrors(e) : inVariant(formatScenarioErrors(e), variant));
    }
    return 2;
  };
  let input;
  let base: Scenario;
  try {
    input = readInput(file);
    base = loadScenarioText(input.text, input.name, { sets });
  } catch (e) {
    if (e instanceof ScenarioError) return fail([{ e, variant: null }]);
    throw e;
  }
  const variants = listVariants(input.text, input.name);
  const failures: { e: ScenarioError; variant: string }[] = [];
  for (const v of variants) {
    try {
      loadScenarioText(input.text, input.name, { variant: v.name, sets });
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      failures.push({ e, variant: v.name });
    }
  }
  if (failures.length) return fail(failures);
  const c = contents(base);
  if (json) {
    const out: ValidationJson = { file: input.name, valid: true, scenario: { name: base.name, contents: c }, variants };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const line = `${input.name}: valid. Scenario ${JSON.stringify(base.name)}: ${describe(c)}` + (variants.length ? `; variants: ${variants.map((v) => v.name).join(', ')} (all valid)` : '') + '.';
  io.out(`${wrap(printable(line), reportWidth(io), '', '  ').join('\n')}\n`);
  return 0;
}
