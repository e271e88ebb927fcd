/**
 * Verdict expectations (and, with them, the managers' and gray-failure parts of a scenario) printed back as
 * scenario text (scenarioToYaml in yaml.ts), in the spelling grammar-managers.ts decodes to equal values.
 */
import type { VerdictExpectation } from '../scenario/types-managers.ts';

type Out = Record<string, unknown>;

export function printVerdictExpectation(e: VerdictExpectation): Out {
  switch (e.kind) {
    case 'verdict': {
      const d: Out = { kind: e.verdict };
      if (e.cluster !== null) d.cluster = e.cluster;
      if (e.node !== null) d.node = e.node;
      if (e.seconds.atLeast !== null) d.at_least_seconds = e.seconds.atLeast;
      if (e.seconds.atMost !== null) d.at_most_seconds = e.seconds.atMost;
      if (e.openAtEnd !== null) d.open_at_end = e.openAtEnd;
      return { verdict: d };
    }
    case 'noVerdict':
      return { no_verdict: e.cluster === null && e.node === null ? e.verdict : { kind: e.verdict, ...(e.cluster !== null ? { cluster: e.cluster } : {}), ...(e.node !== null ? { node: e.node } : {}) } };
    case 'recovered':
      return { recovered: e.within === null ? (e.cluster ?? true) : { ...(e.cluster !== null ? { cluster: e.cluster } : {}), within: `${e.within / 1e6}s` } };
  }
}
