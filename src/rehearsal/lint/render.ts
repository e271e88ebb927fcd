/** Lint findings for people (file:line:column, severity, rule, message; the why and the source indented) and for machines. */
import { printable } from '../../report/escape.ts';
import { counted } from '../../report/format.ts';
import { wrap } from '../../report/wrap.ts';
import type { Finding } from './types.ts';

export function renderFindings(findings: readonly Finding[], width = 100, opts: { brief?: boolean } = {}): string {
  const out: string[] = [];
  for (const f of findings) {
    out.push(...wrap(printable(`${f.where.file}:${f.where.line}:${f.where.column}: ${f.severity} [${f.id}] ${f.message}`), width, '', '    '));
    if (opts.brief) continue;
    out.push(...wrap(printable(f.explanation), width, '    ', '    '));
    out.push(...wrap(printable(`source: ${f.source}`), width, '    ', '      '));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export function summaryLine(findings: readonly Finding[]): string {
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return findings.length === 0 ? 'lint: no findings' : `lint: ${counted(n('error'), 'error')}, ${counted(n('warning'), 'warning')}, ${counted(n('info'), 'note')}`;
}

export function findingsJson(findings: readonly Finding[]): string {
  const rows = findings.map((f) => ({ id: f.id, severity: f.severity, file: f.where.file, line: f.where.line, column: f.where.column, message: f.message, explanation: f.explanation, source: f.source }));
  return `${JSON.stringify({ findings: rows, errors: rows.filter((r) => r.severity === 'error').length, warnings: rows.filter((r) => r.severity === 'warning').length }, null, 2)}\n`;
}
