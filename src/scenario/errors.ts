/**
 * The one error the scenario loader throws: a position in the file (or in a --set argument), what is
 * wrong, what was expected and, where a close match exists, a did-you-mean.
 */

export interface ScenarioErrorInit {
  readonly expected?: string;
  readonly hint?: string;
  /** Set when the offending value came from a command-line `--set PATH=VALUE`: that argument. */
  readonly setArg?: string;
}

export class ScenarioError extends Error {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly expected?: string;
  readonly hint?: string;
  readonly setArg?: string;
  /** The other errors found in the same file after this one (the loader reports up to MAX_ERRORS). */
  private others: readonly ScenarioError[] = [];
  /** More errors were found than are listed. */
  truncated = false;

  constructor(file: string, line: number, column: number, message: string, init: ScenarioErrorInit = {}) {
    super(message);
    this.name = 'ScenarioError';
    this.file = file;
    this.line = Math.max(1, Math.floor(line) || 1);
    this.column = Math.max(1, Math.floor(column) || 1);
    if (init.expected !== undefined) this.expected = init.expected;
    if (init.hint !== undefined) this.hint = init.hint;
    if (init.setArg !== undefined) this.setArg = init.setArg;
  }

  /** Every error found in the file, this one first. */
  get errors(): readonly ScenarioError[] {
    return [this, ...this.others];
  }

  /** This error with `others` found after it in the same file. */
  withOthers(others: readonly ScenarioError[], truncated: boolean): this {
    this.others = others;
    this.truncated = truncated;
    return this;
  }

  /**
   * One line: `file:line:column: message; hint` (or `(expected ...)` when there is no hint). Errors in a
   * command-line value read `file: --set PATH=VALUE: message`.
   */
  format(): string {
    const where = this.setArg !== undefined ? `${this.file}: --set ${this.setArg}` : `${this.file}:${this.line}:${this.column}`;
    let text = `${where}: ${this.message}`;
    if (this.hint) text += `; ${this.hint}`;
    else if (this.expected && !this.message.includes(this.expected)) text += ` (expected ${this.expected})`;
    return oneLine(text);
  }
}

/** `text` on one line, with every other control character shown as \uXXXX: safe to print on a terminal. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Optimal-string-alignment (restricted Damerau-Levenshtein) distance; gives up above `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/**
 * The candidate closest to `word` (case-insensitive match first, then edit distance up to about a third of
 * the word's length), or null when nothing is close.
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  if (word.length > 200) return null;
  const lower = word.toLowerCase();
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c.length > 200) continue;
    if (c.toLowerCase() === lower) return c;
    const limit = Math.max(1, Math.floor(Math.max(word.length, c.length) / 3));
    const d = editDistance(lower, c.toLowerCase(), limit);
    if (d <= limit && d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

/**
 * Words users write for a key that replsim spells otherwise (the other tools' names: pg_rewind's --source-server,
 * primary_conninfo, Patroni's `master`), tried when no candidate is close by spelling. The first that the
 * mapping allows is suggested.
 */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  source: ['from'], src: ['from'], origin: ['from'], donor: ['from'], source_server: ['from'], source_node: ['from'],
  destination: ['to'], dest: ['to'], target: ['to', 'node'], target_node: ['to', 'node'],
  when: ['at'], time: ['at'], start: ['at'], starts: ['at'], begin: ['at'],
  length: ['for', 'lasting', 'duration'], period: ['for', 'lasting', 'duration'], lasts: ['for', 'lasting'],
  stop: ['until'], end: ['until'], ends: ['until'],
  master: ['upstream', 'primary'], leader: ['upstream', 'primary'], standby_of: ['upstream'], follows: ['upstream'], replicates_from: ['upstream'], primary_conninfo: ['upstream'],
  server: ['node', 'host'], hostname: ['host', 'node'], machine: ['host'],
  primary_slot_name: ['slot'], slot_name: ['slot'],
  throughput: ['bandwidth', 'rate'], bw: ['bandwidth'], rtt: ['latency'], delay: ['latency'],
  db: ['database'], dbname: ['database'], datname: ['database'],
  parameters: ['settings'], params: ['settings'], config: ['settings'], configuration: ['settings'], gucs: ['settings'], options: ['settings'],
  steps: ['plan'], actions: ['plan'], schedule: ['plan'], failures: ['faults'], incidents: ['faults'],
  expectations: ['expect'], asserts: ['expect'], assertions: ['expect'], checks: ['expect'],
  tps: ['rate'], qps: ['rate'], frequency: ['rate'],
};

/** `did you mean "x"?` or undefined: a close spelling, else a synonym the mapping allows. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const c = closest(word, list);
  if (c !== null) return `did you mean "${c}"?`;
  const synonym = Object.hasOwn(SYNONYMS, word.toLowerCase()) ? SYNONYMS[word.toLowerCase()]!.find((s) => list.includes(s)) : undefined;
  return synonym === undefined ? undefined : `did you mean "${synonym}"? (replsim's name for it)`;
}

/** `a, b, c` (at most `max`, then `...`). */
export function listing(items: readonly string[], max = 12): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, ...`;
}

/** A value shown inside a message: quoted, cut to a readable length, on one line. */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  else if (value === null || value === undefined) s = 'null';
  else s = String(value);
  return oneLine(s);
}
