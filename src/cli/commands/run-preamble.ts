/**
 * What `replsim run` prints before the report: the variant's description (what the variant changes), and
 * the lint findings on the plan (what the static checks see before anything runs).
 */
import { printable } from '../../report/escape.ts';
import { wrap } from '../../report/wrap.ts';
import { variantBanner } from '../../rehearsal/variants.ts';

export function runPreamble(text: string, file: string, variant: string | null, width: number): string {
  const out: string[] = [];
  if (variant !== null) {
    const banner = variantBanner(text, file, variant);
    if (banner) out.push(...wrap(printable(banner), width, '', '  '));
  }
  return out.length ? `${out.join('\n')}\n\n` : '';
}
