/**
 * The command line: `replsim run`, `validate`, `examples` and the rehearsal commands (commands/). Exit codes: 0 ok, 1 an
 * expectation failed, 2 bad input (scenario, usage, an output that cannot be written), 3 the run hit a
 * resource limit or an internal invariant.
 *
 * This module and what it imports statically stay small: a command's module (and the simulator behind it)
 * is loaded only when that command runs, so `--version` and `--help` start in the time node itself needs.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from './args.ts';
import { processIo, type Io } from './io.ts';
export { useColor } from './io.ts';
import { reportError } from './report-error.ts';
import { COMMANDS } from './spec.ts';

export function version(): string {
  // src/cli/main.ts and dist/cli/*.js are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    const parsed = parseArgs(argv, COMMANDS);
    if (parsed.kind === 'version') {
      io.out(`${version()}\n`);
      return 0;
    }
    if (parsed.kind === 'help') {
      const { renderHelp } = await import('./help.ts');
      io.out(renderHelp(parsed.command, io.columns));
      return 0;
    }
    switch (parsed.command) {
      case 'run':
        return await (await import('./run-command.ts')).runCommand(parsed.positional!, parsed.options, io);
      case 'validate':
        return (await import('./validate-command.ts')).validateCommand(parsed.positional!, parsed.options, io);
      case 'examples':
        return (await import('./examples.ts')).examplesCommand(parsed.options, io);
      default: {
        // The rehearsal commands (variants, compare, lint, sweep, merge, hunt): commands/index.ts.
        const { REHEARSAL_HANDLERS } = await import('./commands/index.ts');
        const handler = await REHEARSAL_HANDLERS[parsed.command]!();
        return await handler({ positionals: parsed.positionals, options: parsed.options }, io);
      }
    }
  } catch (e) {
    return reportError(e, io);
  }
}
