/**
 * Folding text to a terminal's width with a hanging indent. Widths are counted in UTF-8 bytes, which is never
 * less than the columns a string takes (an arrow is one column and three bytes; a CJK character two and
 * three), so a line that fits by this measure fits any terminal of that width and passes `awk 'length > N'`
 * in any locale.
 */

const encoder = new TextEncoder();

/** The width measure: UTF-8 bytes (>= display columns). */
export function textWidth(s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encoder.encode(s).length;
}

/** The longest prefix of `s` (whole code points) whose width is at most `max`, at least one code point. */
function prefixFitting(s: string, max: number): number {
  let w = 0;
  let i = 0;
  for (const ch of s) {
    const cw = textWidth(ch);
    if (w + cw > max && i > 0) break;
    w += cw;
    i += ch.length;
  }
  return i;
}

/**
 * `text` folded to `width`: the first line starts with `first`, every further line with `rest` (the hanging
 * indent). Breaks at a space where one fits (the space is dropped), else inside a word (a long path, a log
 * line's token). Newlines in `text` start a new line with `rest`.
 */
/** The units format.ts writes after a number: a line never ends between "5" and "s" or "40" and "MB/s". */
const UNIT = /^(?:µs|ms|s|min|h|d|B|kB|KiB|MB|MiB|GB|GiB|TB|TiB|kbit|Mbit|Gbit)(?:\/s)?(?![\w/])/;

/** Whether the space at `i` sits between a number and its unit. */
function bindsNumberToUnit(s: string, i: number): boolean {
  return /\d$/.test(s.slice(0, i)) && UNIT.test(s.slice(i + 1));
}

export function wrap(text: string, width: number, first: string, rest: string = ' '.repeat(textWidth(first))): string[] {
  const out: string[] = [];
  text.split('\n').forEach((paragraph, k) => {
    let prefix = k === 0 ? first : rest;
    let s = paragraph;
    for (;;) {
      const room = Math.max(8, width - textWidth(prefix));
      if (textWidth(s) <= room) {
        out.push(`${prefix}${s}`.trimEnd());
        break;
      }
      const fit = prefixFitting(s, room);
      // The last space within the room, or right after it (the line then ends just before it); a space
      // near the start would leave a stub of a line: a long token is cut instead.
      let cut = s.lastIndexOf(' ', fit);
      while (cut > 0 && bindsNumberToUnit(s, cut)) cut = s.lastIndexOf(' ', cut - 1);
      const lineEnd = cut > Math.min(room / 3, 20) ? cut : fit;
      out.push(`${prefix}${s.slice(0, lineEnd)}`.trimEnd());
      s = s.slice(lineEnd).replace(/^ /, '');
      prefix = rest;
      if (s === '') break;
    }
  });
  return out;
}
