/**
 * Recurrent PPO for autoscaling, CleanRL-style (`ppo_atari_lstm.py`), top to bottom:
 *
 *   seeding → environments → network + optimiser → for each update:
 *     anneal the learning rate → roll out numSteps × numEnvs (LSTM state carried, zeroed at episode
 *     starts) → GAE → PPO epochs over minibatches of whole env sequences → log, evaluate, checkpoint
 *
 * The same loop trains all three algorithms: LSTM-PPO+ and LSTM-PPO replay their LSTM from the
 * state stored at the start of the rollout (truncated BPTT over the rollout); PPO has no state.
 */
import { makeDirs } from '#kernel/output.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { actionSpace, type ActionSpaceName, type DecisionRule } from '../model/actions.js';
import { tf } from '../model/backend.js';
import { decideFromLogits } from '../model/decide.js';
import { featureCount, RunningMeanStd, standardise, type FeatureConfig, type FeatureSetName } from '../model/features.js';
import type { ModelMetadataInput, TraceProvenance } from '../model/model-io.js';
import { ActorCritic, defaultArchitecture, initialWeights, type Algo, type LstmState } from '../model/networks.js';
import { Rng } from '../model/random.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { SimConfig } from '../sim/config.js';
import { computeGae } from './gae.js';
import { logSoftmaxRows, ppoUpdate, type UpdateStats } from './ppo-update.js';
import type { RewardConfig } from './rewards.js';
import { SimEnv, type EnvFunction } from './sim-env.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';

export interface TrainArgs {
  algo: Algo;
  /** Seeds weights, environments, sampling and minibatch order. */
  seed: number;
  /** Environment steps in all (numEnvs per vector step). */
  totalSteps: number;
  /** Parallel environments (each on its own pool entry per episode). */
  numEnvs: number;
  /** Steps per env per rollout; also the BPTT length. */
  numSteps: number;
  /** Adam learning rate (3e-4 in the paper), linearly annealed to 0 when `annealLr`. */
  learningRate: number;
  annealLr: boolean;
  gamma: number;
  gaeLambda: number;
  /** Minibatches per epoch (numEnvs must be divisible by it). */
  numMinibatches: number;
  updateEpochs: number;
  normAdvantages: boolean;
  clipCoef: number;
  clipValueLoss: boolean;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  /** Divide rewards by the running std of the discounted return (CleanRL's NormalizeReward). */
  normRewards: boolean;
  features: FeatureSetName;
  actions: ActionSpaceName;
  /** How the policy reads a deterministic decision in the operator (saved in the model). */
  decision: DecisionRule;
  reward: RewardConfig;
  /**
   * Scale-down stabilization the policy declares for rails (0: none): trained under it, and the
   * operator applies it, like the HPA's 300 s for `hpa` (ADR 012).
   */
  scaleDownStabilizationSeconds: number;
  /** LSTM width (256 in both papers). */
  lstmUnits: number;
  intervalSeconds: number;
  /** Decisions per training episode. */
  episodeIntervals: number;
  minReplicas: number;
  maxReplicas: number;
  /** Evaluate on the validation pool every this many updates (0: never). */
  evalEvery: number;
  /** Checkpoint every this many updates (0: only at the end). */
  checkpointEvery: number;
}

export const DEFAULT_TRAIN_ARGS: Omit<TrainArgs, 'algo'> = {
  seed: 1,
  totalSteps: 100_000,
  numEnvs: 8,
  numSteps: 64,
  learningRate: 3e-4,
  annealLr: true,
  gamma: 0.99,
  gaeLambda: 0.95,
  numMinibatches: 4,
  updateEpochs: 4,
  normAdvantages: true,
  clipCoef: 0.2,
  clipValueLoss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normRewards: true,
  features: 'lstm-ppo-plus',
  actions: 'delta5',
  decision: 'mode',
  scaleDownStabilizationSeconds: 0,
  reward: { name: 'gaussian' },
  lstmUnits: 256,
  intervalSeconds: 30,
  episodeIntervals: 120,
  minReplicas: 1,
  maxReplicas: 64,
  evalEvery: 10,
  checkpointEvery: 10,
};

/**
 * The set-up `train --algo` starts from. LSTM-PPO and PPO are the published ones (ADR 005);
 * LSTM-PPO+ is the shipped, improved one (ADR 012) unless `paper` asks for the published one
 * (its 7 features, delta5, the Gaussian reward, γ 0.99, Adam 3e-4).
 */
