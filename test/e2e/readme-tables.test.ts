/**
 * The tables in README.md are what the CLI prints today with the shipped models:
 * - held-out (`<!-- heldout:start/end -->`): each ```sh block's `evaluate` command is run with the
 *   built CLI and its output must equal the block that follows;
 * - the demo (`<!-- demo-table:start/end -->`): the table `demo` prints.
 * A change to the simulator, a policy or a model that moves a number fails here until the README
 * is regenerated.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readmeSection } from '../support/readme.js';
import { REPO_ROOT } from '../support/tools.js';

const run = promisify(execFile);

interface Example {
  args: string[];
  expected: string;
}

function examples(): Example[] {
  const section = readmeSection('heldout');
  const found: Example[] = [];
  const re = /```sh\n(node bin\/faas-autoscaler\.js evaluate [^\n]+)\n```\s*\n```\n([\s\S]*?)\n```/g;
  for (const m of section.matchAll(re)) {
    found.push({ args: m[1]!.replace(/^node bin\/faas-autoscaler\.js /, '').split(/\s+/), expected: m[2]! });
  }
  return found;
}

describe('README held-out tables', () => {
  const all = examples();

  it('has one command and table per held-out function', () => {
    expect(all.map((e) => e.args[e.args.indexOf('--function') + 1])).toEqual(['rank:1', 'rank:2', 'rank:7']);
    for (const e of all) expect(e.expected).toMatch(/^lstm-ppo-plus +\d+ /m);
  });

  it.each(all.map((e) => [e.args.join(' '), e] as const))(
    '%s prints the table the README shows',
    async (_name, e) => {
      const { stdout } = await run(process.execPath, ['bin/faas-autoscaler.js', ...e.args], { cwd: REPO_ROOT, maxBuffer: 1 << 22 });
      expect(stdout.trimEnd()).toBe(e.expected);
    },
    120_000,
  );
});

describe('README demo table', () => {
  it('is the table `faas-autoscaler demo` prints', async () => {
    const block = /```\n([\s\S]*?)\n```/.exec(readmeSection('demo-table'));
    expect(block).not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'readme-demo-'));
    try {
      const { stdout } = await run(process.execPath, ['bin/faas-autoscaler.js', 'demo', '--no-progress', '--out', dir], {
        cwd: REPO_ROOT,
        maxBuffer: 1 << 22,
      });
      const lines = stdout.split('\n');
      const from = lines.findIndex((l) => l.startsWith('policy '));
      const to = lines.findIndex((l) => l.startsWith('★ = '));
      expect(from).toBeGreaterThan(0);
      expect(to).toBeGreaterThan(from);
      expect(lines.slice(from, to).join('\n')).toBe(block![1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
