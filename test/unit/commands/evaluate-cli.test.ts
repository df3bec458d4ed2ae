/**
 * Bad input to `faas-autoscaler evaluate` gives one line on stderr and exit code 2, never a stack
 * trace (issue "Foundation", Done when).
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../operator/src/cli.js';
import { runMain } from '../../support/capture.js';

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runMain(main, 'faas-autoscaler', args);

const dir = mkdtempSync(join(tmpdir(), 'fas-eval-cli-'));
const malformed = join(dir, 'invocations.csv');
writeFileSync(malformed, 'HashOwner,HashApp,HashFunction,Trigger,1,2,3\nown,app,fn1,http,1,2,3\nown,app,fn2,http,4,x5,6\n');
const good = join(dir, 'good.csv');
const badSuite = join(dir, 'bad-suite.yaml');
writeFileSync(badSuite, 'trace: t\ncases:\n  - function: rank:1\n    rateScale: fast\n');
writeFileSync(good, `HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\nown,app,fn1,http,${[60, 600, 60, 60].join(',')}\n`);
const unknownFnSuite = join(dir, 'unknown-fn.yaml');
writeFileSync(unknownFnSuite, `trace: ${good}\ncases:\n  - name: x\n    function: rank:9\n`);

describe('evaluate: bad input → one line, exit 2', () => {
  it.each([
    // [what, args, message on stderr]
    ['unknown policy lists the known ones', ['--trace', good, '--policies', 'hpa,nope'], /unknown policy "nope"; known policies: .*hpa/],
    ['missing trace file', ['--trace', join(dir, 'absent.csv')], /absent\.csv/],
    ['malformed trace names file, line and column', ['--trace', malformed], /invocations\.csv:3:\d+: .*"x5"/],
    [
      'min above max',
      ['--trace', good, '--min-replicas', '5', '--max-replicas', '2'],
      /--min-replicas \(5\) must be <= --max-replicas \(2\)/,
    ],
    ['SLO of zero', ['--trace', good, '--slo-ms', '0'], /--slo-ms: must be a number > 0/],
    ['negative SLO', ['--trace', good, '--slo-ms', '-3'], /--slo-ms/],
    ['unknown flag', ['--trace', good, '--no-such-flag'], /unknown option/],
    ['missing suite file', ['--suite', join(dir, 'absent.yaml')], /--suite: cannot read .*absent\.yaml: ENOENT/],
    [
      'bad suite field names file and line',
      ['--suite', badSuite],
      /bad-suite\.yaml:4: field "rateScale": must be a number > 0, got "fast"/,
    ],
    [
      'a suite case whose function is not in the trace',
      ['--suite', unknownFnSuite],
      /^faas-autoscaler: case x: rank:9 is out of range: .*good\.csv has 1 function/,
    ],
  ])('%s', async (_what, args, message) => {
    const got = await run(['evaluate', ...args]);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(message);
    expect(got.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('evaluate: writes the JSON schema', () => {
  it('has one result per policy with every field', async () => {
    const json = join(dir, 'out.json');
    const got = await run([
      'evaluate',
      '--trace',
      good,
      '--function',
      'row:1',
      '--policies',
      'hpa,static',
      '--slo-ms',
      '5000',
      '--json',
      json,
      '--no-progress',
    ]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^policy\s+cost rep-s\s+÷oracle\s+misses\s+SLO met\s+viol int\s+errors\s+p95 ms\s+scales\s+reversals$/m);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown> & { results: Record<string, unknown>[] };
    expect(Object.keys(doc).sort()).toEqual([
      'function',
      'intervalSeconds',
      'results',
      'seed',
      'serviceP95Ms',
      'simulatedSeconds',
      'sloP95Ms',
      'trace',
    ]);
    expect(doc.results.map((r) => r.policy)).toEqual(['hpa', 'static']);
    for (const r of doc.results) {
      expect(Object.keys(r).sort()).toEqual([
        'coldStarts',
        'costVsOracle',
        'errors',
        'intervals',
        'maxReplicas',
        'meanReplicas',
        'missRate',
        'p50Ms',
        'p95Ms',
        'p99Ms',
        'policy',
        'replicaSeconds',
        'requests',
        'requestsOverSloRate',
        'reversals',
        'scaleActions',
        'sloMet',
        'sloViolationRate',
      ]);
      // No oracle in this run: nothing to divide by.
      expect(r.costVsOracle).toBeNull();
    }
  });
});