export function algoDefaults(algo: Algo, options: { paper?: boolean } = {}): Partial<TrainArgs> {
  switch (algo) {
    case 'lstm-ppo-plus':
      return options.paper
        ? { features: 'lstm-ppo-plus', actions: 'delta5', reward: { name: 'gaussian' } }
        : {
            features: 'extended',
            actions: 'utilisation5',
            decision: 'mean',
            scaleDownStabilizationSeconds: 120,
            reward: { name: 'slo-cost', violationWeight: 4 },
            learningRate: 1e-3,
            gamma: 0.9,
            gaeLambda: 0.9,
          };
    case 'lstm-ppo':
      return { features: 'agarwal', actions: 'delta5', reward: { name: 'agarwal' } };
    case 'ppo':
      return { features: 'lstm-ppo-plus', actions: 'delta5', reward: { name: 'gaussian' } };
  }
}

export interface TrainInput {
  args: TrainArgs;
  pool: EnvFunction[];
  validation: EnvFunction[];
  sim?: Partial<SimConfig>;
  out: string;
  trace: TraceProvenance | null;
  packageVersion: string;
  gitCommit: string | null;
  backend: string;
  /** Resume from `out/checkpoint` when it exists. */
  resume: boolean;
  /** Called after every update (progress bar, logs). */
  onUpdate?: (row: CurveRow, totalUpdates: number) => void;
  log?: (line: string) => void;
}

/** One row of the learning curves (CSV and HTML). */
export interface CurveRow {
  update: number;
  globalStep: number;
  wallSeconds: number;
  stepsPerSecond: number;
  updateSeconds: number;
  learningRate: number;
  episodeReward: number | null;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  explainedVariance: number;
  evalReward: number | null;
  evalReplicaSeconds: number | null;
  evalSloViolationRate: number | null;
}

export interface TrainResult {
  network: ActorCritic;
  features: FeatureConfig;
  curves: CurveRow[];
  environmentSteps: number;
  updates: number;
  wallSeconds: number;
}

interface TrainerState {
  update: number;
  globalStep: number;
  wallSeconds: number;
  rng: ReturnType<Rng['snapshot']>;
  obsRms: { mean: number[]; variance: number[]; count: number };
  returnRms: { mean: number; variance: number; count: number };
  optimizer: { name: string; shape: number[]; values: number[] }[];
  curves: CurveRow[];
}

