/**
 * Facts as HTML: the text prose with markup, every value escaped. A node's name is marked (class "node"),
 * LSNs, settings and file names are code; the rule of the real system a fact follows (its `rule`, file.c:function)
 * follows the prose in a small mark (span.rule) whose title says what it is.
 */
import { ruleOf, type Fact } from '../../history/facts/index.ts';
import { formatLsn } from '../../models/postgres/lsn.ts';
import { escapeXml as esc } from '../escape.ts';
import { isList, type Token } from './parts.ts';
import { tokens } from './templates.ts';
import { SECONDS, type TimeFormat } from './text.ts';

export function factHtml(f: Fact, time: TimeFormat = SECONDS): string {
  const r = ruleOf(f);
  const rule = r !== null ? ` <span class="rule" title="${esc(`the model follows ${r} in the real source`)}">${esc(r)}</span>` : '';
  return html(tokens(f), time) + rule;
}

function html(t: Token, time: TimeFormat): string {
  if (typeof t === 'string') return esc(t);
  if (typeof t === 'number') return String(t);
  if (isList(t)) return t.map((x) => html(x, time)).join('');
  if ('node' in t) return `<span class="node">${esc(t.node)}</span>`;
  if ('lsn' in t) return `<code class="lsn">${esc(formatLsn(t.lsn))}</code>`;
  if ('time' in t) return `<span class="t">${esc(time(t.time))}</span>`;
  return `<code>${esc(t.code)}</code>`;
}
