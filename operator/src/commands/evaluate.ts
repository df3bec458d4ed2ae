/**
 * `faas-autoscaler evaluate`: compare policies on one trace function in the simulator, with the
 * same arrivals for each (same seed); print a table, optionally write `--json` and an HTML `--report`.
 */
import type { Command } from 'commander';
import { InputError } from '../../../workload-generator/src/input-error.js';
import { addTraceWindowOptions, type TraceWindowFlags } from '../../../workload-generator/src/traces/cli-options.js';
import { parseInteger, parsePositiveNumber } from '../../../workload-generator/src/units.js';
import type { AnyPolicyName } from '../policies/policy.js';
import type { SimConfig } from '../sim/config.js';

export const DEFAULT_EVALUATE_TRACE = 'traces/azure2019/invitro_sample250_min480-959';

export interface EvaluateFlags extends TraceWindowFlags {
  trace: string;
  durations?: string;
  memory?: string;
  function: string;
  policies: string;
  sloMs: string;
  interval: string;
  seed: string;
  minReplicas: string;
  maxReplicas: string;
  concurrency?: string;
  coldStart?: string;
  timeout?: string;
  param: string[];
  model: string[];
  json?: string;
  report?: string;
  progress: boolean;
  sweep?: boolean;
  suite?: string;
  workers?: string;
  /** `--recording FILE [--profile FILE] [--recording-function NAME]` (operator/src/recording/train-input.ts). */
  recording?: string;
  profile?: string;
  recordingFunction?: string;
}

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
    .option('--sweep', 'also run every tunable baseline (hpa, keda, knative, openfaas-pro, static) across 8 settings of its main knob, and place each policy against their cost-vs-misses frontier')
    .option('--suite <file>', 'run the cases of a suite file (YAML: trace, function, rateScale, sloMs per case) with --sweep, and print a scorecard per policy')
    .option('--workers <n>', 'with --suite: worker processes (default: the number of CPU cores)')
    .option('--json <file>', 'write the results as JSON')
    .option('--report <file>', 'write a self-contained HTML report with charts')
    .option('--recording <file>', 'evaluate on a recording (faas-autoscaler record) instead of --trace: its request rates are the arrivals')
    .option('--profile <file>', 'with --recording: the calibrated profile (faas-autoscaler calibrate); default: calibrate the recording now')
    .option('--recording-function <name>', 'with --recording: which recorded function (default: the only one)')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (flags: EvaluateFlags) => {
      if (flags.suite !== undefined) {
        const { runSuiteCommand } = await import('../report/suite-command.js');
        await runSuiteCommand(flags);
        return;
      }
      const { runEvaluateCommand } = await import('../report/evaluate-command.js');
      await runEvaluateCommand(flags);
    });
}

/** `keda.threshold=4` → { keda: { threshold: 4 } }; numbers and booleans are typed. */
export function parseParams(entries: readonly string[], flag = '--param'): Partial<Record<AnyPolicyName, Record<string, unknown>>> {
  const out: Partial<Record<string, Record<string, unknown>>> = {};
  for (const entry of entries) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9_]+)=(.*)$/.exec(entry);
    if (!m) throw new InputError(`${flag}: "${entry}" is not of the form policy.key=value (e.g. keda.threshold=4)`);
    const [, policy, key, raw] = m;
    const value: unknown = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    (out[policy] ??= {})[key] = value;
  }
  return out as Partial<Record<AnyPolicyName, Record<string, unknown>>>;
}

/** `lstm-ppo-plus=models/x` → { 'lstm-ppo-plus': 'models/x' }. */
export function parseModels(entries: readonly string[]): Partial<Record<AnyPolicyName, string>> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const m = /^([a-z0-9-]+)=(.+)$/.exec(entry);
    if (!m) throw new InputError(`--model: "${entry}" is not of the form policy=directory`);
    out[m[1]] = m[2];
  }
  return out as Partial<Record<AnyPolicyName, string>>;
}

/** Simulator overrides from the flags (only those given). */
export function simOverrides(flags: Pick<EvaluateFlags, 'concurrency' | 'coldStart' | 'timeout'>): Partial<SimConfig> {
  const sim: Partial<SimConfig> = {};
  if (flags.concurrency !== undefined) sim.concurrencyPerReplica = parseInteger('--concurrency', flags.concurrency, 1);
  if (flags.coldStart !== undefined) {
    const v = Number(flags.coldStart);
    if (flags.coldStart.trim() === '' || !Number.isFinite(v) || v < 0) throw new InputError(`--cold-start: must be a number of seconds >= 0, got "${flags.coldStart}"`);
    sim.coldStartSeconds = v;
  }
  if (flags.timeout !== undefined) sim.upstreamTimeoutSeconds = parsePositiveNumber('--timeout', flags.timeout);
  return sim;
}
