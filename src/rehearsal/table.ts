/**
 * A plain-text table whose cells wrap inside their column, so the whole table fits a width (compare's
 * side-by-side view, lint's findings). Widths count UTF-8 bytes as the report's wrap does.
 */
import { textWidth, wrap } from '../report/wrap.ts';

export interface Column {
  readonly head: string;
  /** The narrowest the column may become (default: the longest word of its heading and cells, at least 8 and at most 30). */
  readonly min?: number;
}

const GAP = '  ';

/** Column widths: the natural ones if they fit, else the widest narrowed first, never below their minimum. */
function widths(columns: readonly Column[], rows: readonly (readonly string[])[], width: number): number[] {
  const natural = columns.map((c, i) => Math.max(textWidth(c.head), ...rows.map((r) => Math.max(...(r[i] ?? '').split('\n').map(textWidth)))));
  // A column is not narrowed below its longest word (up to 30): a verdict or a time is never cut in two.
  const longestWord = (i: number) => Math.min(30, Math.max(0, ...rows.flatMap((r) => (r[i] ?? '').split(/[\s]+/).map(textWidth))));
  const mins = columns.map((c, i) => Math.min(natural[i]!, Math.max(8, c.min ?? 0, longestWord(i), ...c.head.split(' ').map(textWidth))));
  const w = [...natural];
  const room = width - GAP.length * (columns.length - 1);
  let total = w.reduce((a, b) => a + b, 0);
  // Narrow to the words' minimums first; if the table still does not fit, on to 8 columns (wrap then cuts a
  // long word, a file name): the width is never exceeded for the sake of a word.
  for (const floor of [mins, columns.map((_, i) => Math.min(natural[i]!, 8))]) {
    while (total > room) {
      let k = -1;
      for (let i = 0; i < w.length; i++) if (w[i]! > floor[i]! && (k < 0 || w[i]! > w[k]!)) k = i;
      if (k < 0) break;
      w[k]!--;
      total--;
    }
  }
  return w;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], width: number): string[] {
  const w = widths(columns, rows, width);
  if (w.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1) > width) return renderBlocks(columns, rows, width);
  const out: string[] = [];
  const emit = (cells: readonly string[]) => {
    const wrapped = cells.map((c, i) => (c === '' ? [''] : c.split('\n').flatMap((p) => wrap(p, w[i]!, '', ''))));
    const height = Math.max(...wrapped.map((l) => l.length));
    for (let k = 0; k < height; k++) {
      const line = wrapped.map((l, i) => {
        const s = l[k] ?? '';
        return i === wrapped.length - 1 ? s : s + ' '.repeat(Math.max(0, w[i]! - textWidth(s)));
      });
      out.push(line.join(GAP).trimEnd());
    }
  };
  emit(columns.map((c) => c.head));
  out.push(w.map((n) => '-'.repeat(n)).join(GAP));
  for (const r of rows) emit(r);
  return out;
}

/**
 * The rows as blocks, for a width no table of these columns fits (a narrow terminal): the first cell as a
 * heading, then one line per other column, "heading: cell", wrapped with a hanging indent.
 */
function renderBlocks(columns: readonly Column[], rows: readonly (readonly string[])[], width: number): string[] {
  const out: string[] = [];
  rows.forEach((r, k) => {
    if (k > 0) out.push('');
    out.push(...wrap((r[0] ?? '').replace(/\n/g, ' '), width, '', '  '));
    columns.slice(1).forEach((c, i) => {
      // A cell's lines joined as a sentence: "717,000 commits, 14:30 to 15:30".
      const cell = (r[i + 1] ?? '').split('\n').reduce((a, p) => (a === '' ? p : / to$/.test(a) ? `${a} ${p}` : `${a}, ${p}`), '');
      if (cell !== '') out.push(...wrap(`${c.head}: ${cell}`, width, '  ', '    '));
    });
  });
  return out;
}
