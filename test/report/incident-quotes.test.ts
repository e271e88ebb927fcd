/**
 * The incident pages (docs/incidents/*.md) quote the text report: every line of their plain code blocks must
 * read as the report of the shipped scenario (or one of its variants) reads now, so a change to the
 * wording or the numbers (format.ts) cannot leave a page teaching an old report. Compared with spaces
 * folded, since a quote may wrap where the report did not; "…" marks lines the page leaves out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/report/text.ts';
import { runScenario, SELF_CHECK_ENV } from '../../src/run.ts';
import { listVariants, loadScenarioFile } from '../../src/scenario/load.ts';

delete process.env[SELF_CHECK_ENV];

const PAGES = ['mackerel-2017', 'cybozu-drbd-migration', 'go-xid-wraparound'] as const;

/** The lines of the page's code blocks without a language (the quoted reports; `sh` blocks are commands). */
function quotedLines(md: string): string[] {
  const out: string[] = [];
  let lang: string | null = null;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      lang = lang === null ? line.slice(3).trim() : null;
      continue;
    }
    if (lang === '' && line.trim() !== '' && line.trim() !== '…') out.push(line);
  }
  return out;
}

const fold = (s: string) => s.replace(/\s+/g, ' ').trim();

describe.each(PAGES)('docs/incidents/%s.md', (name) => {
  it('quotes the report as it reads now', () => {
    const path = `scenarios/${name}.yaml`;
    const variants = [null, ...listVariants(readFileSync(path, 'utf8'), path).map((v) => v.name)];
    const reports = fold(variants.map((variant) => renderText(runScenario(loadScenarioFile(path, { variant })).report, { width: 100 })).join('\n'));
    const quoted = quotedLines(readFileSync(`docs/incidents/${name}.md`, 'utf8'));
    expect(quoted.length).toBeGreaterThan(0);
    expect(quoted.filter((l) => !reports.includes(fold(l)))).toEqual([]);
  });
});
