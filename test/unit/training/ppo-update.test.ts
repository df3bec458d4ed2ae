import { initTfBackend, tf } from '../../../operator/src/model/backend.js';
import { ActorCritic, defaultArchitecture, initialWeights, type Algo } from '../../../operator/src/model/networks.js';
import { Rng } from '../../../operator/src/model/random.js';
import { computeGae } from '../../../operator/src/training/gae.js';
import { logSoftmaxRows, ppoUpdate, type RolloutBatch } from '../../../operator/src/training/ppo-update.js';

beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});

/**
 * A synthetic task with memory: the first observation of an episode shows a cue (+1 or −1) and
 * later observations are blank; the reward is 1 for action 4 after a +1 cue and for action 0 after
 * a −1 cue. Only a recurrent network can do better than chance on the blank steps.
 */
function collect(net: ActorCritic, rng: Rng, steps: number, envs: number, episodeLength: number) {
  const inputs = net.arch.inputSize;
  const features = new Float32Array(steps * envs * inputs);
  const actions = new Int32Array(steps * envs);
  const logProbs = new Float32Array(steps * envs);
  const values = new Float32Array(steps * envs);
  const rewards = new Float32Array(steps * envs);
  const episodeStarts = new Float32Array(steps * envs);
  const cues = Array.from({ length: envs }, () => (rng.next() < 0.5 ? 1 : -1));
  let state = net.initialState(envs);
  const initialState = state && { h: state.h.slice(), c: state.c.slice() };
  for (let t = 0; t < steps; t++) {
    const x = new Float32Array(envs * inputs);
    for (let e = 0; e < envs; e++) {
      const i = t * envs + e;
      const start = t % episodeLength === 0;
      if (start) {
        cues[e] = rng.next() < 0.5 ? 1 : -1;
        episodeStarts[i] = 1;
        if (state) {
          state.h.fill(0, e * net.arch.lstmUnits, (e + 1) * net.arch.lstmUnits);
          state.c.fill(0, e * net.arch.lstmUnits, (e + 1) * net.arch.lstmUnits);
        }
      }
      x[e * inputs] = start ? cues[e] : 0;
    }
    const out = net.step(x, envs, state);
    state = out.state;
    const { logProbs: lp, probs } = logSoftmaxRows(out.logits, 5);
    for (let e = 0; e < envs; e++) {
      const i = t * envs + e;
      const a = rng.categorical(probs.subarray(e * 5, e * 5 + 5));
      actions[i] = a;
      logProbs[i] = lp[e * 5 + a];
      values[i] = out.values[e];
      rewards[i] = (cues[e] > 0 && a === 4) || (cues[e] < 0 && a === 0) ? 1 : 0;
    }
    features.set(x, t * envs * inputs);
  }
  const gae = computeGae({
    steps,
    envs,
    rewards,
    values,
    episodeStarts,
    nextValues: new Float32Array(envs),
    nextEpisodeStarts: new Float32Array(envs).fill(1),
    gamma: 0.9,
    lambda: 0.95,
  });
  const batch: RolloutBatch = { steps, envs, features, actions, logProbs, values, ...gae, episodeStarts, initialState };
  const meanReward = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  return { batch, meanReward };
}

describe('ppoUpdate on a synthetic memory task', () => {
  test.each([{ algo: 'lstm-ppo-plus' as Algo }])('$algo learns to recall the cue', ({ algo }) => {
    const arch = { ...defaultArchitecture(algo, 2, 5), lstmUnits: 16 };
    const net = new ActorCritic(arch, initialWeights(arch, 1));
    const optimizer = tf.train.adam(3e-3, 0.9, 0.999, 1e-5);
    const rng = new Rng(7);
    const before = tf.memory().numTensors;
    const first = collect(net, rng, 8, 16, 4).meanReward;
    let last = first;
    let stats;
    for (let i = 0; i < 25; i++) {
      const { batch, meanReward } = collect(net, rng, 8, 16, 4);
      last = meanReward;
      stats = ppoUpdate(
        { network: net, optimizer },
        batch,
        {
          epochs: 4,
          minibatches: 4,
          clipCoef: 0.2,
          clipValueLoss: true,
          vfCoef: 0.5,
          entCoef: 0.0,
          maxGradNorm: 0.5,
          normAdvantages: true,
        },
        rng,
      );
    }
    // Chance is 0.2; recalling the cue on every step gives 1.
    expect(first).toBeLessThan(0.35);
    expect(last).toBeGreaterThan(0.8);
    expect(stats!.gradNorm).toBeGreaterThan(0);
    expect(Number.isFinite(stats!.approxKl)).toBe(true);
    // The update leaks no tensors (the optimizer keeps two moments per variable, made once).
    const moments = 2 * net.trainableVariables().length + 2;
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + moments);
    optimizer.dispose();
    net.dispose();
  });
});
