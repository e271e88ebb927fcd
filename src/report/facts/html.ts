/**
 * Facts as HTML: the text prose with markup, every value escaped. A node's name is marked (class "node"),
 * LSNs, settings and file names are code; a fact's `rule` follows in brackets (span.rule).
 */
import type { Fact } from '../../history/facts/index.ts';
import { formatLsn } from '../../models/postgres/lsn.ts';
import { escapeXml as esc } from '../escape.ts';
import { isList, type Token } from './parts.ts';
import { tokens } from './templates.ts';

export function factHtml(f: Fact): string {
  return html(tokens(f)) + ruleHtml(f);
}

/** The real system's source a fact's behaviour follows (its `rule` field), after the prose; nothing without one. */
function ruleHtml(f: Fact): string {
  const rule = (f as { readonly rule?: unknown }).rule;
  return typeof rule === 'string' ? ` <span class="rule" title="the real system's source this behaviour follows">(${esc(rule)})</span>` : '';
}

function html(t: Token): string {
  if (typeof t === 'string') return esc(t);
  if (typeof t === 'number') return String(t);
  if (isList(t)) return t.map(html).join('');
  if ('node' in t) return `<span class="node">${esc(t.node)}</span>`;
  if ('lsn' in t) return `<code class="lsn">${esc(formatLsn(t.lsn))}</code>`;
  return `<code>${esc(t.code)}</code>`;
}
