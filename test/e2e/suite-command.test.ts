/**
 * `faas-autoscaler evaluate --suite FILE --workers 2` as a user runs it (the built CLI): the cases
 * run in two worker processes, come back in the suite's order with their sweeps, and the scorecard
 * is printed and written; bad input in a case is one line and exit 2 from a worker too.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/tools.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'suite-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two functions (1-minute bins): a steady one and a bursty one.
const trace = join(dir, 'invocations.csv');
writeFileSync(
  trace,
  `HashOwner,HashApp,HashFunction,Trigger,1,2,3,4,5,6\nown,app,steady,http,${[60, 60, 60, 60, 60, 60].join(',')}\nown,app,bursty,http,${[10, 10, 600, 10, 10, 10].join(',')}\n`,
);

it('runs the cases on two workers and prints and writes the scorecard', async () => {
  const suite = join(dir, 'suite.yaml');
  writeFileSync(
    suite,
    `trace: ${trace}\npolicies: hpa,static,oracle\ncases:\n  - name: a\n    function: steady\n    sloMs: 3000\n  - name: b\n    function: bursty\n    rateScale: 2\n    sloMs: 3000\n    shape: bursty\n`,
  );
  const json = join(dir, 'out.json');
  const { stdout } = await run(
    process.execPath,
    ['bin/faas-autoscaler.js', 'evaluate', '--suite', suite, '--workers', '2', '--json', json, '--no-progress'],
    { cwd: REPO_ROOT },
  );
  expect(stdout).toMatch(/^ {2}a: rank:2 steady \(http\), rate ×1, SLO 3000 ms, ★ \S+$/m);
  expect(stdout).toMatch(/^ {2}b \(bursty\): rank:1 bursty \(http\), rate ×2, SLO 3000 ms, ★ \S+$/m);
  expect(stdout).toMatch(/^policy +SLO met +where oracle meets +median ÷oracle +below frontier +median misses +median reversals$/m);
  expect(stdout).toMatch(/^oracle +\d\/2 +\d\/\d +1\.00 +— /m);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as {
    cases: { case: { name: string }; run: { results: { policy: string }[]; sweep: { points: unknown[] } } }[];
    scorecard: { policy: string }[];
  };
  expect(doc.cases.map((c) => c.case.name)).toEqual(['a', 'b']);
  expect(doc.cases.map((c) => c.run.results.map((r) => r.policy))).toEqual([
    ['hpa', 'static', 'oracle'],
    ['hpa', 'static', 'oracle'],
  ]);
  for (const c of doc.cases) expect(c.run.sweep.points.length).toBeGreaterThanOrEqual(33);
  expect(doc.scorecard.map((r) => r.policy)).toEqual(['hpa', 'static', 'oracle']);
}, 120_000);

it('reports bad input found in a worker as one line and exit 2', async () => {
  const suite = join(dir, 'bad.yaml');
  writeFileSync(
    suite,
    `trace: ${trace}\npolicies: hpa\ncases:\n  - name: a\n    function: steady\n  - name: nope\n    function: nosuchfunction\n`,
  );
  const got = await run(process.execPath, ['bin/faas-autoscaler.js', 'evaluate', '--suite', suite, '--workers', '2', '--no-progress'], {
    cwd: REPO_ROOT,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  expect(got.code).toBe(2);
  expect(got.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^faas-autoscaler: case nope: .*nosuchfunction/)]);
}, 120_000);
