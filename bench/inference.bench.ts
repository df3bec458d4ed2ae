/**
 * Decision latency of the learned policies: one `recommend` for one function, 1,000 functions one
 * by one, and 1,000 functions decided together as the operator does at a tick (`recommendAll`: one
 * policy instance per function, one shared model, one batched forward pass). Reference in the same
 * process: the HPA policy's `recommend`.
 */
import { recommendAll } from '../operator/src/decision/step.js';
import { initTfBackend, tf } from '../operator/src/model/backend.js';
import { ALGOS } from '../operator/src/model/networks.js';
import type { Observation } from '../operator/src/metrics/types.js';
import { createPolicy } from '../operator/src/policies/registry.js';
import { sharedModelCount, shippedModelDir } from '../operator/src/policies/learned-policy.js';
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
    // The operator's way: an instance per FunctionAutoscaler, one model, one step per tick.
    const instances = await Promise.all(Array.from({ length: 1000 }, () => createPolicy({ name: algo }, deps)));
    const together = timeIt(3, (t) => {
      recommendAll(
        instances.map((p, f) => ({ policy: p, obs: observation(`f${f}`, f + t) })),
        t,
      );
    });
    const held = sharedModelCount();
    console.log(
      `${algo}: one function ${oneMs.toFixed(3)} ms/decision (${(oneMs / hpaMs).toFixed(0)}× hpa); ` +
        `1,000 functions one by one ${thousand.toFixed(0)} ms (${(thousand / 1000).toFixed(3)} ms per function); ` +
        `1,000 in one batch ${together.toFixed(0)} ms (${(together / 1000).toFixed(3)} ms per function, ` +
        `${(thousand / together).toFixed(1)}× faster than one by one; models in memory for 1,001 instances: ${held})`,
    );
    for (const p of instances) p.dispose();
    policy.dispose();
  }

  console.log(`tensors alive: ${tf.memory().numTensors}`);
}
