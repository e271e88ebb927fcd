/**
 * DRBD resource files (drbd.conf, drbd.d/*.res, global_common.conf) as drbdadm reads them (drbd.conf(5)):
 * sections `name [arg] { ... }` and options `name value...;`, `#` comments, "quoted" values, `include
 * "glob";`; a `common` section gives every resource its defaults. Numbers take the suffixes K, M, G (powers
 * of 1024) or s (512-byte sectors); without one each option has its own unit (drbd_limits.h *_SCALE):
 * sndbuf-size in bytes, resync-rate, c-max-rate and c-min-rate in KiB/s, c-fill-target and congestion-fill in
 * sectors, c-plan-ahead and timeout in tenths of a second.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Micros } from '../../../engine/time.ts';
import type { DrbdProtocol, OnCongestion } from '../../../scenario/types-block.ts';
import type { Where } from '../types.ts';
import { ConfigError } from './pgconf.ts';

export interface DrbdNode {
  readonly name: string;
  readonly args: readonly string[];
  /** Child statements of a section; null for an option. */
  readonly children: readonly DrbdNode[] | null;
  readonly where: Where;
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
  readonly where: Where;
}

function tokens(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let col = 1;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      col = 1;
      i++;
    } else if (/\s/.test(c)) {
      i++;
      col++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ text: c, quoted: false, where: { file, line, column: col } });
      i++;
      col++;
    } else if (c === '"') {
      const start = { file, line, column: col };
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        if (text[j] === '\n') throw new ConfigError(start, 'unterminated string');
        s += text[j];
        j++;
      }
      if (j >= text.length) throw new ConfigError(start, 'unterminated string');
      out.push({ text: s, quoted: true, where: start });
      col += j + 1 - i;
      i = j + 1;
    } else {
      const m = /^[^\s{};#"]+/.exec(text.slice(i))![0];
      out.push({ text: m, quoted: false, where: { file, line, column: col } });
      i += m.length;
      col += m.length;
    }
  }
  return out;
}

