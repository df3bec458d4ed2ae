/** `evaluate --suite FILE`: the suite's cases over worker processes, then the scorecard (and `--json`). */
import { makeDirs } from '#kernel/output.js';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { parseInteger } from '#kernel/units.js';
import type { EvaluateFlags } from './evaluate-run.js';
import { progressBar } from '../report/progress.js';
import { formatScorecard, loadSuite, scorecard } from '../report/suite.js';
import { defaultWorkers, runCases } from '../report/suite-run.js';
import { starredPolicy } from '../report/table.js';

export async function runSuiteCommand(flags: EvaluateFlags): Promise<void> {
  if (flags.report !== undefined)
    throw new InputError('--report: not with --suite (one report per case: run evaluate --sweep on the case)');
  const suite = await loadSuite(flags.suite!);
  const workers = flags.workers !== undefined ? parseInteger('--workers', flags.workers, 1) : defaultWorkers();
  const bar = progressBar({ enabled: flags.progress });
  let outcomes;
  try {
    outcomes = await runCases(suite.cases, flags.policies !== 'all' ? flags.policies : suite.policies, {
      workers,
      onCaseDone: (done, total, name) =>
        bar.update(done, total, `${name} (${done}/${total} cases, ${workers} worker${workers === 1 ? '' : 's'})`),
    });
  } finally {
    bar.done();
  }
  for (const o of outcomes) {
    const star = starredPolicy(o.run.results) ?? '—';
    process.stdout.write(
      `  ${o.case.name}${o.case.shape ? ` (${o.case.shape})` : ''}: ${o.run.function}, rate ×${o.case.rateScale}, SLO ${o.run.sloP95Ms} ms, ★ ${star}\n`,
    );
  }
  const rows = scorecard(outcomes);
  process.stdout.write(`${formatScorecard(suite, rows, outcomes)}\n`);
  if (flags.json) {
    await makeDirs(dirname(flags.json));
    await writeFile(flags.json, `${JSON.stringify({ suite: suite.file, cases: outcomes, scorecard: rows }, null, 2)}\n`);
    process.stdout.write(`wrote ${flags.json}\n`);
  }
}
