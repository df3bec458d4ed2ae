/**
 * Every ```sh block of README.md says how it is checked, in an HTML comment just above it (blank
 * lines and section markers in between are allowed):
 * - `<!-- commands: run -->`: run here, as written, with bash from a scratch folder that has the
 *   clone's `bin/`, `dist/`, `traces/`, `models/` and `node_modules/`; it must exit 0 and leave every
 *   file it names after `--out`, `--json`, `--report` or `--summary`;
 * - `<!-- commands: tested by PATH -->`: PATH is a test that reads and runs that part of the README;
 * - `<!-- commands: not run: REASON -->`: what it needs that is not here, and what covers it.
 * A new block without one of these fails, so no command reaches the README unchecked by accident.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { README } from '../support/readme.js';
import { REPO_ROOT } from '../support/tools.js';

interface Block {
  line: number;
  code: string;
  how: { kind: 'run' } | { kind: 'tested'; path: string } | { kind: 'not-run'; reason: string } | { kind: 'none' };
}

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!)) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const code = lines.slice(i + 1, end).join('\n');
    let j = i - 1;
    while (j >= 0 && (lines[j]!.trim() === '' || /^<!-- [a-z-]+:(start|end) -->$/.test(lines[j]!.trim()))) j--;
    const note = j >= 0 ? /^<!-- commands: (.*) -->$/.exec(lines[j]!.trim()) : null;
    let how: Block['how'] = { kind: 'none' };
    if (note?.[1] === 'run') how = { kind: 'run' };
    else if (note?.[1]?.startsWith('tested by ')) how = { kind: 'tested', path: note[1].slice('tested by '.length) };
    else if (note?.[1]?.startsWith('not run: ')) how = { kind: 'not-run', reason: note[1].slice('not run: '.length) };
    found.push({ line: i + 1, code, how });
    i = end;
  }
  return found;
}

/** Files a command line names as its outputs. */
function outputs(code: string): string[] {
  return [...code.matchAll(/--(?:out|json|report|summary) (\S+)/g)].map((m) => m[1]!);
}

const all = blocks(readFileSync(README, 'utf8'));

describe('README.md commands', () => {
  it('has a note on how every sh block is checked, and the tests it names exist', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((b) => b.how.kind === 'none').map((b) => `README.md:${b.line}`)).toEqual([]);
    for (const b of all) {
      if (b.how.kind === 'tested')
        expect({ line: b.line, exists: existsSync(join(REPO_ROOT, b.how.path)) }).toEqual({ line: b.line, exists: true });
      if (b.how.kind === 'not-run') expect(b.how.reason.length).toBeGreaterThan(10);
    }
    // The tests named read README.md (a stale name would point at a test of something else).
    for (const path of new Set(all.flatMap((b) => (b.how.kind === 'tested' ? [b.how.path] : [])))) {
      expect({ path, readsReadme: /readmeSection|README/.test(readFileSync(join(REPO_ROOT, path), 'utf8')) }).toEqual({
        path,
        readsReadme: true,
      });
    }
  });

  const runnable = all.filter((b) => b.how.kind === 'run');
  it('has blocks to run here', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(2);
  });

  describe.each(runnable.map((b) => [`README.md:${b.line}`, b] as const))('%s', (_name, block) => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'readme-commands-'));
      for (const entry of ['bin', 'dist', 'traces', 'models', 'node_modules', 'package.json'])
        symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('runs as written and leaves the files it names', () => {
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', block.code], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 1 << 24,
      });
      expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
      expect(run.stdout.length).toBeGreaterThan(0);
      const named = outputs(block.code);
      expect(named.filter((f) => !existsSync(join(dir, f)))).toEqual([]);
    }, 150_000);
  });
});
