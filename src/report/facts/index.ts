/** Renderers of facts (history/facts): text, HTML and JSON. */
export { factText } from './text.ts';
export { factHtml } from './html.ts';
export { factJson, factFromJson, type FactJson } from './json.ts';
