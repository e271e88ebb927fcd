/** The command line's parser (src/cli/args.ts) against its grammar (src/cli/spec.ts), without a process. */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.ts';
import { COMMANDS } from '../../src/cli/spec.ts';
import { renderHelp } from '../../src/cli/help.ts';

const helpText = (command: string) => renderHelp(command, 100);

const parse = (...argv: string[]) => parseArgs(argv, COMMANDS);
const options = (...argv: string[]) => {
  const p = parse(...argv);
  if (p.kind !== 'command') throw new Error(p.kind);
  return { positional: p.positional, options: Object.fromEntries(p.options) };
};
const usage = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('parsed');
};

describe('parseArgs', () => {
  it('reads values in both spellings, repeats --set in order, negates --no-progress, and keeps the defaults', () => {
    const o = options('run', '--set', 'a=1', 'f.yaml', '--set=b=2', '--seed', '7', '--no-progress', '--json');
    expect(o.positional).toBe('f.yaml');
    expect(o.options).toMatchObject({ set: ['a=1', 'b=2'], seed: '7', progress: false, json: true, 'max-events': '50000000', 'max-wall-seconds': '600' });
  });

  it('every option on by default can be turned off with --no-NAME, and its help says so (sweep --no-progress)', () => {
    expect(options('sweep', 'f.yaml', '--no-progress').options.progress).toBe(false);
    expect(options('sweep', 'f.yaml').options.progress).toBe(true);
    for (const c of COMMANDS) {
      for (const o of c.options) {
        if (o.kind !== 'boolean' || o.default !== true) continue;
        const p = parse(c.name, ...(c.positional && !c.positional.optional ? ['f.yaml'] : []), `--no-${o.name}`);
        expect(p.kind === 'command' && p.options.get(o.name), `${c.name} --no-${o.name}`).toBe(false);
        expect(helpText(c.name), `${c.name} --help`).toContain(`--[no-]${o.name}`);
      }
    }
  });

  it('takes - as standard input, a value that starts with "-", and everything after -- as positional', () => {
    expect(options('run', '-').positional).toBe('-');
    expect(options('run', 'f.yaml', '--seed', '-3').options.seed).toBe('-3');
    expect(options('run', '--', '--weird.yaml').positional).toBe('--weird.yaml');
  });

  it('answers help and version anywhere', () => {
    expect(parse('-h')).toEqual({ kind: 'help', command: null });
    expect(parse('run', 'f.yaml', '--help')).toEqual({ kind: 'help', command: 'run' });
    expect(parse('help', 'validate')).toEqual({ kind: 'help', command: 'validate' });
    expect(parse('--version')).toEqual({ kind: 'version' });
  });

  it('refuses what it does not know, with the nearest spelling', () => {
    expect(usage('run', 'f.yaml', '--varient=x')).toBe('unknown option "--varient" for "run"; did you mean --variant?');
    expect(usage('run', 'f.yaml', '--progress=maybe')).toBe('--progress takes no value (or =true, =false), not "maybe"');
    expect(usage('run', 'f.yaml', '--no-json')).toBe('unknown option "--no-json" for "run": --json is off unless given; leave it out');
    expect(usage('examples', 'x')).toBe('unexpected argument "x"');
    expect(usage('valdate', 'f.yaml')).toMatch(/did you mean "validate"\?/);
  });
});
