import type { Fact, FactOf } from '../../../history/facts/index.ts';
import type { Token } from '../parts.ts';

/** The template of each kind in `F`: a map, so that a kind without a template does not compile. */
export type TemplatesOf<F extends Fact> = { readonly [K in F['kind']]: (f: FactOf<K>, sub: (f: Fact) => Token) => Token };
