/**
 * Policy quality on the held-out suite (bench/suites/heldout.yaml): every policy, the oracle and
 * the tuned baselines (`evaluate --sweep`) on functions no training pool has seen, request-level.
 * Prints each case and the scorecard (the same as `faas-autoscaler evaluate --suite
 * bench/suites/heldout.yaml`), over worker processes on every core. Quality, not speed: the wall
 * time is printed for information only.
 */
import { join } from 'node:path';
import { packageRoot } from '../operator/src/package-root.js';
import { formatScorecard, loadSuite, scorecard } from '../operator/src/report/suite.js';
import { defaultWorkers, runCases } from '../operator/src/report/suite-run.js';
import { starredPolicy } from '../operator/src/report/table.js';

export async function run(): Promise<void> {
  const file = join(packageRoot(), 'bench', 'suites', 'heldout.yaml');
  const suite = await loadSuite(file);
  const workers = defaultWorkers();
  const started = Date.now();
  const outcomes = await runCases(suite.cases, suite.policies, {
    workers,
    onCaseDone: (done, total, name) => process.stderr.write(`  case ${done}/${total} done: ${name}\n`),
  });
  for (const o of outcomes) {
    console.log(
      `  ${o.case.name}: ${o.run.function}, rate ×${o.case.rateScale}, SLO ${o.run.sloP95Ms} ms, ★ ${starredPolicy(o.run.results) ?? '—'}`,
    );
  }
  console.log(formatScorecard({ ...suite, file: 'bench/suites/heldout.yaml' }, scorecard(outcomes), outcomes));
  console.log(`(${suite.cases.length} cases on ${workers} worker processes in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
