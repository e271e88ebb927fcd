/** `replsim --help` and `replsim COMMAND --help`, rendered from spec.ts only when asked for. */
import { negatable, positionalUsage, type CommandSpec, type OptionSpec } from './args.ts';
import { COMMAND_EXAMPLES, COMMANDS, EXIT_CODES, EXAMPLES } from './spec.ts';

const INTRO =
  'replsim replays a database replication or migration scenario in simulated time and reports\n' +
  'which acknowledged commits were lost, when writes stalled or failed, and why.';

const DOCS = 'Docs (also in the installed package\'s docs/): docs/scenario.md (scenario language), docs/report.md (report),\ndocs/model-postgres.md and docs/model-drbd.md (what is modelled), docs/properties.md (property tests).';

function table(rows: readonly (readonly [string, string])[], width: number): string {
  const left = Math.min(40, Math.max(...rows.map((r) => r[0].length)));
  return rows
    .map(([a, b]) => {
      const pad = a.length > left ? `\n${' '.repeat(left + 4)}` : ' '.repeat(left - a.length + 2);
      return `  ${a}${pad}${wrap(b, width - left - 4, left + 4)}`;
    })
    .join('\n');
}

function wrap(text: string, width: number, indent: number): string {
  if (width < 30 || text.length <= width) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Each example: the command, and under it what it does. */
function examples(rows: readonly (readonly [string, string])[], width: number): string {
  return rows.map(([cmd, what]) => `  ${cmd}\n      ${wrap(what, width - 6, 6)}`).join('\n');
}

function optionRow(o: OptionSpec): [string, string] {
  const flag = o.kind === 'boolean' ? (negatable(o) ? `--[no-]${o.name}` : `--${o.name}`) : `--${o.name} ${o.value}`;
  const dflt = o.kind !== 'boolean' && o.default !== undefined ? ` [default: ${o.default}]` : '';
  return [flag, `${o.describe}${dflt}`];
}

export function renderHelp(command: string | null, columns: number): string {
  const width = Math.max(60, Math.min(110, columns || 100));
  const spec = COMMANDS.find((c) => c.name === command);
  if (spec) return commandHelp(spec, width);
  return [
    INTRO,
    'Usage: replsim <command> [options]',
    `Commands:\n${table(COMMANDS.map((c) => [`replsim ${c.name}${c.positional ? ` ${positionalUsage(c.positional)}` : ''}`, c.summary]), width)}`,
    `Options:\n${table([['-h, --help', 'Show help (also: replsim COMMAND --help)'], ['--version', 'Show the version number']], width)}`,
    `Examples:\n${examples(EXAMPLES, width)}`,
    `${EXIT_CODES}\n${DOCS}`,
  ].join('\n\n') + '\n';
}

function commandHelp(spec: CommandSpec, width: number): string {
  const usage = `Usage: replsim ${spec.name}${spec.positional ? ` ${positionalUsage(spec.positional)}` : ''} [options]`;
  const parts = [usage, spec.summary];
  if (spec.positional) parts.push(`Arguments:\n${table([[spec.positional.name, spec.positional.describe]], width)}`);
  parts.push(`Options:\n${table([...spec.options.map(optionRow), ['-h, --help', 'Show help']], width)}`);
  const mine = [...EXAMPLES, ...COMMAND_EXAMPLES].filter(([cmd]) => cmd.includes(`replsim ${spec.name} `) || cmd.endsWith(`replsim ${spec.name}`));
  if (mine.length) parts.push(`Examples:\n${examples(mine, width)}`);
  parts.push(wrap(spec.exitCodes ?? EXIT_CODES, width, 0));
  return parts.join('\n\n') + '\n';
}
