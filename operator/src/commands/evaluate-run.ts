/** The `evaluate` command's action: flags → trace → evaluatePolicies → table, JSON, HTML. */
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadTrace, parseFunctionSelector, selectFunction } from '#kernel/traces/index.js';
import { parseInteger, parsePositiveNumber } from '#kernel/units.js';
import { InputError } from '#kernel/input-error.js';
import { checkWritable, makeDirs } from '#kernel/output.js';
import { traceWindowOptions, type TraceWindowFlags } from '#kernel/traces/cli-options.js';
import type { AnyPolicyName } from '../policies/policy.js';
import type { SimConfig } from '../sim/config.js';
import { evaluatePolicies, parsePolicyList, validateEvaluateOptions, type EvaluationOutput } from '../report/evaluate.js';
import { renderEvaluationReport } from '../report/html.js';
import { progressBar } from '../report/progress.js';
import { formatTable } from '../report/table.js';
import { formatSweep } from '../report/sweep.js';
import { resolveBundled } from '../package-root.js';

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

/** `keda.threshold=4` → { keda: { threshold: 4 } }; numbers and booleans are typed. */
export function parseParams(entries: readonly string[], flag = '--param'): Partial<Record<AnyPolicyName, Record<string, unknown>>> {
  const out: Partial<Record<string, Record<string, unknown>>> = {};
  for (const entry of entries) {
    const m = /^([a-z0-9-]+)\.([A-Za-z0-9_]+)=(.*)$/.exec(entry);
    if (!m) throw new InputError(`${flag}: "${entry}" is not of the form policy.key=value (e.g. keda.threshold=4)`);
    const [, policy, key, raw] = m;
    const value: unknown =
      raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    // An own property even for `__proto__`: a key never reaches an object's prototype, and the
    // policy then refuses it as unknown.
    Object.defineProperty((out[policy] ??= {}), key, { value, enumerable: true, writable: true, configurable: true });
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
    if (flags.coldStart.trim() === '' || !Number.isFinite(v) || v < 0)
      throw new InputError(`--cold-start: must be a number of seconds >= 0, got "${flags.coldStart}"`);
    sim.coldStartSeconds = v;
  }
  if (flags.timeout !== undefined) sim.upstreamTimeoutSeconds = parsePositiveNumber('--timeout', flags.timeout);
  return sim;
}

export interface EvaluateCommandOptions {
  /** Leave out policies that cannot be created (a missing model) with a warning, instead of failing. */
  skipUnavailable?: boolean;
  title?: string;
}

export async function runEvaluateCommand(flags: EvaluateFlags, options: EvaluateCommandOptions = {}): Promise<EvaluationOutput> {
  const numbers = {
    sloP95Ms: parsePositiveNumber('--slo-ms', flags.sloMs),
    intervalSeconds: parsePositiveNumber('--interval', flags.interval),
    seed: parseInteger('--seed', flags.seed, 0),
    minReplicas: parseInteger('--min-replicas', flags.minReplicas, 0),
    maxReplicas: parseInteger('--max-replicas', flags.maxReplicas, 1),
  };
  validateEvaluateOptions(numbers);
  const policies = parsePolicyList(flags.policies);
  const params = parseParams(flags.param);
  const models = parseModels(flags.model);
  for (const [flag, given] of [
    ['--param', Object.keys(params)],
    ['--model', Object.keys(models)],
  ] as const) {
    const stray = given.filter((p) => !policies.includes(p as AnyPolicyName));
    if (stray.length > 0) {
      throw new InputError(
        `${flag}: ${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} not among --policies (${policies.join(', ')})`,
      );
    }
  }
  // Outputs are checked before the run, not found unwritable after it.
  for (const [flag, path] of [
    ['--json', flags.json],
    ['--report', flags.report],
  ] as const) {
    if (path) await checkWritable(flag, path);
  }
  // `--recording FILE [--profile FILE]`: the recorded function and its calibrated profile instead
  // of a trace function (operator/src/recording/train-input.ts).
  const fromRecording = flags.recording
    ? await (
        await import('../recording/train-input.js')
      ).recordingEvaluationInput({
        recording: flags.recording,
        profile: flags.profile,
        function: flags.recordingFunction,
        rateScale: parsePositiveNumber('--rate-scale', flags.rateScale),
      })
    : undefined;
  const sim = { ...fromRecording?.sim, ...simOverrides(flags) };
  const selector = parseFunctionSelector(flags.function);
  // A bundled trace (the default) is found from any working directory; the report shows the path as given.
  const loaded =
    fromRecording?.trace ??
    (await loadTrace({
      trace: resolveBundled(flags.trace),
      ...(flags.durations ? { durations: flags.durations } : {}),
      ...(flags.memory ? { memory: flags.memory } : {}),
      ...traceWindowOptions(flags),
    }));
  const trace = fromRecording?.trace ?? { ...loaded, source: flags.trace };
  const fn = fromRecording?.fn ?? selectFunction(trace, selector);

  const bar = progressBar({ enabled: flags.progress });
  let output: EvaluationOutput;
  try {
    output = await evaluatePolicies({
      trace,
      fn,
      policies,
      ...numbers,
      sim,
      params,
      models,
      sweep: flags.sweep === true,
      ...(options.skipUnavailable
        ? { onUnavailable: (name: string, err: Error) => process.stderr.write(`\rleft out ${name}: ${err.message}\n`) }
        : {}),
      onProgress: (p) =>
        bar.update(
          p.policyIndex * p.intervals + p.interval,
          p.policyCount * p.intervals,
          `${p.policy} (${p.policyIndex + 1}/${p.policyCount})`,
        ),
    });
  } finally {
    bar.done();
  }

  const rateNote = flags.rateScale !== '1' ? [`rate scale ${flags.rateScale}`] : [];
  const notes = [...rateNote, ...output.notes];
  process.stdout.write(`${formatTable(output.run)}\n${notes.map((n) => `  ${n}`).join('\n')}\n`);
  if (output.run.sweep) process.stdout.write(`${formatSweep(output.run.sweep)}\n`);
  if (flags.json) {
    await writeOut(flags.json, `${JSON.stringify(output.run, null, 2)}\n`);
    process.stdout.write(`wrote ${flags.json}\n`);
  }
  if (flags.report) {
    await writeOut(
      flags.report,
      renderEvaluationReport({ run: output.run, series: output.series, notes, ...(options.title ? { title: options.title } : {}) }),
    );
    process.stdout.write(`wrote ${flags.report}\n`);
  }
  return output;
}

async function writeOut(path: string, text: string): Promise<void> {
  await makeDirs(dirname(path));
  await writeFile(path, text);
}
