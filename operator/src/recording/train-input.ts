/**
 * What `train --recording FILE [--profile profile.json]` trains on: the recorded request rates
 * become the arrivals (one trace function, bins of the recording's step, at the rate recorded) and
 * the calibrated profile the function (`sim`, a Partial<SimConfig> for every environment). Without
 * `--profile` the recording is calibrated here first, with the same method as `calibrate`.
 *
 * Validation: the last fifth of the recording is held out when it is at least two episodes long
 * (so the periodic validation runs on traffic the policy did not train on); a shorter
 * recording is used whole for both, and the log says so.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '#kernel/input-error.js';
import type { Trace, TraceFunction } from '#kernel/traces/types.js';
import type { SimConfig } from '../sim/config.js';
import { sloForFunction, type PoolOptions } from '../training/pool.js';
import type { EnvFunction } from '../training/sim-env.js';
import { calibrate } from './calibrate.js';
import { pickFunction, readRecording } from './format.js';
import { arrivalCounts } from './goodness-of-fit.js';
import { formatCalibrationReport, loadProfile } from './profile.js';

export interface RecordingTrainingOptions {
  recording: string;
  profile?: string;
  /** Function of the recording (NAME or NAME.NAMESPACE); default the only one. */
  function?: string;
  /** The SLO rule (training/pool.ts `sloForFunction`). */
  slo: Pick<PoolOptions, 'sloFactor' | 'minSloMs' | 'sloMs'>;
  /** Seconds one training episode covers ((episodeIntervals + 1) × intervalSeconds). */
  episodeSeconds: number;
  log: (line: string) => void;
}

export interface RecordingTrainingSet {
  sim: Partial<SimConfig>;
  pool: EnvFunction[];
  validation: EnvFunction[];
  /** For the model's metadata (`TraceProvenance`). */
  provenance: { files: { path: string; sha256: string }[]; trainFunctions: string[]; validationFunctions: string[]; rateScales: number[] };
}

/** The share of the recording held out for validation when it is long enough. */
export const VALIDATION_SHARE = 0.2;

export async function recordingTrainingSet(opts: RecordingTrainingOptions): Promise<RecordingTrainingSet> {
  const recording = await readRecording(opts.recording);
  const fn = pickFunction('--recording-function', recording, opts.function);
  const records = recording.byFunction.get(fn)!;
  const step = recording.header.stepSeconds;
  let sim: Partial<SimConfig>;
  const files = [
    {
      path: opts.recording,
      sha256: createHash('sha256')
        .update(await readFile(opts.recording))
        .digest('hex'),
    },
  ];
  if (opts.profile !== undefined) {
    const profile = await loadProfile(opts.profile);
    if (profile.function !== fn)
      opts.log(`note: the profile was calibrated for ${profile.function}; training ${fn}'s recorded traffic with it`);
    sim = profile.sim;
    files.push({
      path: opts.profile,
      sha256: createHash('sha256')
        .update(await readFile(opts.profile))
        .digest('hex'),
    });
  } else {
    const cal = calibrate({ recording, fn, fitWindowSteps: Math.max(1, Math.round(30 / step)), seed: 1 });
    for (const line of formatCalibrationReport(cal, recording).trimEnd().split('\n')) opts.log(line);
    sim = cal.sim;
  }
  const { counts, filled } = arrivalCounts(records);
  if (counts.every((c) => c === 0)) throw new InputError(`--recording: ${opts.recording} has no requests for ${fn}`);
  if (filled > 0) opts.log(`${filled} of ${counts.length} steps had no request count (gaps); their arrivals are interpolated`);
  const stepsPerEpisode = Math.ceil(opts.episodeSeconds / step);
  const holdOut = Math.floor(counts.length * VALIDATION_SHARE);
  const split = holdOut >= 2 * stepsPerEpisode;
  const train: TraceFunction = { id: fn, row: 1, counts: split ? counts.slice(0, counts.length - holdOut) : counts, profile: {} };
  const validate: TraceFunction = {
    id: `${fn}@validation`,
    row: 1,
    counts: split ? counts.slice(counts.length - holdOut) : counts,
    profile: {},
  };
  const sloP95Ms = sloForFunction(train, { ...opts.slo, sim });
  opts.log(
    split
      ? `training on ${fn} as recorded: ${train.counts.length} steps of ${step} s; validation on the last ${holdOut} steps (held out); SLO ${sloP95Ms} ms`
      : `training on ${fn} as recorded: ${counts.length} steps of ${step} s; validation on the same steps (shorter than ${2 / VALIDATION_SHARE} episodes, nothing held out); SLO ${sloP95Ms} ms`,
  );
  return {
    sim,
    pool: [{ fn: train, binSeconds: step, rateScale: 1, sloP95Ms }],
    validation: [{ fn: validate, binSeconds: step, rateScale: 1, sloP95Ms }],
    provenance: { files, trainFunctions: [fn], validationFunctions: [validate.id], rateScales: [1] },
  };
}

/**
 * `evaluate --recording FILE [--profile FILE]`: the recorded function as a one-function trace (bins
 * of the recording's step, counts = arrivals, `rateScale` applied) and the profile's settings.
 * Without a profile the recording is calibrated first (quietly; `calibrate` prints the report).
 */
export async function recordingEvaluationInput(opts: {
  recording: string;
  profile?: string;
  function?: string;
  rateScale: number;
}): Promise<{ trace: Trace; fn: TraceFunction; sim: Partial<SimConfig> }> {
  const recording = await readRecording(opts.recording);
  const fnName = pickFunction('--recording-function', recording, opts.function);
  const records = recording.byFunction.get(fnName)!;
  const step = recording.header.stepSeconds;
  const sim =
    opts.profile !== undefined
      ? (await loadProfile(opts.profile)).sim
      : calibrate({ recording, fn: fnName, fitWindowSteps: Math.max(1, Math.round(30 / step)), seed: 1 }).sim;
  const fn: TraceFunction = { id: fnName, row: 1, counts: arrivalCounts(records).counts.map((c) => c * opts.rateScale), profile: {} };
  return { trace: { format: 'synthetic', source: opts.recording, binSeconds: step, startOffsetSeconds: 0, functions: [fn] }, fn, sim };
}
