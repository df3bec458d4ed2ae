import { createKedaPolicy } from '../../../operator/src/policies/keda.js';
import { HPA_DEFAULT_BEHAVIOR } from '../../../operator/src/rails/behavior.js';
import { deps, runSteps as run } from './fixtures.js';
import type { PolicyDeps, ScalingPolicy } from '../../../operator/src/policies/policy.js';

const keda = (params: Record<string, unknown>, depsOverrides: Partial<PolicyDeps> = {}): Promise<ScalingPolicy> =>
  createKedaPolicy({ name: 'keda', params }, deps({ minReplicas: 0, ...depsOverrides }));

describe('keda policy: activation, HPA AverageValue, cooldown to zero (minReplicas 0)', () => {
  test('threshold 10 rps, activationThreshold 5, cooldown 300 s', async () => {
    const policy = await keda({ threshold: 10, activationThreshold: 5 });
    run(policy, [
      // 3 rps ≤ 5: inactive at zero → stay at zero.
      { atSeconds: 0, obs: { replicas: 0, readyReplicas: 0, rps: 3 }, want: 0, wantReason: 'staying at zero' },
      // 25 rps > 5: activate; the HPA from 1: 25 / 10 = 2.5 → 3.
      { atSeconds: 30, obs: { replicas: 0, readyReplicas: 0, rps: 25 }, want: 3, wantReason: 'activating from zero' },
      // 31 / (10 × 3) = 1.03: within the HPA tolerance → 3.
      { atSeconds: 60, obs: { replicas: 3, readyReplicas: 3, rps: 31 }, want: 3 },
      // 50 → ceil(5) = 5. Last active at t90.
      { atSeconds: 90, obs: { replicas: 3, readyReplicas: 3, rps: 50 }, want: 5 },
      // 2 rps ≤ 5: inactive, but inside the cooldown: the HPA still acts: ceil(0.2) = 1 (HPA min 1).
      { atSeconds: 120, obs: { replicas: 5, readyReplicas: 5, rps: 2 }, want: 1, wantReason: 'inactive' },
      // t390: last active 90 + 300 is not before 390 → still the HPA: 2/10 = 0.2 → 1.
      { atSeconds: 390, obs: { replicas: 1, readyReplicas: 1, rps: 2 }, want: 1 },
      // t420: 390 < 420 → cooldown over → zero.
      { atSeconds: 420, obs: { replicas: 1, readyReplicas: 1, rps: 2 }, want: 0, wantReason: 'inactive for over 300 s: scaling to zero' },
      // Exactly at the activation threshold is not active (value > activationThreshold).
      { atSeconds: 450, obs: { replicas: 0, readyReplicas: 0, rps: 5 }, want: 0, wantReason: 'inactive (<= activation 5)' },
    ]);
  });

  test('never active since start with replicas > 0: KEDA scales an idle target to zero at once', async () => {
    const policy = await keda({ threshold: 10 });
    run(policy, [{ atSeconds: 0, obs: { replicas: 2, readyReplicas: 2, rps: 0 }, want: 0, wantReason: 'never active' }]);
  });

  test('minReplicas 1: no scale to zero, the HPA part decides (at least 1)', async () => {
    const policy = await keda({ threshold: 10 }, { minReplicas: 1 });
    run(policy, [
      { atSeconds: 0, obs: { replicas: 4, readyReplicas: 4, rps: 0 }, want: 1, wantReason: 'HPA AverageValue' },
      { atSeconds: 600, obs: { replicas: 1, readyReplicas: 1, rps: 0 }, want: 1 },
    ]);
  });

  test('reset forgets lastActiveTime', async () => {
    const policy = await keda({ threshold: 10, cooldownPeriodSeconds: 600 });
    run(policy, [{ atSeconds: 0, obs: { replicas: 2, readyReplicas: 2, rps: 20 }, want: 2 }]);
    // inside the 600-s cooldown: HPA → 1
    run(policy, [{ atSeconds: 30, obs: { replicas: 2, readyReplicas: 2, rps: 0 }, want: 1 }]);
    policy.reset();
    run(policy, [{ atSeconds: 60, obs: { replicas: 2, readyReplicas: 2, rps: 0 }, want: 0, wantReason: 'never active' }]);
  });

  test.each([
    // ignoreNullValues (default true): no value counts as 0 → inactive; with replicas 2 and
    // minReplicas 1 the HPA part gives 1.
    {
      name: 'null value counts as 0 by default',
      params: { threshold: 10 },
      obs: { replicas: 2, rps: null },
      want: 1,
      wantReason: '(no value: 0)',
    },
    {
      name: 'ignoreNullValues false: null is a trigger error',
      params: { threshold: 10, ignoreNullValues: false },
      obs: { replicas: 2, rps: null },
      want: /trigger error/,
    },
    // inflight 35 / 5 per replica = 7.
    { name: 'inflight metric', params: { threshold: 5, metric: 'inflight' }, obs: { replicas: 2, inflight: 35 }, want: 7 },
    // p95 900 ms / 300 ms threshold = 3 (AverageValue semantics on whatever the query returns).
    { name: 'p95LatencyMs metric', params: { threshold: 300, metric: 'p95LatencyMs' }, obs: { replicas: 2, p95LatencyMs: 900 }, want: 3 },
    // p95 null (no requests) counts as 0 → inactive → HPA floor 1 (minReplicas 1 here).
    {
      name: 'p95LatencyMs with no requests counts as 0',
      params: { threshold: 300, metric: 'p95LatencyMs' },
      obs: { replicas: 2, p95LatencyMs: null },
      want: 1,
    },
    // cpu: 50 % of 250m × 4 ready = 500m total; 500 / 200m per replica = 2.5 → 3 (ratio 0.625).
    {
      name: 'cpu metric in millicores',
      params: { threshold: 200, metric: 'cpu' },
      obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 0.5 },
      want: 3,
    },
  ])('$name', async ({ params, obs, want, wantReason }) => {
    const policy = await keda(params, { minReplicas: 1, resourceRequests: { cpuCores: 0.25, memoryBytes: 2 ** 27 } });
    run(policy, [{ atSeconds: 0, obs, want, wantReason }]);
  });

  test('declares the HPA default behaviour for rails', async () => {
    expect((await keda({ threshold: 1 })).defaultBehavior).toEqual(HPA_DEFAULT_BEHAVIOR);
  });
});
