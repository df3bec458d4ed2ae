/**
 * One PPO update on a collected rollout (CleanRL `ppo_atari_lstm.py`, the part after GAE):
 * several epochs over minibatches of whole env sequences (so the LSTM is replayed from the
 * initial state it had when the rollout began, truncated BPTT over the rollout), the clipped
 * surrogate objective, a clipped value loss, an entropy bonus and global gradient-norm clipping.
 * For the feed-forward PPO network the same code runs with no state.
 */
import { tf } from '../model/backend.js';
import type { ActorCritic, LstmState } from '../model/networks.js';
import type { Rng } from '../model/random.js';

/** A rollout of `steps` × `envs`, time-major (index t·envs + e). */
export interface RolloutBatch {
  steps: number;
  envs: number;
  /** Standardised features, [steps·envs, inputs]. */
  features: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  /** 1 where the step begins an episode (the LSTM state is zeroed before it). */
  episodeStarts: Float32Array;
  /** LSTM state of every env before the first step of the rollout (null: feed-forward). */
  initialState: LstmState | null;
}

export interface UpdateArgs {
  /** Passes over the rollout. */
  epochs: number;
  /** Minibatches per epoch; envs are split among them (envs must be divisible). */
  minibatches: number;
  clipCoef: number;
  /** Clip the value loss around the old values too (CleanRL's clip_vloss). */
  clipValueLoss: boolean;
  vfCoef: number;
  entCoef: number;
  maxGradNorm: number;
  /** Standardise advantages per minibatch. */
  normAdvantages: boolean;
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  gradNorm: number;
  /** Fraction of the return variance the value function explains. */
  explainedVariance: number;
}

export function ppoUpdate(
  model: { network: ActorCritic; optimizer: tf.Optimizer },
  batch: RolloutBatch,
  args: UpdateArgs,
  rng: Rng,
): UpdateStats {
  const { network, optimizer } = model;
  const { steps, envs } = batch;
  if (envs % args.minibatches !== 0) throw new Error(`envs (${envs}) must be divisible by minibatches (${args.minibatches})`);
  const envsPerBatch = envs / args.minibatches;
  const inputs = network.arch.inputSize;
  const actionCount = network.arch.actionCount;
  const variables = network.trainableVariables();
  const sums = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, gradNorm: 0 };
  let count = 0;

  const envOrder = Array.from({ length: envs }, (_, i) => i);
  for (let epoch = 0; epoch < args.epochs; epoch++) {
    shuffle(envOrder, rng);
    for (let start = 0; start < envs; start += envsPerBatch) {
      const mbEnvs = envOrder.slice(start, start + envsPerBatch);
      const mb = gather(batch, mbEnvs, inputs, network.arch.lstmUnits);
      if (args.normAdvantages) standardiseInPlace(mb.advantages);

      const stats: tf.Tensor[] = [];
      const lossFn = (): tf.Scalar => {
        const rows = steps * mbEnvs.length;
        const { logits, values } = network.unroll({
          features: tf.tensor2d(mb.features, [rows, inputs]),
          episodeStarts: tf.tensor2d(mb.episodeStarts, [rows, 1]),
          initialState: mb.initialState,
          steps,
          batch: mbEnvs.length,
        });
        const logp = tf.logSoftmax(logits);
        const newLogProb = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(mb.actions, 'int32'), actionCount)), 1);
        const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)));
        const logRatio = tf.sub(newLogProb, tf.tensor1d(mb.logProbs));
        const ratio = tf.exp(logRatio);
        const adv = tf.tensor1d(mb.advantages);
        const pg1 = tf.mul(tf.neg(adv), ratio);
        const pg2 = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - args.clipCoef, 1 + args.clipCoef));
        const policyLoss = tf.mean(tf.maximum(pg1, pg2));

        const returns = tf.tensor1d(mb.returns);
        let valueLoss: tf.Scalar;
        if (args.clipValueLoss) {
          const oldValues = tf.tensor1d(mb.values);
          const clipped = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -args.clipCoef, args.clipCoef));
          valueLoss = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clipped, returns)))));
        } else {
          valueLoss = tf.mul(0.5, tf.mean(tf.square(tf.sub(values, returns))));
        }
        // approx_kl = mean((ratio − 1) − log ratio) (Schulman's low-variance estimator, as CleanRL).
        const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio));
        const clipFraction = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), args.clipCoef), 'float32'));
        stats.push(tf.keep(policyLoss), tf.keep(valueLoss), tf.keep(entropy), tf.keep(approxKl), tf.keep(clipFraction));
        return tf.add(tf.sub(policyLoss, tf.mul(args.entCoef, entropy)), tf.mul(args.vfCoef, valueLoss)) as tf.Scalar;
      };

      const gradNorm = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(lossFn, variables);
        value.dispose();
        const list = Object.values(grads);
        const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
        const normValue = norm.dataSync()[0];
        const scale = normValue > args.maxGradNorm ? args.maxGradNorm / (normValue + 1e-6) : 1;
        const clipped: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(grads)) clipped[name] = scale === 1 ? g : tf.mul(g, scale);
        optimizer.applyGradients(clipped);
        return normValue;
      });

      const [policyLoss, valueLoss, entropy, approxKl, clipFraction] = stats.map((t) => t.dataSync()[0]);
      tf.dispose(stats);
      sums.policyLoss += policyLoss;
      sums.valueLoss += valueLoss;
      sums.entropy += entropy;
      sums.approxKl += approxKl;
      sums.clipFraction += clipFraction;
      sums.gradNorm += gradNorm;
      count++;
    }
  }
  return {
    policyLoss: sums.policyLoss / count,
    valueLoss: sums.valueLoss / count,
    entropy: sums.entropy / count,
    approxKl: sums.approxKl / count,
    clipFraction: sums.clipFraction / count,
    gradNorm: sums.gradNorm / count,
    explainedVariance: explainedVariance(batch.values, batch.returns),
  };
}

