/**
 * Training throughput: environment steps per second (the simulator alone, and a rollout with the
 * LSTM-PPO+ network choosing actions for 8 envs), and the time of one PPO update (4 epochs over a
 * rollout of 8 envs × 32 steps, 2 minibatches of whole sequences) for each network.
 */
import { initTfBackend, tf } from '../operator/src/model/backend.js';
import { actionSpace } from '../operator/src/model/actions.js';
import { featureCount, standardise, RunningMeanStd } from '../operator/src/model/features.js';
import { ActorCritic, ALGOS, defaultArchitecture, initialWeights } from '../operator/src/model/networks.js';
import { Rng } from '../operator/src/model/random.js';
import { ppoUpdate } from '../operator/src/training/ppo-update.js';
import { SimEnv, type EnvConfig } from '../operator/src/training/sim-env.js';
import type { TraceFunction } from '#kernel/traces/types.js';

// A 2-hour function at ~8 RPS with a 400 ms mean service time: ~3 replicas' worth.
const fn: TraceFunction = {
  id: 'bench',
  row: 1,
  counts: Array.from({ length: 120 }, (_, i) => 480 + 200 * Math.sin(i / 7)),
  profile: {
    durations: {
      averageMs: 400,
      count: 1,
      minimumMs: 100,
      maximumMs: 2000,
      percentilesMs: { 0: 100, 1: 150, 25: 300, 50: 380, 75: 470, 99: 900, 100: 2000 },
    },
  },
};

export async function run(): Promise<void> {
  const backend = await initTfBackend();
  console.log(`backend: ${backend.name}`);
  const config: EnvConfig = {
    pool: [{ fn, binSeconds: 60, rateScale: 1, sloP95Ms: 1000 }],
    intervalSeconds: 30,
    episodeIntervals: 120,
    minReplicas: 1,
    maxReplicas: 64,
    features: 'extended',
    actions: 'utilisation5',
    reward: { name: 'slo-cost', violationWeight: 5 },
  };
  const envs = Array.from({ length: 8 }, (_, i) => new SimEnv(config, new Rng(i + 1)));
  envs.forEach((e) => e.reset(0));
  const rng = new Rng(1);
  const space = actionSpace('utilisation5');

  // Simulator alone (random actions).
  let steps = 0;
  let start = performance.now();
  while (performance.now() - start < 3000) {
    for (const env of envs) env.act(rng.int(space.count));
    steps += envs.length;
  }
  const simOnly = steps / ((performance.now() - start) / 1000);
  console.log(`environment steps/s, simulator only (8 envs, ~8 RPS function): ${simOnly.toFixed(0)}`);

  // Rollout with the LSTM-PPO+ network deciding (batched over the 8 envs).
  const inputs = featureCount('extended');
  const arch = defaultArchitecture('lstm-ppo-plus', inputs, space.count);
  const net = new ActorCritic(arch, initialWeights(arch, 1));
  const rms = new RunningMeanStd(inputs);
  let state = net.initialState(envs.length);
  steps = 0;
  start = performance.now();
  while (performance.now() - start < 3000) {
    const rows = envs.map((e) => e.features);
    rms.update(rows);
    const cfg = rms.toConfig('extended');
    const x = new Float32Array(rows.length * inputs);
    rows.forEach((r, i) => standardise(cfg, r, x, i * inputs));
    const out = net.step(x, envs.length, state);
    state = out.state;
    envs.forEach((env, e) =>
      env.act(
        out.logits
          .subarray(e * space.count, (e + 1) * space.count)
          .indexOf(Math.max(...out.logits.subarray(e * space.count, (e + 1) * space.count))),
      ),
    );
    steps += envs.length;
  }
  const withNet = steps / ((performance.now() - start) / 1000);
  console.log(
    `environment steps/s, rollout with LSTM-PPO+ deciding: ${withNet.toFixed(0)} (${(simOnly / withNet).toFixed(1)}× slower than the simulator alone)`,
  );
  net.dispose();

  // One PPO update per network.
  const T = 32;
  const N = 8;
  for (const algo of ALGOS) {
    const a = defaultArchitecture(algo, inputs, space.count);
    const network = new ActorCritic(a, initialWeights(a, 2));
    const optimizer = tf.train.adam(3e-4, 0.9, 0.999, 1e-5);
    const batch = {
      steps: T,
      envs: N,
      features: new Float32Array(T * N * inputs).map((_, i) => Math.sin(i)),
      actions: new Int32Array(T * N).map((_, i) => i % space.count),
      logProbs: new Float32Array(T * N).fill(-Math.log(space.count)),
      values: new Float32Array(T * N),
      advantages: new Float32Array(T * N).map((_, i) => Math.cos(i)),
      returns: new Float32Array(T * N).map((_, i) => Math.sin(i / 3)),
      episodeStarts: new Float32Array(T * N),
      initialState: network.initialState(N),
    };
    const args = {
      epochs: 4,
      minibatches: 2,
      clipCoef: 0.2,
      clipValueLoss: true,
      vfCoef: 0.5,
      entCoef: 0.01,
      maxGradNorm: 0.5,
      normAdvantages: true,
    };
    ppoUpdate({ network, optimizer }, batch, { ...args, epochs: 1 }, rng);
    const t0 = performance.now();
    const reps = 2;
    for (let i = 0; i < reps; i++) ppoUpdate({ network, optimizer }, batch, args, rng);
    const ms = (performance.now() - t0) / reps;
    console.log(
      `${algo}: one PPO update (${N}×${T} samples, 4 epochs) ${(ms / 1000).toFixed(2)} s = ${(ms / (4 * N * T)).toFixed(2)} ms per sample-epoch`,
    );
    optimizer.dispose();
    network.dispose();
  }
}
