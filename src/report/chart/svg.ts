/** Small SVG helpers shared by the chart's parts: coordinates, text, escaping. Deterministic output only. */
import { escapeXml } from '../escape.ts';

export const FONT = 'DejaVu Sans, Verdana, Helvetica, Arial, sans-serif';
/** Width of one character as a fraction of the font size: a generous estimate for sans-serif fonts. */
export const CHAR_WIDTH = 0.6;
export const INK = '#222';
export const MUTED = '#666';
export const GRID = '#e6e6e6';
export const OUTAGE = '#d62728';
export const STALL = '#ff7f0e';
export const LOST = '#c51b7d';
/** The transaction-ID story's colours (the XID panel, its markers and the legend). */
export const STOP = '#b2182b';
export const WARN = '#d97700';
export const FREEZE = '#555';
export const HOLD = '#756bb1';
export const VACUUM = '#31a354';
export const BLOCKED = '#969696';
export const ALERT = '#7b3294';
/** Bands narrower than this (a 2 s outage on a day's axis) are widened to it, so they stay visible. */
export const MIN_BAND_PX = 3;

export const esc = escapeXml;

/** A coordinate rounded to 0.1 px, without "-0". */
export function f(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}

export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * CHAR_WIDTH;
}

export function clip(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, Math.max(0, n - 1)).join('')}…`;
}

/** A white outline behind text so that it stays readable over lines and bands. */
export function halo(text: string): string {
  return text.replace('<text ', '<text stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke" ');
}

/** Left and width of a band from a to b (px), at least MIN_BAND_PX wide. */
export function band(a: number, b: number): { x: number; w: number } {
  const w = Math.max(b - a, MIN_BAND_PX);
  return { x: b - a >= MIN_BAND_PX ? a : (a + b) / 2 - w / 2, w };
}

/**
 * Greedy lanes for labelled intervals: each item goes to the first lane whose last item ends (with `gap`) before
 * it starts. Returns the lane of each item, in the items' order (sorted by start inside).
 */
export function lanes(items: readonly { readonly left: number; readonly right: number }[], gap: number): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.left - items[b]!.left || a - b);
  const ends: number[] = [];
  const lane = new Array<number>(items.length);
  for (const i of order) {
    const it = items[i]!;
    let k = ends.findIndex((e) => e + gap <= it.left);
    if (k < 0) k = ends.push(it.right) - 1;
    else ends[k] = it.right;
    lane[i] = k;
  }
  return lane;
}
