/**
 * What `faas-autoscaler train` does once its flags are parsed: load the trace, split functions into
 * held-out / validation / training, build the pool, train, and write the model, curves and a
 * summary. Kept apart from the command module so that `--help` never loads tfjs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { loadTrace } from '#kernel/traces/index.js';
import { describeFunction, selectFunctions } from '#kernel/traces/select.js';
import type { Trace } from '#kernel/traces/types.js';
import { parseChoice, parseInteger, parsePositiveNumber } from '#kernel/units.js';
import { ACTION_SPACES, DECISION_RULES } from '../model/actions.js';
import { initTfBackend } from '../model/backend.js';
import { FEATURE_SETS } from '../model/features.js';
import { saveModel, type TraceProvenance } from '../model/model-io.js';
import { ALGOS } from '../model/networks.js';
import type { SimConfig } from '../sim/config.js';
import { curvesHtml } from '../training/curves-html.js';
import { buildPool, DEFAULT_POOL_OPTIONS, rankedWithout, sloForFunction } from '../training/pool.js';
import { algoDefaults, DEFAULT_TRAIN_ARGS, metadataFor, train, writeCurves, type CurveRow, type TrainArgs } from '../training/ppo.js';
import { REWARD_NAMES, type RewardConfig } from '../training/rewards.js';
import type { EnvFunction } from '../training/sim-env.js';
import { packageVersion } from '../package-root.js';
import { progressBar } from '../report/progress.js';

export interface TrainOptions {
  algo: string;
  trace: string;
  steps: string;
  seed: string;
  out: string;
  holdout: string;
  validation: string;
  functions: string;
  targetLoads: string;
  sloFactor: string;
  sloMs?: string;
  features?: string;
  actions?: string;
  reward?: string;
  decision?: string;
  paper?: boolean;
  scaleDownStabilization?: string;
  violationWeight?: string;
  envs?: string;
  rolloutSteps?: string;
  epochs?: string;
  minibatches?: string;
  lr?: string;
  gamma?: string;
  gaeLambda?: string;
  entCoef?: string;
  lstmUnits?: string;
  episodeIntervals?: string;
  maxReplicas?: string;
  evalEvery?: string;
  checkpointEvery?: string;
  resume?: boolean;
  progress?: boolean;
  /** `--recording FILE [--profile FILE] [--recording-function NAME]` (operator/src/recording/train-input.ts). */
  recording?: string;
  profile?: string;
  recordingFunction?: string;
}

/** A flag that may be absent: a number > 0 (an integer ≥ 1 with `integer`), or undefined. */
function positiveNumber(flag: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  return integer ? parseInteger(flag, text, 1) : parsePositiveNumber(flag, text);
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  return text === undefined ? undefined : parseChoice(flag, text, allowed);
}

