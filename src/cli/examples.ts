/** `replsim examples`: the scenarios shipped with the package, where they are and what each shows. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listVariants, loadScenarioText } from '../scenario/load.ts';
import { readScenarioInput } from '../scenario/read.ts';
import type { OptionValue } from './args.ts';
import { examplesDir } from './input.ts';
import { reportWidth, type Io } from './io.ts';
import { printable } from '../report/escape.ts';
import { wrap } from '../report/wrap.ts';

export function examplesCommand(options: ReadonlyMap<string, OptionValue>, io: Io): number {
  const dir = examplesDir();
  if (options.get('dir') === true) {
    io.out(`${dir}\n`);
    return 0;
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const width = reportWidth(io);
  const lines = [`The scenarios shipped with replsim (${dir}):`, ''];
  for (const f of files) {
    const path = join(dir, f);
    const text = readScenarioInput(path);
    const s = loadScenarioText(text, path);
    const variants = listVariants(text, path).map((v) => v.name);
    const summary = s.description.replace(/\s+/g, ' ').trim();
    // Within the report's width, as every listing (docs/report.md): wrapped with a hanging indent.
    lines.push(`  ${f}`, ...wrap(printable(summary.length > 200 ? `${summary.slice(0, summary.lastIndexOf(' ', 197))} ...` : summary), width, '      '));
    if (variants.length) lines.push(...wrap(printable(`variants: ${variants.join(', ')}`), width, '      ', '        '));
  }
  lines.push('', `Run one: replsim run ${join(dir, files[0] ?? 'FILE.yaml')}`, `Copy one to start your own: cp ${join(dir, files[0] ?? 'FILE.yaml')} my-plan.yaml`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
