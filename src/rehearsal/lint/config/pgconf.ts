/**
 * postgresql.conf syntax as the server reads it (guc-file.l and ParseConfigFp in guc-file.c, the docs'
 * "Parameter Interaction via the Configuration File"): one `name = value` per line (the `=` may be left
 * out), `#` starts a comment, a value is a quoted string ('' or \' for a quote, backslash escapes) or one
 * unquoted word or number with its unit; names are case-insensitive; `include`, `include_if_exists` and
 * `include_dir` read other files (relative to the including file's directory; a directory's *.conf files in
 * name order, skipping names that start with a dot); the last setting of a name wins. recovery.conf (up to
 * 11) has the same syntax without includes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Where } from '../types.ts';

export interface ConfSetting {
  readonly name: string;
  /** The value as the server sees it: quotes removed, escapes applied. */
  readonly value: string;
  readonly where: Where;
}

/** A syntax error or a missing include: the position and what is wrong, as the server would refuse it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly where: Where,
    message: string,
  ) {
    super(message);
  }

  format(): string {
    return `${this.where.file}:${this.where.line}:${this.where.column}: ${this.message}`;
  }
}

const MAX_DEPTH = 10;

function unquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'" && body[i + 1] === "'") {
      out += "'";
      i++;
    } else if (c === '\\' && i + 1 < body.length) {
      const n = body[++i]!;
      const oct = /^[0-7]{1,3}/.exec(body.slice(i));
      if (oct) {
        out += String.fromCharCode(parseInt(oct[0], 8));
        i += oct[0].length - 1;
      } else out += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[n] ?? n;
    } else out += c;
  }
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_$.-]*/;
// An unquoted value: an identifier, a number (with a unit), or a path-like word (guc-file.l UNQUOTED_STRING).
const UNQUOTED = /^[^\s#'=]+/;

/** The settings of one file, in order (includes read in place). */
export function readConf(file: string, opts: { includes?: boolean; depth?: number; text?: string } = {}): ConfSetting[] {
  const depth = opts.depth ?? 0;
  let text = opts.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError({ file, line: 1, column: 1 }, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const out: ConfSetting[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    let rest = raw;
    let col = 1;
    const skip = () => {
      const m = /^\s*/.exec(rest)![0];
      col += m.length;
      rest = rest.slice(m.length);
    };
    skip();
    if (rest === '' || rest.startsWith('#')) return;
    const where = { file, line, column: col };
    const name = NAME.exec(rest)?.[0];
    if (!name) throw new ConfigError(where, `syntax error: expected a parameter name, found ${JSON.stringify(rest.slice(0, 20))}`);
    rest = rest.slice(name.length);
    col += name.length;
    skip();
    if (rest.startsWith('=')) {
      rest = rest.slice(1);
      col++;
      skip();
    }
    let value: string;
    if (rest.startsWith("'")) {
      const m = /^'((?:[^'\\\n]|\\.|'')*)'/.exec(rest);
      if (!m) throw new ConfigError({ file, line, column: col }, `syntax error: unterminated quoted string`);
      value = unquote(m[1]!);
      rest = rest.slice(m[0].length);
    } else {
      const m = UNQUOTED.exec(rest);
      if (!m) throw new ConfigError({ file, line, column: col }, `syntax error: expected a value for "${name}"`);
      value = m[0];
      rest = rest.slice(m[0].length);
    }
    const tail = rest.trim();
    if (tail !== '' && !tail.startsWith('#')) throw new ConfigError({ file, line, column: raw.length - rest.length + 1 + (rest.length - rest.trimStart().length) }, `syntax error near ${JSON.stringify(tail.slice(0, 20))}`);
    const lower = name.toLowerCase();
    if (opts.includes !== false && (lower === 'include' || lower === 'include_if_exists' || lower === 'include_dir')) {
      if (depth >= MAX_DEPTH) throw new ConfigError(where, `could not open configuration file "${value}": maximum nesting depth exceeded`);
      const target = isAbsolute(value) ? value : join(dirname(file), value);
      if (lower === 'include_dir') {
        if (!existsSync(target) || !statSync(target).isDirectory()) throw new ConfigError(where, `could not open configuration directory "${target}"`);
        for (const f of readdirSync(target).filter((n) => n.endsWith('.conf') && !n.startsWith('.')).sort()) out.push(...readConf(join(target, f), { depth: depth + 1 }));
      } else if (existsSync(target)) out.push(...readConf(target, { depth: depth + 1 }));
      else if (lower === 'include') throw new ConfigError(where, `could not open configuration file "${target}": No such file or directory`);
      return;
    }
    out.push({ name: lower, value, where });
  });
  return out;
}

/** The last setting of each name. */
export function lastWins(settings: readonly ConfSetting[]): Map<string, ConfSetting> {
  const m = new Map<string, ConfSetting>();
  for (const s of settings) m.set(s.name, s);
  return m;
}