interface Minibatch {
  features: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  episodeStarts: Float32Array;
  initialState: LstmState | null;
}

/** The whole sequences of some envs, still time-major (row t·|mbEnvs| + j). */
function gather(batch: RolloutBatch, mbEnvs: readonly number[], inputs: number, units: number): Minibatch {
  const { steps, envs } = batch;
  const n = steps * mbEnvs.length;
  const mb: Minibatch = {
    features: new Float32Array(n * inputs),
    actions: new Int32Array(n),
    logProbs: new Float32Array(n),
    values: new Float32Array(n),
    advantages: new Float32Array(n),
    returns: new Float32Array(n),
    episodeStarts: new Float32Array(n),
    initialState: null,
  };
  for (let t = 0; t < steps; t++) {
    mbEnvs.forEach((e, j) => {
      const src = t * envs + e;
      const dst = t * mbEnvs.length + j;
      mb.features.set(batch.features.subarray(src * inputs, (src + 1) * inputs), dst * inputs);
      mb.actions[dst] = batch.actions[src];
      mb.logProbs[dst] = batch.logProbs[src];
      mb.values[dst] = batch.values[src];
      mb.advantages[dst] = batch.advantages[src];
      mb.returns[dst] = batch.returns[src];
      mb.episodeStarts[dst] = batch.episodeStarts[src];
    });
  }
  if (batch.initialState) {
    const h = new Float32Array(mbEnvs.length * units);
    const c = new Float32Array(mbEnvs.length * units);
    mbEnvs.forEach((e, j) => {
      h.set(batch.initialState!.h.subarray(e * units, (e + 1) * units), j * units);
      c.set(batch.initialState!.c.subarray(e * units, (e + 1) * units), j * units);
    });
    mb.initialState = { h, c };
  }
  return mb;
}

function shuffle(values: number[], rng: Rng): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
}

function standardiseInPlace(values: Float32Array): void {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  // Unbiased, as torch.Tensor.std in CleanRL.
  const std = Math.sqrt(variance / Math.max(values.length - 1, 1));
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - mean) / (std + 1e-8);
}

/** 1 − Var(returns − values) / Var(returns); NaN when the returns do not vary. */
export function explainedVariance(values: Float32Array, returns: Float32Array): number {
  const n = returns.length;
  let mr = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i];
    md += returns[i] - values[i];
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vr += (returns[i] - mr) ** 2;
    vd += (returns[i] - values[i] - md) ** 2;
  }
  return vr === 0 ? Number.NaN : 1 - vd / vr;
}

/** log π(a) for each row of logits (the rollout's stored log-probabilities), and the probabilities. */
export function logSoftmaxRows(logits: Float32Array, actionCount: number): { logProbs: Float32Array; probs: Float32Array } {
  const rows = logits.length / actionCount;
  const logProbs = new Float32Array(logits.length);
  const probs = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let a = 0; a < actionCount; a++) max = Math.max(max, logits[r * actionCount + a]);
    let sum = 0;
    for (let a = 0; a < actionCount; a++) sum += Math.exp(logits[r * actionCount + a] - max);
    const logSum = max + Math.log(sum);
    for (let a = 0; a < actionCount; a++) {
      logProbs[r * actionCount + a] = logits[r * actionCount + a] - logSum;
      probs[r * actionCount + a] = Math.exp(logProbs[r * actionCount + a]);
    }
  }
  return { logProbs, probs };
}