export async function train(input: TrainInput): Promise<TrainResult> {
  const { args, pool } = input;
  const log = input.log ?? (() => undefined);
  if (args.numEnvs % args.numMinibatches !== 0)
    throw new Error(`numEnvs (${args.numEnvs}) must be divisible by numMinibatches (${args.numMinibatches})`);
  const batchSize = args.numEnvs * args.numSteps;
  const numUpdates = Math.max(1, Math.floor(args.totalSteps / batchSize));

  // ---- seeding, environments, network, optimiser ------------------------------------------
  const rng = new Rng(args.seed);
  const space = actionSpace(args.actions);
  const inputs = featureCount(args.features);
  const arch = { ...defaultArchitecture(args.algo, inputs, space.count) };
  if (arch.lstmUnits > 0) arch.lstmUnits = args.lstmUnits;
  const envConfig = {
    pool,
    intervalSeconds: args.intervalSeconds,
    episodeIntervals: args.episodeIntervals,
    minReplicas: args.minReplicas,
    maxReplicas: args.maxReplicas,
    features: args.features,
    actions: args.actions,
    reward: args.reward,
    behavior: behaviorFor(args),
    sim: input.sim,
  };
  const envs = Array.from({ length: args.numEnvs }, () => new SimEnv(envConfig, new Rng(rng.fork())));
  let network = new ActorCritic(arch, initialWeights(arch, rng.fork()));
  const optimizer = tf.train.adam(args.learningRate, 0.9, 0.999, 1e-5);
  const obsRms = new RunningMeanStd(inputs);
  const returnRms = { mean: 0, variance: 1, count: 1e-4 };
  let update = 0;
  let globalStep = 0;
  let wallBefore = 0;
  let curves: CurveRow[] = [];

  const checkpointDir = join(input.out, 'checkpoint');
  if (input.resume) {
    const checkpoint = await readCheckpoint<TrainerState>(checkpointDir, args.algo);
    if (checkpoint) {
      const { state } = checkpoint;
      network.dispose();
      network = checkpoint.model.network;
      update = state.update;
      globalStep = state.globalStep;
      wallBefore = state.wallSeconds;
      curves = state.curves;
      rng.restore(state.rng);
      obsRms.mean = Float64Array.from(state.obsRms.mean);
      obsRms.variance = Float64Array.from(state.obsRms.variance);
      obsRms.count = state.obsRms.count;
      Object.assign(returnRms, state.returnRms);
      await optimizer.setWeights(state.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) })));
      log(`resumed from ${checkpointDir} at update ${update}, step ${globalStep}`);
    }
  }

  // ---- rollout storage (time-major: index t·numEnvs + e) -------------------------------------
  const n = args.numEnvs;
  const features = new Float32Array(batchSize * inputs);
  const actions = new Int32Array(batchSize);
  const logProbs = new Float32Array(batchSize);
  const values = new Float32Array(batchSize);
  const rewards = new Float32Array(batchSize);
  const episodeStarts = new Float32Array(batchSize);
  const discountedReturns = new Float64Array(n);

  let rawObs = envs.map((env, e) => env.reset(e % pool.length));
  let nextEpisodeStarts = new Float32Array(n).fill(1);
  let state: LstmState | null = network.initialState(n);
  const recentEpisodeRewards: number[] = [];
  const started = Date.now();

  const standardisedBatch = (rows: number[][]): Float32Array => {
    const config = obsRms.toConfig(args.features);
    const out = new Float32Array(rows.length * inputs);
    rows.forEach((r, i) => standardise(config, r, out, i * inputs));
    return out;
  };

  while (update < numUpdates) {
    update++;
    const updateStarted = Date.now();
    // ---- anneal the learning rate ----------------------------------------------------------
    const lr = args.annealLr ? (1 - (update - 1) / numUpdates) * args.learningRate : args.learningRate;
    (optimizer as unknown as { learningRate: number }).learningRate = lr;

    // ---- rollout ---------------------------------------------------------------------------
    const initialState = state && { h: state.h.slice(), c: state.c.slice() };
    for (let t = 0; t < args.numSteps; t++) {
      globalStep += n;
      obsRms.update(rawObs);
      const x = standardisedBatch(rawObs);
      features.set(x, t * n * inputs);
      episodeStarts.set(nextEpisodeStarts, t * n);
      // Zero the state of envs whose episode starts here (CleanRL multiplies by 1 − done).
      if (state) zeroWhere(state, nextEpisodeStarts, network.arch.lstmUnits);
      const out = network.step(x, n, state);
      const { logProbs: lp, probs } = logSoftmaxRows(out.logits, space.count);
      const truncatedFinal: { e: number; raw: number[] }[] = [];
      const nextStarts = new Float32Array(n);
      for (let e = 0; e < n; e++) {
        const i = t * n + e;
        const a = rng.categorical(probs.subarray(e * space.count, (e + 1) * space.count));
        actions[i] = a;
        logProbs[i] = lp[e * space.count + a];
        values[i] = out.values[e];
        const result = envs[e].act(a);
        let r = result.reward;
        if (args.normRewards) {
          discountedReturns[e] = discountedReturns[e] * args.gamma + r;
          updateScalarRms(returnRms, discountedReturns[e]);
          r /= Math.sqrt(returnRms.variance + 1e-8);
        }
        rewards[i] = r;
        if (result.truncated) {
          nextStarts[e] = 1;
          discountedReturns[e] = 0;
          recentEpisodeRewards.push(envs[e].lastEpisodeReward);
          if (result.finalFeatures) truncatedFinal.push({ e, raw: result.finalFeatures });
        }
      }
      // Time-limit truncation is not termination: bootstrap γ·V(last observation) into the last
      // reward (Stable-Baselines3's handling), using the state after this step.
      if (truncatedFinal.length > 0) {
        const finalRows = envs.map((env, e) => truncatedFinal.find((f) => f.e === e)?.raw ?? env.features);
        const boot = network.step(standardisedBatch(finalRows), n, out.state);
        for (const { e } of truncatedFinal) rewards[t * n + e] += args.gamma * boot.values[e];
      }
      state = out.state;
      nextEpisodeStarts = nextStarts;
      rawObs = envs.map((env) => env.features);
    }

    // ---- GAE ------------------------------------------------------------------------------
    const stateForNext = state && { h: state.h.slice(), c: state.c.slice() };
    if (stateForNext) zeroWhere(stateForNext, nextEpisodeStarts, network.arch.lstmUnits);
    const next = network.step(standardisedBatch(rawObs), n, stateForNext);
    const { advantages, returns } = computeGae({
      steps: args.numSteps,
      envs: n,
      rewards,
      values,
      episodeStarts,
      nextValues: next.values,
      nextEpisodeStarts,
      gamma: args.gamma,
      lambda: args.gaeLambda,
    });

    // ---- PPO update ------------------------------------------------------------------------
    const rolloutSeconds = (Date.now() - updateStarted) / 1000;
    const stats: UpdateStats = ppoUpdate(
      { network, optimizer },
      { steps: args.numSteps, envs: n, features, actions, logProbs, values, advantages, returns, episodeStarts, initialState },
      {
        epochs: args.updateEpochs,
        minibatches: args.numMinibatches,
        clipCoef: args.clipCoef,
        clipValueLoss: args.clipValueLoss,
        vfCoef: args.vfCoef,
        entCoef: args.entCoef,
        maxGradNorm: args.maxGradNorm,
        normAdvantages: args.normAdvantages,
      },
      rng,
    );

    // ---- logging, evaluation, checkpoint ----------------------------------------------------
    const wallSeconds = wallBefore + (Date.now() - started) / 1000;
    const episodeReward = recentEpisodeRewards.length > 0 ? mean(recentEpisodeRewards.splice(0)) : null;
    let evaluation: ValidationResult | null = null;
    // The first update is always checked: the curve then starts where the policy started.
    if (input.validation.length > 0 && args.evalEvery > 0 && (update === 1 || update % args.evalEvery === 0 || update === numUpdates)) {
      evaluation = evaluateDeployedRule(
        { network, features: obsRms.toConfig(args.features), decision: args.decision },
        { ...envConfig, pool: input.validation },
        args.seed,
      );
    }
    const row: CurveRow = {
      update,
      globalStep,
      wallSeconds,
      stepsPerSecond: (n * args.numSteps) / Math.max(rolloutSeconds, 1e-3),
      updateSeconds: (Date.now() - updateStarted) / 1000 - rolloutSeconds,
      learningRate: lr,
      episodeReward,
      ...stats,
      evalReward: evaluation?.reward ?? null,
      evalReplicaSeconds: evaluation?.replicaSeconds ?? null,
      evalSloViolationRate: evaluation?.sloViolationRate ?? null,
    };
    curves.push(row);
    input.onUpdate?.(row, numUpdates);
    if ((args.checkpointEvery > 0 && update % args.checkpointEvery === 0) || update === numUpdates) {
      const meta = metadataFor(input, obsRms.toConfig(args.features), { environmentSteps: globalStep, updates: update, wallSeconds });
      const trainerState: TrainerState = {
        update,
        globalStep,
        wallSeconds,
        rng: rng.snapshot(),
        obsRms: { mean: [...obsRms.mean], variance: [...obsRms.variance], count: obsRms.count },
        returnRms: { ...returnRms },
        optimizer: await Promise.all(
          (await optimizer.getWeights()).map(async (w) => ({
            name: w.name,
            shape: [...w.tensor.shape],
            values: [...(await w.tensor.data())],
          })),
        ),
        curves,
      };
      await writeCheckpoint(checkpointDir, { network, meta }, trainerState);
    }
  }

  optimizer.dispose();
  const wallSeconds = curves.length > 0 ? curves[curves.length - 1].wallSeconds : 0;
  return { network, features: obsRms.toConfig(args.features), curves, environmentSteps: globalStep, updates: update, wallSeconds };
}

