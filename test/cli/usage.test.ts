/**
 * The command line's edges (issue 15): options, help, pipes, charts, standard input, the input size limit,
 * and exit codes as documented: 2 for usage and every bad input or unwritable output, 3 only for run limits
 * and internal errors.
 */
import { linkSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/run.ts';
import { DEFAULT_MAX_EVENTS, DEFAULT_MAX_WALL_SECONDS } from '../../src/cli/spec.ts';
import { replsim, shell } from '../support/cli.ts';

const MACKEREL = 'scenarios/mackerel-2017.yaml';
const tmp = () => mkdtempSync(join(tmpdir(), 'replsim-cli-'));

function usageError(args: string[], message: RegExp): void {
  const r = replsim(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')[0]).toMatch(message);
  expect(r.stderr).toMatch(/Try "replsim( \w+)? --help"\.\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('options', () => {
  it('-h and --help print help on stdout, for the program and for each command', () => {
    for (const args of [['-h'], ['--help'], ['help'], ['run', '-h'], ['validate', '--help'], ['help', 'run']]) {
      const r = replsim(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: replsim/);
      expect(r.stderr).toBe('');
    }
    expect(replsim(['run', '-h']).stdout).toContain('--chart FILE.svg');
  });

  it("each command's help teaches with examples of that command and lists the exit codes it gives", () => {
    for (const [command, codes] of [['run', /0 ok, 1 an expectation failed, 2 .*3 a run limit/], ['validate', /0 the scenario and every variant are valid, 2 an error/], ['examples', /0 ok, 2 a usage error/]] as const) {
      const help = replsim([command, '--help']).stdout;
      const examples = help.slice(help.indexOf('Examples:\n'));
      expect(examples.split('\n').filter((l) => l.startsWith(`  replsim ${command}`)).length, command).toBeGreaterThanOrEqual(1);
      expect(help.replace(/\n/g, ' '), command).toMatch(codes);
    }
    expect(replsim(['validate', '--help']).stdout).not.toContain('expectation failed');
  });

  it('--version prints the package version', () => {
    const r = replsim(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('a misspelt option or command gets a did-you-mean', () => {
    usageError(['run', MACKEREL, '--varient', 'x'], /^replsim: unknown option "--varient" for "run"; did you mean --variant\?$/);
    usageError(['run', MACKEREL, '--jsno'], /did you mean --json\?/);
    usageError(['run', MACKEREL, '--no-progres'], /did you mean --no-progress\?/);
    usageError(['validate', MACKEREL, '--variant', 'x'], /--variant is an option of "run", not of "validate"/);
    usageError(['rnu', MACKEREL], /unknown command "rnu"; did you mean "run"\?/);
    usageError(['run', MACKEREL, '-x'], /unknown option "-x"/);
  });

  it('an option before the command: did-you-mean for --help and --version, or where the option goes', () => {
    usageError(['--verison'], /^replsim: unknown option "--verison"; did you mean --version\? \(a command comes first: replsim run \.\.\., /);
    usageError(['-v'], /did you mean --version\?/);
    usageError(['--help=yes'], /^replsim: --help takes no value$/);
    usageError(['--json', 'run', MACKEREL], /^replsim: --json is an option of "run", "validate" and 6 other commands: put it after the command: replsim run <file> --json$/);
    expect(replsim(['--chart', 'x.svg']).stderr).toContain('Try "replsim run --help".');
  });

  it('a boolean option takes no value but true or false; a value option needs one', () => {
    usageError(['run', MACKEREL, '--json=maybe'], /^replsim: --json takes no value \(or =true, =false\), not "maybe"$/);
    usageError(['run', MACKEREL, '--chart'], /^replsim: --chart needs a value: --chart FILE\.svg$/);
    usageError(['run', MACKEREL, '--chart', '--json'], /--chart needs a value/);
    usageError(['run', MACKEREL, '--variant'], /--variant needs a value/);
    usageError(['run'], /run needs a file/);
    usageError(['run', MACKEREL, 'other.yaml'], /unexpected argument "other.yaml"/);
    usageError([], /name a command/);
    expect(JSON.parse(replsim(['run', MACKEREL, '--json=true']).stdout).scenario).toBe('mackerel-2017');
    expect(replsim(['run', MACKEREL, '--json=false']).stdout).toMatch(/^replsim: mackerel-2017/m);
  });

  it('the defaults the help shows are the library defaults', () => {
    expect({ maxEvents: DEFAULT_MAX_EVENTS, maxWallSeconds: DEFAULT_MAX_WALL_SECONDS }).toEqual(DEFAULT_LIMITS);
  });
});

describe('output', () => {
  it('a closed pipe ends the output quietly; the exit code stays the run\'s', () => {
    const head = shell(`node bin/replsim.mjs run ${MACKEREL} | head -2`);
    expect(head.stdout.split('\n')).toHaveLength(3);
    expect(head.stderr).toBe('');
    expect(head.statuses).toEqual([0, 0]);
    const json = shell(`node bin/replsim.mjs run ${MACKEREL} --json --verbose | true`);
    expect(json.stderr).toBe('');
    expect(json.statuses).toEqual([0, 0]);
    const failing = shell(`node bin/replsim.mjs run ${MACKEREL} --set faults.db001-lost.at=15:00 | head -1`);
    expect(failing.stderr).toBe('');
    expect(failing.statuses[0]).toBe(1);
  });

  it('an output that cannot be written (a full disk) is exit code 2 with one line', () => {
    const r = shell(`node bin/replsim.mjs run ${MACKEREL} > /dev/full`);
    expect(r.stderr).toBe('replsim: cannot write the output: ENOSPC\n');
    expect(r.statuses).toEqual([2]);
  });
});

describe('--chart', () => {
  it('charts are SVG: another extension is refused before the run', () => {
    usageError(['run', MACKEREL, '--chart', 'x.png'], /--chart: "x\.png" does not end in \.svg; replsim writes SVG only \(did you mean "x\.svg"\?\)/);
    usageError(['run', MACKEREL, '--chart', 'chart'], /does not end in \.svg/);
  });

  it('the scenario file itself (by name, or by a hard link) is refused and left alone', () => {
    const dir = tmp();
    const file = join(dir, 'plan.svg');
    const text = readFileSync(MACKEREL, 'utf8');
    writeFileSync(file, text);
    usageError(['run', file, '--chart', file], /is the scenario file itself/);
    linkSync(file, join(dir, 'link.svg'));
    usageError(['run', file, '--chart', join(dir, 'link.svg')], /is the scenario file itself/);
    usageError(['run', file, '--chart', dir], /does not end in \.svg|is a directory/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('an unwritable path exits 2 with a located message, after printing the report', () => {
    const r = replsim(['run', MACKEREL, '--chart', '/nonexistent-dir/run.svg']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('717,000 commits lost');
    expect(r.stderr).toBe('replsim: --chart "/nonexistent-dir/run.svg": cannot write the chart: no such directory\n');
  });

  it('writes the chart and says so', () => {
    const file = join(tmp(), 'run.svg');
    const r = replsim(['run', 'scenarios/split-brain.yaml', '--chart', file]);
    expect(r.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
    expect(r.stderr).toBe(`replsim: chart written to ${file}\n`);
  });
});

describe('input', () => {
  it('run - reads the scenario from standard input; messages name it <stdin>', () => {
    const r = replsim(['run', '-', '--json'], { input: readFileSync('scenarios/split-brain.yaml', 'utf8') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).scenario).toBe('split-brain');
    const bad = replsim(['run', '-'], { input: 'name: x\nstart: nope\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^<stdin>:2:8: /);
  });

  it('validate /dev/stdin checks every variant of what it read', () => {
    const r = replsim(['validate', '/dev/stdin'], { input: readFileSync(MACKEREL, 'utf8') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('variants: latest-timeline, lag-only (all valid)');
  });

  it('validate with two failing variants: one line per error, each naming its variant once, no stray prefix', () => {
    const text = `${readFileSync(MACKEREL, 'utf8')}  bad-move:\n    plan:\n      move: {promote-db01: "14:45"}\n  bad-set:\n    set:\n      plan.7.at: "14:31"\n`;
    const r = replsim(['validate', '-'], { input: text });
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^<stdin>:\d+:\d+: variant "bad-move": cannot move plan entry "promote-db01"/);
    expect(lines[1]).toMatch(/^<stdin>:\d+:\d+: variant "bad-set": set plan\.7\.at: plan has \d entries/);
    expect(r.stderr).not.toContain('[variant');
  });

  it('the input size limit is enforced while reading: /dev/zero stops at the limit', () => {
    const r = replsim(['validate', '/dev/zero'], { timeout: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('/dev/zero:1:1: the file is too large (more than 16777216 bytes; a scenario is a page or two of YAML)\n');
  });

  it('a missing file named like a shipped scenario points at it; a directory is bad input', () => {
    const r = replsim(['run', 'mackerel-2017.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mackerel-2017\.yaml:1:1: cannot read the file: no such file; a scenario of that name ships with replsim: .*scenarios\/mackerel-2017\.yaml \(see replsim examples\)\n$/);
    expect(replsim(['validate', 'scenarios']).stderr).toBe('scenarios:1:1: cannot read the file: it is a directory\n');
  });
});

describe('validate', () => {
  it('--json: what the scenario holds, or every error with its position', () => {
    const ok = replsim(['validate', MACKEREL, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, scenario: { name: 'mackerel-2017', contents: { clusters: 1, nodes: 3 } }, variants: [{ name: 'latest-timeline' }, { name: 'lag-only' }] });
    const bad = replsim(['validate', '-', '--json'], { input: 'name: x\nstart: 2024-01-01T00:00:00Z\nduration: 1h\nsites: {a: {}}\nclusters:\n  c:\n    nodes:\n      p: {site: a, version: 15, setings: {}}\n      q: {site: b, version: 15}\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('');
    const j = JSON.parse(bad.stdout);
    expect(j.valid).toBe(false);
    expect(j.errors.map((e: { line: number }) => e.line)).toEqual([8, 9]);
    expect(j.errors[0]).toMatchObject({ file: '<stdin>', line: 8, message: expect.stringContaining('setings'), hint: 'did you mean "settings"?' });
  });

  it('a block-only scenario is described by what it has, not "0 node(s)"', () => {
    const r = replsim(['validate', 'scenarios/cybozu-drbd-migration.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\b0 /);
    expect(r.stdout).toMatch(/2 hosts, 2 disks, 1 replicated block device, \d+ timed actions/);
  });
});

describe('examples', () => {
  it('lists the shipped scenarios with their directory; --dir prints the directory', () => {
    const r = replsim(['examples']);
    expect(r.code).toBe(0);
    for (const f of ['mackerel-2017.yaml', 'split-brain.yaml', 'cybozu-drbd-migration.yaml']) expect(r.stdout).toContain(f);
    expect(r.stdout).toContain('variants: latest-timeline, lag-only');
    const dir = replsim(['examples', '--dir']).stdout.trim();
    expect(readFileSync(join(dir, 'split-brain.yaml'), 'utf8')).toContain('name: split-brain');
  });
});

/** One case of the exit-code table: the arguments, standard input, the code, and what stderr's first line says. */
interface ExitCase {
  readonly args: readonly string[];
  readonly input?: string;
  readonly code: 0 | 1 | 2 | 3;
  readonly stderr?: RegExp;
}

describe('exit codes, every command (README, docs/report.md): 0 ok, 1 an expectation failed, 2 bad input or usage, 3 a run limit', () => {
  const badVariant = readFileSync(MACKEREL, 'utf8').replace('failover.policy: lag-only', 'failover.policy: lag-onyl');
  const cases: readonly ExitCase[] = [
    { args: ['--version'], code: 0 },
    { args: ['--help'], code: 0 },
    { args: ['help', 'validate'], code: 0 },
    { args: ['help', 'nope'], code: 2, stderr: /unknown command "nope"/ },
    { args: ['--verison'], code: 2, stderr: /did you mean --version/ },
    { args: ['run', 'scenarios/split-brain.yaml'], code: 0 },
    { args: ['run', MACKEREL, '--set', 'faults.db001-lost.at=15:00'], code: 1 },
    { args: ['run', '-'], input: 'name: x\nstart: 2024-01-01T00:00:00Z\nduration: 1h\nsites: {a: {}}\nclusters: {}\nplan: [{at: +1s, promote: q}]\n', code: 2, stderr: /^<stdin>:\d+:\d+: / },
    { args: ['run', 'missing.yaml'], code: 2, stderr: /^missing\.yaml:1:1: cannot read the file/ },
    { args: ['run', MACKEREL, '--variant', 'nope'], code: 2, stderr: /unknown variant "nope"/ },
    { args: ['run', MACKEREL, '--set', 'clusters.mackerel.workload.rate=fast'], code: 2, stderr: /--set clusters\.mackerel\.workload\.rate=fast/ },
    { args: ['run', MACKEREL, '--max-events', 'many'], code: 2, stderr: /--max-events: "many"/ },
    { args: ['run', MACKEREL, '--max-events', '10'], code: 3, stderr: /^replsim: run stopped: .*--max-events/ },
    { args: ['validate', MACKEREL], code: 0 },
    { args: ['validate', MACKEREL, '--json'], code: 0 },
    // The message names the variant itself: no [variant] prefix.
    { args: ['validate', '-'], input: badVariant, code: 2, stderr: /^<stdin>:\d+:\d+: variant "lag-only": .*did you mean "lag-only"\?$/ },
    { args: ['validate', MACKEREL, '--variant', 'x'], code: 2, stderr: /is an option of "run"/ },
    { args: ['examples'], code: 0 },
    { args: ['examples', 'extra'], code: 2, stderr: /unexpected argument "extra"/ },
  ];
  it.each(cases.map((c) => [c.args.join(' '), c] as const))('%s', (_name, c) => {
    const r = replsim(c.args, c.input === undefined ? {} : { input: c.input });
    expect(r.code, r.stderr).toBe(c.code);
    if (c.stderr) expect(r.stderr.split('\n')[0]).toMatch(c.stderr);
    else expect(r.stderr).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  });
});
