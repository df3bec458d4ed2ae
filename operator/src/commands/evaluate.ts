/**
 * `faas-autoscaler evaluate`: compare policies on one trace function in the simulator, with the
 * same arrivals for each (same seed); print a table, optionally write `--json` and an HTML `--report`.
 */
import type { Command } from 'commander';
import { addTraceWindowOptions } from '#kernel/traces/cli-options.js';
import type { EvaluateFlags } from './evaluate-run.js';

export const DEFAULT_EVALUATE_TRACE = 'traces/azure2019/invitro_sample250_min480-959';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerEvaluate(program: Command): void {
  const command = program
    .command('evaluate')
    .description('run policies over a trace function in the simulator (same arrivals for each) and compare them')
    .option('--trace <path>', 'trace file or folder (Azure 2019/2021, FsCode JSON)', DEFAULT_EVALUATE_TRACE)
    .option('--durations <file>', 'Azure 2019 durations file (default: found beside the trace)')
    .option('--memory <file>', 'Azure 2019 memory file (default: found beside the trace)')
    .option('--function <selector>', 'function: hash (or unique prefix), row:N or rank:N (rank:1 = busiest)', 'rank:1')
    .option('--policies <list>', 'comma-separated policy names, or "all" (every registered policy and the oracle)', 'all')
    .option('--slo-ms <ms>', 'latency SLO: P95 of each interval must be at most this', '500')
    .option('--interval <seconds>', 'seconds between decisions (the observation window)', '30')
    .option('--seed <n>', 'random seed (same arrivals and service times for every policy)', '1')
    .option('--min-replicas <n>', 'lower bound applied to every policy', '1')
    .option('--max-replicas <n>', 'upper bound applied to every policy', '24');
  addTraceWindowOptions(command)
    .option('--concurrency <n>', 'simulator: requests one replica serves at once (default 1)')
    .option('--cold-start <seconds>', 'simulator: seconds before a new replica is ready (default 5)')
    .option('--timeout <seconds>', 'simulator: gateway upstream timeout (default 60)')
    .option('--param <policy.key=value>', 'policy parameter, repeatable (e.g. keda.threshold=4)', collect, [])
    .option('--model <policy=dir>', 'model directory for a learned policy, repeatable', collect, [])
    .option(
      '--sweep',
      'also run every tunable baseline (hpa, keda, knative, openfaas-pro, static) across 8 settings of its main knob, and place each policy against their cost-vs-misses frontier',
    )
    .option(
      '--suite <file>',
      'run the cases of a suite file (YAML: trace, function, rateScale, sloMs per case) with --sweep, and print a scorecard per policy',
    )
    .option('--workers <n>', 'with --suite: worker processes (default: the number of CPU cores)')
    .option('--json <file>', 'write the results as JSON')
    .option('--report <file>', 'write a self-contained HTML report with charts')
    .option('--recording <file>', 'evaluate on a recording (faas-autoscaler record) instead of --trace: its request rates are the arrivals')
    .option(
      '--profile <file>',
      'with --recording: the calibrated profile (faas-autoscaler calibrate); default: calibrate the recording now',
    )
    .option('--recording-function <name>', 'with --recording: which recorded function (default: the only one)')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (flags: EvaluateFlags) => {
      if (flags.suite !== undefined) {
        const { runSuiteCommand } = await import('./suite-run.js');
        await runSuiteCommand(flags);
        return;
      }
      const { runEvaluateCommand } = await import('./evaluate-run.js');
      await runEvaluateCommand(flags);
    });
}
