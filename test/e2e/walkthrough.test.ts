/**
 * The "Try it locally" walkthrough works as written: the shell block between the
 * `walkthrough:start` / `walkthrough:end` markers of README.md (Try it locally) runs with bash, from
 * the repository root, unchanged — sandbox with Prometheus, operator, kubectl apply, the generator
 * replaying the burst, kubectl watching the replicas follow, the wait for the scale-down, Events.
 */
import { readFileSync } from 'node:fs';
import { describeWithKubectl, E2E } from './harness.js';
import { README } from '../support/readme.js';

const DOC = README;

/** The shell code of the marked block. */
function walkthroughScript(markdown: string): string {
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(markdown);
  if (!block) throw new Error(`${DOC}: no \`\`\`sh block between <!-- walkthrough:start --> and <!-- walkthrough:end -->`);
  return block[1];
}

describeWithKubectl('README.md (Try it locally) walkthrough', () => {
  let e2e: E2E;
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null };

  beforeAll(async () => {
    e2e = new E2E('walkthrough');
    const script = e2e.file('walkthrough.sh', walkthroughScript(readFileSync(DOC, 'utf8')));
    // TMPDIR: the script's `mktemp -d` lands in the test's directory, which cleanup removes.
    const proc = e2e.spawn('walkthrough', 'bash', ['-euo', 'pipefail', script], { TMPDIR: e2e.dir });
    exit = await proc.exited;
    output = readFileSync(proc.logFile, 'utf8');
  }, 240_000);
  afterAll(() => e2e.cleanup());

  it('runs to the end (exit 0)', () => {
    expect({ exit, tail: exit.code === 0 ? '' : output.split('\n').slice(-40).join('\n') }).toEqual({
      exit: { code: 0, signal: null },
      tail: '',
    });
  });

  it('shows the replicas follow the load: up during the burst, back to 1 after it', () => {
    // `kubectl get deployment -w` lines: NAME READY(ready/desired) UP-TO-DATE AVAILABLE AGE
    const desired = [...output.matchAll(/^figlet\s+(\d+)\/(\d+)\s/gm)].map((m) => Number(m[2]));
    expect(Math.max(...desired)).toBeGreaterThanOrEqual(2);
    expect(desired[desired.length - 1]).toBe(1);
    // kubectl get fas: READY, POLICY, REPLICAS, DESIRED, ...
    expect(output).toMatch(/^figlet\s+(True|False)\s+hpa\s+1\s+1\s/m);
  });

  it("lists the operator's Scaled Events, up and down", () => {
    expect(output).toMatch(/Normal\s+Scaled\s+functionautoscaler\/figlet\s+scaled from 1 to \d+/);
    expect(output).toMatch(/Normal\s+Scaled\s+functionautoscaler\/figlet\s+scaled from \d+ to 1/);
  });
});
