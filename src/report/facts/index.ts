/** Renderers of facts (history/facts): text, HTML and JSON. */
export { factText, tokenText } from './text.ts';
export { factHtml } from './html.ts';
export { factJson, factFromJson, type FactJson } from './json.ts';