export async function runTrain(opts: TrainOptions): Promise<void> {
  const algo = oneOf('--algo', opts.algo, ALGOS)!;
  if (opts.paper && algo !== 'lstm-ppo-plus')
    throw new InputError('--paper: applies to --algo lstm-ppo-plus only (lstm-ppo and ppo are always as published)');
  const defaults = { ...DEFAULT_TRAIN_ARGS, ...algoDefaults(algo, { paper: opts.paper === true }) };
  const rewardName = oneOf('--reward', opts.reward, REWARD_NAMES);
  const reward: RewardConfig = rewardName ? { name: rewardName } : { ...defaults.reward };
  const violationWeight = positiveNumber('--violation-weight', opts.violationWeight);
  if (violationWeight !== undefined) {
    if (reward.name !== 'slo-cost') throw new InputError('--violation-weight: applies to --reward slo-cost only');
    reward.violationWeight = violationWeight;
  } else if (reward.name === 'slo-cost' && reward.violationWeight === undefined) {
    reward.violationWeight = 4;
  }
  const args: TrainArgs = {
    ...defaults,
    algo,
    seed: opts.seed === undefined ? defaults.seed : parseInteger('--seed', opts.seed, 0),
    totalSteps: positiveNumber('--steps', opts.steps, true) ?? defaults.totalSteps,
    features: oneOf('--features', opts.features, FEATURE_SETS) ?? defaults.features,
    actions: oneOf('--actions', opts.actions, ACTION_SPACES) ?? defaults.actions,
    decision: oneOf('--decision', opts.decision, DECISION_RULES) ?? defaults.decision,
    scaleDownStabilizationSeconds:
      opts.scaleDownStabilization === undefined
        ? defaults.scaleDownStabilizationSeconds
        : opts.scaleDownStabilization === '0'
          ? 0
          : positiveNumber('--scale-down-stabilization', opts.scaleDownStabilization, true)!,
    reward,
    numEnvs: positiveNumber('--envs', opts.envs, true) ?? defaults.numEnvs,
    numSteps: positiveNumber('--rollout-steps', opts.rolloutSteps, true) ?? defaults.numSteps,
    updateEpochs: positiveNumber('--epochs', opts.epochs, true) ?? defaults.updateEpochs,
    numMinibatches: positiveNumber('--minibatches', opts.minibatches, true) ?? defaults.numMinibatches,
    learningRate: positiveNumber('--lr', opts.lr) ?? defaults.learningRate,
    gamma: positiveNumber('--gamma', opts.gamma) ?? defaults.gamma,
    gaeLambda: positiveNumber('--gae-lambda', opts.gaeLambda) ?? defaults.gaeLambda,
    entCoef: opts.entCoef === '0' ? 0 : (positiveNumber('--ent-coef', opts.entCoef) ?? defaults.entCoef),
    lstmUnits: positiveNumber('--lstm-units', opts.lstmUnits, true) ?? defaults.lstmUnits,
    episodeIntervals: positiveNumber('--episode-intervals', opts.episodeIntervals, true) ?? defaults.episodeIntervals,
    maxReplicas: positiveNumber('--max-replicas', opts.maxReplicas, true) ?? defaults.maxReplicas,
    evalEvery: positiveNumber('--eval-every', opts.evalEvery, true) ?? defaults.evalEvery,
    checkpointEvery: positiveNumber('--checkpoint-every', opts.checkpointEvery, true) ?? defaults.checkpointEvery,
  };
  if (args.numEnvs % args.numMinibatches !== 0) {
    throw new InputError(`--envs ${args.numEnvs} must be divisible by --minibatches ${args.numMinibatches}`);
  }
  const targetLoads = opts.targetLoads.split(',').map((s) => positiveNumber('--target-loads', s.trim())!);
  const sloFactor = positiveNumber('--slo-factor', opts.sloFactor)!;
  const sloMs = positiveNumber('--slo-ms', opts.sloMs);
  const poolOptions = { ...DEFAULT_POOL_OPTIONS, targetLoads, sloFactor, sloMs };

  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const backend = await initTfBackend({ log });
  let pool: EnvFunction[];
  let validation: EnvFunction[];
  let provenance: TraceProvenance;
  let sim: Partial<SimConfig> | undefined;
  if (opts.recording !== undefined) {
    // `--recording FILE [--profile profile.json]`: the recorded arrivals with the calibrated
    // profile (operator/src/recording/train-input.ts).
    const { recordingTrainingSet } = await import('../recording/train-input.js');
    const episodeSeconds = (args.episodeIntervals + 1) * args.intervalSeconds;
    ({ pool, validation, provenance, sim } = await recordingTrainingSet({
      recording: opts.recording,
      profile: opts.profile,
      function: opts.recordingFunction,
      slo: poolOptions,
      episodeSeconds,
      log,
    }));
  } else {
    const trace = await loadTrace({ trace: opts.trace });
    const holdout = opts.holdout === 'none' ? [] : selectFunctions(trace, opts.holdout, '--holdout');
    const validationFns = opts.validation === 'none' ? [] : selectFunctions(trace, opts.validation, '--validation');
    const candidates = new Set(selectFunctions(trace, opts.functions, '--functions').map((f) => f.id));
    const trainFns = rankedWithout(trace, [...holdout, ...validationFns]).filter((f) => candidates.has(f.id));
    pool = buildPool(trace, trainFns, poolOptions);
    if (pool.length === 0)
      throw new InputError(
        `--functions ${opts.functions}: no function with traffic and a service time ≥ ${poolOptions.minServiceMs} ms is left to train on`,
      );
    validation = buildPool(trace, validationFns, {
      ...poolOptions,
      targetLoads: [targetLoads[Math.floor(targetLoads.length / 2)]],
      maxMeanRps: Infinity,
      minServiceMs: 0,
    });
    log(`training on ${new Set(pool.map((p) => p.fn.id)).size} functions × loads ${targetLoads.join(',')} = ${pool.length} pool entries`);
    log(`held out: ${holdout.map((f) => `${describeFunction(f)} (SLO ${sloForFunction(f, poolOptions)} ms)`).join('; ') || 'none'}`);
    log(
      `validation: ${validation.map((v) => `${describeFunction(v.fn)} ×${v.rateScale.toFixed(2)} SLO ${v.sloP95Ms} ms`).join('; ') || 'none'}`,
    );

    provenance = {
      files: await traceFiles(trace),
      trainFunctions: [...new Set(pool.map((p) => p.fn.id))],
      validationFunctions: validationFns.map((f) => f.id),
      rateScales: pool.map((p) => Number(p.rateScale.toPrecision(6))),
    };
  }
  const version = packageVersion();
  const gitCommit = readGitCommit();
  // The bar is drawn on a terminal only; elsewhere (CI, a pipe) every update is a log line.
  const drawing = opts.progress !== false && process.stderr.isTTY === true;
  const bar = progressBar({ enabled: drawing });
  const input = {
    args,
    pool,
    validation,
    sim,
    out: opts.out,
    trace: provenance,
    packageVersion: version,
    gitCommit,
    backend: backend.name,
    resume: opts.resume === true,
    log,
    onUpdate: (row: CurveRow, total: number): void => {
      if (drawing && row.evalReward !== null) bar.done();
      if (!drawing || row.evalReward !== null) log(summaryLine(row, total));
      const eta = row.update > 0 ? ((total - row.update) * row.wallSeconds) / row.update : 0;
      bar.update(row.update, total, `${row.update}/${total} updates, ${row.globalStep} steps, ETA ${Math.round(eta)} s`);
    },
  };
  const result = await train(input).finally(() => bar.done());
  await saveModel(
    opts.out,
    result.network,
    metadataFor(input, result.features, {
      environmentSteps: result.environmentSteps,
      updates: result.updates,
      wallSeconds: result.wallSeconds,
    }),
  );
  await writeCurves(opts.out, result.curves);
  await writeFile(
    join(opts.out, 'curves.html'),
    curvesHtml(`${algo} training (seed ${args.seed})`, result.curves, [
      `${result.environmentSteps} environment steps, ${result.updates} updates, ${Math.round(result.wallSeconds)} s on the ${backend.name} backend.`,
      `Validation: ${validation.map((v) => `${describeFunction(v.fn)} ×${v.rateScale.toFixed(2)}, SLO ${v.sloP95Ms} ms`).join('; ')}.`,
    ]),
  );
  result.network.dispose();
  log(`model written to ${opts.out} (${result.environmentSteps} steps, ${Math.round(result.wallSeconds)} s)`);
}

function summaryLine(row: CurveRow, total: number): string {
  const f = (v: number | null, d = 3): string => (v === null ? '-' : v.toFixed(d));
  return (
    `update ${row.update}/${total} step ${row.globalStep} ${Math.round(row.wallSeconds)}s ` +
    `ep_reward ${f(row.episodeReward)} entropy ${f(row.entropy)} kl ${f(row.approxKl, 4)} ev ${f(row.explainedVariance, 2)} ` +
    `sps ${Math.round(row.stepsPerSecond)} update ${f(row.updateSeconds, 1)}s` +
    (row.evalReward !== null
      ? ` | eval reward ${f(row.evalReward, 1)} replica-s ${f(row.evalReplicaSeconds, 0)} violations ${f(row.evalSloViolationRate)}`
      : '')
  );
}

async function traceFiles(trace: Trace): Promise<{ path: string; sha256: string }[]> {
  const info = await stat(trace.source);
  const paths = info.isDirectory()
    ? (await readdir(trace.source))
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => join(trace.source, f))
    : [trace.source];
  return Promise.all(
    paths.map(async (path) => ({
      path,
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    })),
  );
}

function readGitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}
