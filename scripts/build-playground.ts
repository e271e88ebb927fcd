/**
 * npm run playground: bundles docs/playground/src/main.ts (the engine, the scenario loader, the renderers
 * and three shipped scenarios) with esbuild for the browser and writes docs/playground/index.html, one
 * self-contained page that opens from disk.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';

/** What the browser has no use for: reading a scenario from disk (the page embeds its scenarios). */
const nodeStubs: Plugin = {
  name: 'node-stubs',
  setup(b) {
    b.onResolve({ filter: /^(node:fs|node:crypto|crypto)$/ }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: ['readFileSync', 'openSync', 'readSync', 'closeSync', 'fstatSync'].map((f) => `export function ${f}() { throw new Error("no files in the browser"); }`).join(' ') + ' export default {};', loader: 'js' }));
  },
};

const out = await build({
  entryPoints: ['docs/playground/src/main.ts'],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  loader: { '.yaml': 'text' },
  define: { 'process.env': '{}' },
  plugins: [nodeStubs],
  logLevel: 'warning',
});
// The bundle goes inside a <script> element: a "</script" in it would end the element early.
const js = out.outputFiles[0]!.text.replace(/<\/script/gi, '<\\/script');
const page = readFileSync('docs/playground/src/page.html', 'utf8').replace('/*BUNDLE*/', () => js);
writeFileSync('docs/playground/index.html', page);
console.log(`docs/playground/index.html: ${Math.round(page.length / 1024)} KiB`);