/** The metadata saved with a model from this run. */
export function metadataFor(
  input: TrainInput,
  features: FeatureConfig,
  progress: { environmentSteps: number; updates: number; wallSeconds: number },
): ModelMetadataInput {
  const { environmentSteps: steps, updates, wallSeconds } = progress;
  const behavior = behaviorFor(input.args);
  return {
    ...(behavior ? { behavior } : {}),
    features,
    actions: { space: input.args.actions, decision: input.args.decision },
    reward: { ...input.args.reward },
    training: {
      args: { ...input.args, sim: input.sim ?? {} } as unknown as Record<string, unknown>,
      environmentSteps: steps,
      updates,
      wallSeconds: Math.round(wallSeconds),
      backend: input.backend,
    },
    trace: input.trace,
    packageVersion: input.packageVersion,
    gitCommit: input.gitCommit,
    createdAt: new Date().toISOString(),
  };
}

/** The rails behaviour a model declares, from its training arguments (undefined: none). */
export function behaviorFor(args: Pick<TrainArgs, 'scaleDownStabilizationSeconds'>): ScalingBehavior | undefined {
  if (!(args.scaleDownStabilizationSeconds > 0)) return undefined;
  return { scaleDown: { stabilizationWindowSeconds: args.scaleDownStabilizationSeconds, selectPolicy: 'Max', policies: [] } };
}

