/**
 * Decision latency of the learned policies: one `recommend` for one function (what the operator
 * does per function per interval), 1,000 functions one by one, and one batched network step for
 * 1,000 functions. Reference in the same process: the HPA policy's `recommend`.
 */
import { initTfBackend, tf } from '../operator/src/model/backend.js';
import { featureCount } from '../operator/src/model/features.js';
import { ActorCritic, ALGOS, defaultArchitecture, initialWeights } from '../operator/src/model/networks.js';
import type { Observation } from '../operator/src/metrics/types.js';
import { createPolicy } from '../operator/src/policies/registry.js';
import { shippedModelDir } from '../operator/src/policies/learned-policy.js';
import { existsSync } from 'node:fs';

function observation(fn: string, t: number): Observation {
  return {
    functionName: fn,
    windowSeconds: 30,
    rps: 10 + Math.sin(t),
    requests: 300,
    p95LatencyMs: 800,
    meanExecutionMs: 400,
    errorRate: 0,
    replicas: 5,
    readyReplicas: 5,
    cpuPerReplica: 0.6,
    memoryPerReplica: 0.3,
    inflight: null,
    missing: [],
    problems: [],
  };
}

function timeIt(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(20, n); i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (performance.now() - start) / n;
}

export async function run(): Promise<void> {
  const backend = await initTfBackend();
  console.log(`backend: ${backend.name}`);
  const deps = { minReplicas: 1, maxReplicas: 64, sloP95Ms: 1000, intervalSeconds: 30 };
  const hpa = await createPolicy({ name: 'hpa' }, deps);
  const hpaMs = timeIt(20000, (i) => hpa.recommend(observation('f', i), i));
  console.log(`reference: hpa recommend ${(hpaMs * 1000).toFixed(2)} µs`);

  for (const algo of ALGOS) {
    if (!existsSync(shippedModelDir(algo))) {
      console.log(`${algo}: no shipped model in ${shippedModelDir(algo)}, skipped`);
      continue;
    }
    const policy = await createPolicy({ name: algo }, deps);
    const oneMs = timeIt(300, (i) => policy.recommend(observation('f', i), i));
    const thousand = timeIt(2, () => {
      for (let f = 0; f < 1000; f++) policy.recommend(observation(`f${f}`, f), 0);
    });
    console.log(
      `${algo}: one function ${oneMs.toFixed(3)} ms/decision (${(oneMs / hpaMs).toFixed(0)}× hpa); ` +
        `1,000 functions one by one ${thousand.toFixed(0)} ms (${(thousand / 1000).toFixed(3)} ms per function)`,
    );
    policy.dispose();
  }

  // One batched step for 1,000 functions (what a controller batching its functions would pay).
  for (const algo of ALGOS) {
    const set = algo === 'lstm-ppo' ? 'agarwal' : 'lstm-ppo-plus';
    const arch = defaultArchitecture(algo, featureCount(set), 5);
    const net = new ActorCritic(arch, initialWeights(arch, 1));
    const batch = 1000;
    const x = new Float32Array(batch * arch.inputSize).map((_, i) => Math.sin(i));
    let state = net.initialState(batch);
    const ms = timeIt(10, () => {
      state = net.step(x, batch, state).state ?? state;
    });
    console.log(`${algo}: batched step for ${batch} functions ${ms.toFixed(1)} ms (${((ms / batch) * 1000).toFixed(1)} µs per function)`);
    net.dispose();
  }
  console.log(`tensors alive: ${tf.memory().numTensors}`);
}
