/** `replsim variants FILE`: the variants a scenario defines, with what each changes. */
import { printable } from '../report/escape.ts';
import { wrap } from '../report/wrap.ts';
import { listVariants } from '../scenario/load.ts';

export function renderVariants(text: string, file: string, width = 100): string {
  const vs = listVariants(text, file);
  if (vs.length === 0) return `${file}: no variants\n`;
  const col = Math.min(24, Math.max(...vs.map((v) => v.name.length)) + 2);
  const out = [`${file}: ${vs.length} variant${vs.length === 1 ? '' : 's'}`];
  for (const v of vs) {
    const desc = printable(v.description.trim().replace(/\s+/g, ' ')) || '(no description)';
    const indent = ' '.repeat(col + 4);
    const head = `  ${v.name}`;
    if (head.length + 2 > indent.length) {
      out.push(head);
      out.push(...wrap(desc, width, indent));
    } else out.push(...wrap(desc, width, head.padEnd(indent.length), indent));
  }
  return `${out.join('\n')}\n`;
}

export function variantsJson(text: string, file: string): string {
  return `${JSON.stringify({ file, variants: listVariants(text, file) }, null, 2)}\n`;
}

/** The line `run --variant` prints first: which variant, and what it changes. */
export function variantBanner(text: string, file: string, variant: string): string | null {
  const v = listVariants(text, file).find((x) => x.name === variant);
  if (!v) return null;
  const desc = v.description.trim().replace(/\s+/g, ' ');
  return printable(`variant ${v.name}${desc ? `: ${desc}` : ''}`);
}