export interface ValidationResult {
  reward: number;
  replicaSeconds: number;
  sloViolationRate: number;
}

/** Validation episodes per check, at the least, spread over the entries (one each when there are more). */
export const VALIDATION_MIN_EPISODES = 8;

/**
 * Deterministic episodes from fixed seeds, decided by the rule the model is saved with (`decision`:
 * the operator's own `decideFromLogits`), under the rails the policy declares: the periodic check
 * of the learning curves. Each validation entry runs ceil(VALIDATION_MIN_EPISODES / entries)
 * episodes (their own start offsets, starting replicas and arrival draws), so that a single short
 * recording still gives a mean that moves when the policy does, rather than one 16-interval
 * episode whose violation rate can only change in steps of 1/16. Reward and replica-seconds: the
 * mean per episode of each entry, summed over entries. The final comparison is `evaluate`.
 */
export function evaluateDeployedRule(
  model: { network: ActorCritic; features: FeatureConfig; decision: DecisionRule },
  envConfig: ConstructorParameters<typeof SimEnv>[0],
  seed: number,
): ValidationResult {
  const { network, features, decision } = model;
  let reward = 0;
  let replicaSeconds = 0;
  let violations = 0;
  let intervals = 0;
  const episodes = Math.max(1, Math.ceil(VALIDATION_MIN_EPISODES / Math.max(1, envConfig.pool.length)));
  envConfig.pool.forEach((_, k) => {
    for (let j = 0; j < episodes; j++) {
      const env = new SimEnv(envConfig, new Rng(seed * 1000 + k + 1_000_000 * j));
      let raw = env.reset(k);
      let state = network.initialState(1);
      for (let t = 0; t < envConfig.episodeIntervals; t++) {
        const x = new Float32Array(raw.length);
        standardise(features, raw, x, 0);
        const out = network.step(x, 1, state);
        state = out.state;
        const decided = decideFromLogits({ space: env.space, rule: decision }, out.logits, env.observation, env.context);
        const result = env.actDesired(decided.valid ? decided.desiredReplicas : env.observation.replicas);
        const stats = env.lastStats!;
        reward += result.reward / episodes;
        replicaSeconds += stats.replicaSeconds / episodes;
        intervals++;
        if (stats.p95Ms !== null && stats.p95Ms > env.function.sloP95Ms) violations++;
        raw = env.features;
      }
    }
  });
  return { reward, replicaSeconds, sloViolationRate: intervals > 0 ? violations / intervals : 0 };
}

function zeroWhere(state: LstmState, starts: Float32Array, units: number): void {
  for (let e = 0; e < starts.length; e++) {
    if (starts[e]) {
      state.h.fill(0, e * units, (e + 1) * units);
      state.c.fill(0, e * units, (e + 1) * units);
    }
  }
}

function updateScalarRms(rms: { mean: number; variance: number; count: number }, x: number): void {
  const total = rms.count + 1;
  const delta = x - rms.mean;
  rms.mean += delta / total;
  rms.variance = (rms.variance * rms.count + (delta * delta * rms.count) / total) / total;
  rms.count = total;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export async function writeCurves(dir: string, curves: readonly CurveRow[]): Promise<void> {
  await makeDirs(dir);
  const columns = Object.keys(curves[0] ?? {}) as (keyof CurveRow)[];
  const lines = [columns.join(',')];
  for (const row of curves) lines.push(columns.map((c) => (row[c] === null ? '' : String(row[c]))).join(','));
  await writeFile(join(dir, 'curves.csv'), `${lines.join('\n')}\n`);
}
