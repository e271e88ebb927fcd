/**
 * What `replsim run` prints before the report: the variant's description (what the variant changes), and
 * the lint findings on the plan (what the static checks see before anything runs).
 */
import { printable } from '../../report/escape.ts';
import { wrap } from '../../report/wrap.ts';
import { variantBanner } from '../../rehearsal/variants.ts';
import { lintScenarioText } from '../../rehearsal/lint/index.ts';
import { renderFindings } from '../../rehearsal/lint/render.ts';

export function runPreamble(text: string, file: string, variant: string | null, sets: readonly string[], width: number): string {
  const out: string[] = [];
  if (variant !== null) {
    const banner = variantBanner(text, file, variant);
    if (banner) out.push(...wrap(printable(banner), width, '', '  '));
  }
  // The plan's lint findings (errors and warnings), one line each: `replsim lint` gives the reasons.
  const findings = lintScenarioText(text, file, { variant, sets }).filter((f) => f.severity !== 'info');
  if (findings.length > 0) {
    if (out.length) out.push('');
    out.push(...wrap(`Lint (before the run; replsim lint ${file} for the reasons):`, width, ''));
    out.push(...renderFindings(findings, width - 2, { brief: true }).trimEnd().split('\n').map((l) => `  ${l}`));
  }
  return out.length ? `${out.join('\n')}\n\n` : '';
}
