/** Linting a scenario: load it with its positions, turn it into facts, apply the rules. */
import { loadLocatedScenario, type LoadOptions } from '../../scenario/load.ts';
import { scenarioFacts } from './from-scenario.ts';
import { lint } from './rules.ts';
import { DEFAULT_LINT_OPTIONS, type Finding, type LintOptions } from './types.ts';

export { lint, RULES } from './rules.ts';
export type { Finding, LintOptions } from './types.ts';

export function lintScenarioText(text: string, file: string, load: LoadOptions = {}, options: LintOptions = DEFAULT_LINT_OPTIONS): Finding[] {
  return lint(scenarioFacts(loadLocatedScenario(text, file, load), file, options));
}
