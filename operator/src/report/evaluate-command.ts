/** The `evaluate` command's action: flags → trace → evaluatePolicies → table, JSON, HTML. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadTrace, parseFunctionSelector, selectFunction } from '../../../workload-generator/src/traces/index.js';
import { parseInteger, parsePositiveNumber } from '../../../workload-generator/src/units.js';
import { traceWindowOptions } from '../../../workload-generator/src/traces/cli-options.js';
import { parseModels, parseParams, simOverrides, type EvaluateFlags } from '../commands/evaluate.js';
import { evaluatePolicies, parsePolicyList, validateEvaluateOptions, type EvaluationOutput } from './evaluate.js';
import { renderEvaluationReport } from './html.js';
import { progressBar } from './progress.js';
import { formatTable } from './table.js';
import { formatSweep } from './sweep.js';
import { resolveBundled } from '../package-root.js';

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
  // `--recording FILE [--profile FILE]`: the recorded function and its calibrated profile instead
  // of a trace function (operator/src/recording/train-input.ts).
  const fromRecording = flags.recording
    ? await (await import('../recording/train-input.js')).recordingEvaluationInput({ recording: flags.recording, profile: flags.profile, function: flags.recordingFunction, rateScale: parsePositiveNumber('--rate-scale', flags.rateScale) })
    : undefined;
  const sim = { ...fromRecording?.sim, ...simOverrides(flags) };
  const selector = parseFunctionSelector(flags.function);
  // A bundled trace (the default) is found from any working directory; the report shows the path as given.
  const loaded = fromRecording?.trace ?? await loadTrace({
    trace: resolveBundled(flags.trace),
    ...(flags.durations ? { durations: flags.durations } : {}),
    ...(flags.memory ? { memory: flags.memory } : {}),
    ...traceWindowOptions(flags),
  });
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
        bar.update(p.policyIndex * p.intervals + p.interval, p.policyCount * p.intervals, `${p.policy} (${p.policyIndex + 1}/${p.policyCount})`),
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
    await writeOut(flags.report, renderEvaluationReport({ run: output.run, series: output.series, notes, ...(options.title ? { title: options.title } : {}) }));
    process.stdout.write(`wrote ${flags.report}\n`);
  }
  return output;
}

async function writeOut(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