/** The statements of a file, includes read in place. */
export function readDrbdFile(file: string, depth = 0): DrbdNode[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError({ file, line: 1, column: 1 }, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const toks = tokens(text, file);
  let k = 0;
  const block = (end: Token | null): DrbdNode[] => {
    const out: DrbdNode[] = [];
    for (;;) {
      const t = toks[k];
      if (!t) {
        if (end) throw new ConfigError(end.where, 'this section is not closed (missing "}")');
        return out;
      }
      if (t.text === '}' && !t.quoted) {
        if (!end) throw new ConfigError(t.where, 'unexpected "}"');
        k++;
        return out;
      }
      if (!t.quoted && (t.text === '{' || t.text === ';')) throw new ConfigError(t.where, `unexpected "${t.text}"`);
      k++;
      const args: string[] = [];
      for (;;) {
        const a = toks[k];
        if (!a) throw new ConfigError(t.where, `"${t.text}" is not finished (missing ";")`);
        k++;
        if (!a.quoted && a.text === ';') {
          if (t.text === 'include' && depth < 10) out.push(...includes(file, args[0] ?? '', depth));
          else out.push({ name: t.text, args, children: null, where: t.where });
          break;
        }
        if (!a.quoted && a.text === '{') {
          out.push({ name: t.text, args, children: block(a), where: t.where });
          break;
        }
        args.push(a.text);
      }
    }
  };
  return block(null);
}

/** `include "drbd.d/*.res";`: files matching a glob with * in the last part, in name order. */
function includes(from: string, pattern: string, depth: number): DrbdNode[] {
  const full = isAbsolute(pattern) ? pattern : join(dirname(from), pattern);
  const dir = dirname(full);
  const re = new RegExp(`^${basename(full).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => re.test(n))
    .sort()
    .flatMap((n) => readDrbdFile(join(dir, n), depth + 1));
}

const SUFFIX: Record<string, number> = { k: 1024, K: 1024, m: 1024 ** 2, M: 1024 ** 2, g: 1024 ** 3, G: 1024 ** 3, s: 512 };

/** A number in bytes: its suffix, else the option's unit (`unit` bytes). */
export function drbdBytes(text: string, unit: number, where: Where): number {
  const m = /^(\d+)([kKmMgGs]?)$/.exec(text);
  if (!m) throw new ConfigError(where, `${JSON.stringify(text)} is not a number (with an optional K, M, G or s suffix)`);
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : unit);
}

export interface DrbdResourceConfig {
  readonly name: string;
  readonly where: Where;
  readonly protocol: DrbdProtocol;
  readonly protocolWhere: Where;
  readonly onCongestion: OnCongestion;
  /** Bytes; 0 = auto-tuning. */
  readonly sndbufSize: number;
  readonly sndbufWhere: Where;
  readonly rcvbufSize: number;
  /** Bytes/s. */
  readonly resyncRate: number;
  readonly resyncWhere: Where;
  /** 0: fixed-rate resync. */
  readonly cPlanAhead: Micros;
  readonly hosts: readonly string[];
  /** Flushes turned off: disk-flushes no, md-flushes no (8.3: no-disk-flushes, no-md-flushes). */
  readonly flushesOff: readonly { readonly option: 'disk-flushes' | 'md-flushes'; readonly where: Where }[];
}

/** The resources of a set of DRBD files, each with `common`'s options under its own. */
export function drbdResources(nodes: readonly DrbdNode[]): DrbdResourceConfig[] {
  const common = nodes.find((n) => n.name === 'common' && n.children)?.children ?? [];
  return nodes
    .filter((n) => n.name === 'resource' && n.children)
    .map((r) => {
      // Options in the order drbdadm applies them: common's, then the resource's (a later one wins).
      const opts = new Map<string, DrbdNode>();
      const collect = (list: readonly DrbdNode[]) => {
        for (const n of list) {
          if (n.children === null) opts.set(n.name, n);
          else if (['net', 'disk', 'syncer', 'options'].includes(n.name)) collect(n.children);
          else if (n.name === 'connection') collect(n.children.filter((c) => c.name === 'net'));
        }
      };
      collect(common);
      collect(r.children!);
      const opt = (name: string) => opts.get(name);
      const value = (name: string) => opt(name)?.args[0];
      const rate = opt('resync-rate') ?? opt('rate');
      const protocol = (value('protocol') ?? 'C').toUpperCase();
      if (protocol !== 'A' && protocol !== 'B' && protocol !== 'C') throw new ConfigError(opt('protocol')!.where, `protocol ${JSON.stringify(protocol)} is not A, B or C`);
      const onCongestion = value('on-congestion') ?? 'block';
      if (onCongestion !== 'block' && onCongestion !== 'pull-ahead' && onCongestion !== 'disconnect') throw new ConfigError(opt('on-congestion')!.where, `on-congestion ${JSON.stringify(onCongestion)} is not block, pull-ahead or disconnect`);
      const num = (name: string, unit: number, dflt: number) => {
        const o = opt(name);
        return o ? drbdBytes(o.args[0] ?? '', unit, o.where) : dflt;
      };
      return {
        name: r.args[0] ?? '',
        where: r.where,
        protocol,
        protocolWhere: opt('protocol')?.where ?? r.where,
        onCongestion,
        sndbufSize: num('sndbuf-size', 1, 0),
        sndbufWhere: opt('sndbuf-size')?.where ?? opt('protocol')?.where ?? r.where,
        rcvbufSize: num('rcvbuf-size', 1, 0),
        resyncRate: rate ? drbdBytes(rate.args[0] ?? '', 1024, rate.where) : 250 * 1024,
        resyncWhere: rate?.where ?? r.where,
        // c-plan-ahead in tenths of a second; default 20 (the dynamic controller, 8.4+); `rate` (8.3) is fixed.
        cPlanAhead: ((opt('c-plan-ahead') ? Number(value('c-plan-ahead')) : opt('rate') ? 0 : 20) * 100_000) as Micros,
        hosts: r.children!.filter((c) => c.name === 'on' && c.args[0]).map((c) => c.args[0]!),
        flushesOff: (['disk-flushes', 'md-flushes'] as const).flatMap((option) => {
          const o = value(option) === 'no' ? opt(option) : opt(`no-${option}`);
          return o ? [{ option, where: o.where }] : [];
        }),
      };
    });
}
