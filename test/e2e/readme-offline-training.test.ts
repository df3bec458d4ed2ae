/**
 * The README's offline-training walkthrough on the sandbox runs as written (the shell block between
 * `offline-walkthrough:start` / `offline-walkthrough:end`): ten minutes of a bursty replay scaled
 * by an HPA-style operator, then record → calibrate → train → evaluate, everything under
 * `out/figlet/`. It runs in a scratch folder holding the clone's `bin/`, `dist/`, `traces/`,
 * `models/`, `node_modules/` and `.tools/`, so its `out/` is the test's. About 13 minutes.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithKubectl, E2E } from './harness.js';
import { readmeSection } from '../support/readme.js';
import { REPO_ROOT } from '../support/tools.js';

function script(): string {
  const block = /```sh\n([\s\S]*?)```/.exec(readmeSection('offline-walkthrough'));
  if (!block) throw new Error('README.md: no ```sh block between <!-- offline-walkthrough:start --> and <!-- offline-walkthrough:end -->');
  return block[1]!;
}

/** curves.csv as rows of named numbers (empty cells: null). */
function curves(path: string): Record<string, number | null>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v === '' ? null : Number(v)])));
}

describeWithKubectl('README.md offline-training walkthrough (sandbox)', () => {
  let e2e: E2E;
  let work: string;
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null };

  beforeAll(async () => {
    e2e = new E2E('offline-walkthrough');
    work = join(e2e.dir, 'clone');
    mkdirSync(work);
    for (const entry of ['bin', 'dist', 'traces', 'models', 'node_modules', 'package.json', '.tools'])
      symlinkSync(join(REPO_ROOT, entry), join(work, entry));
    const file = e2e.file('offline-walkthrough.sh', `cd ${JSON.stringify(work)}\n${script()}`);
    // TMPDIR: the script's `mktemp -d` lands in the test's directory, which cleanup removes.
    const proc = e2e.spawn('offline-walkthrough', 'bash', ['-euo', 'pipefail', file], { TMPDIR: e2e.dir });
    exit = await proc.exited;
    output = readFileSync(proc.logFile, 'utf8');
  }, 1_500_000);
  afterAll(() => e2e.cleanup());

  it('runs to the end (exit 0) and leaves its files under out/figlet/', () => {
    expect({ exit, tail: exit.code === 0 ? '' : output.split('\n').slice(-40).join('\n') }).toEqual({
      exit: { code: 0, signal: null },
      tail: '',
    });
    const out = join(work, 'out', 'figlet');
    const files = ['recording.ndjson', 'profile.json', 'model/curves.csv', 'model/curves.html', 'model/model.json'];
    expect(files.filter((f) => !existsSync(join(out, f)))).toEqual([]);
    // Nothing written next to the shipped models.
    expect(existsSync(join(work, 'models', 'figlet'))).toBe(false);
  });

  it('records ten minutes of the replay with traffic in it', () => {
    const records = readFileSync(join(work, 'out', 'figlet', 'recording.ndjson'), 'utf8')
      .trim()
      .split('\n');
    // A header and one record per 1-s step (some seconds of slack at either end).
    expect(records.length).toBeGreaterThan(550);
    expect(readFileSync(join(work, 'out', 'figlet', 'profile.json'), 'utf8')).toMatch(/"function"\s*:\s*"figlet/);
  });

  it('validates after the first update, every second one and the last, and the validation moves', () => {
    const rows = curves(join(work, 'out', 'figlet', 'model', 'curves.csv'));
    const checked = rows.filter((r) => r.evalReward !== null);
    const last = rows[rows.length - 1]!.update;
    expect(checked.map((r) => r.update)).toEqual(
      [...new Set([1, ...rows.map((r) => r.update!).filter((u) => u % 2 === 0), last])].sort((a, b) => a! - b!),
    );
    for (const r of checked) expect([r.evalReward, r.evalReplicaSeconds, r.evalSloViolationRate].every(Number.isFinite)).toBe(true);
    // The policy after one update and the policy it became are not the same decisions.
    expect(new Set(checked.map((r) => `${r.evalReward}/${r.evalReplicaSeconds}`)).size).toBeGreaterThan(1);
  });

  it('compares the trained policy with hpa and static on the recorded arrivals', () => {
    for (const policy of ['lstm-ppo-plus', 'hpa', 'static']) expect(output).toMatch(new RegExp(`^\\s*${policy}\\b`, 'm'));
  });
});
