import { createOpenFaasProPolicy } from '../../../operator/src/policies/openfaas-pro.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import { deps, observation } from './fixtures.js';
import type { Observation } from '../../../operator/src/metrics/types.js';

describe('openfaas-pro policy: desired = ceil(ready × load per pod / (target × proportion))', () => {
  const cases: { name: string; params?: Record<string, unknown>; obs: Partial<Observation>; want: number | RegExp }[] = [
    // rps, target 50, proportion 0.9: 100 rps / 45 per replica = 2.22 → 3.
    { name: 'rps: 100 rps at 45 per replica → 3', obs: { replicas: 2, readyReplicas: 2, rps: 100 }, want: 3 },
    // exactly at target × proportion: 45 / 45 = 1.
    { name: 'rps: exactly 45 rps → 1', obs: { replicas: 2, readyReplicas: 2, rps: 45 }, want: 1 },
    // no load: 0 → clamped to min 1 (.zero off).
    { name: 'rps: idle is clamped to scaleMin 1', obs: { replicas: 3, readyReplicas: 3, rps: 0 }, want: 1 },
    // 1000 / 45 = 22.2 → 23 → clamped to max 20.
    { name: 'rps: clamped to the default scaleMax 20', obs: { replicas: 3, readyReplicas: 3, rps: 1000 }, want: 20 },
    // the load is a total, so 0 ready pods still give an answer
    { name: 'rps: works with no ready pods', obs: { replicas: 1, readyReplicas: 0, rps: 100 }, want: 3 },
    { name: 'rps: custom target and proportion', params: { target: 10, targetProportion: 0.5 }, obs: { rps: 12 }, want: 3 },
    // capacity: 30 in flight / (10 × 0.9) = 3.33 → 4.
    { name: 'capacity: 30 in flight at target 10 → 4', params: { type: 'capacity', target: 10 }, obs: { inflight: 30 }, want: 4 },
    {
      name: 'capacity: no inflight gauge (CE) → invalid',
      params: { type: 'capacity', target: 10 },
      obs: { inflight: null },
      want: /in-flight requests missing/,
    },
    // cpu: 90 % of a 500m request = 450m per pod, 4 ready: 1800m / (300m × 0.9) = 6.67 → 7.
    {
      name: 'cpu: 4 ready at 450m, target 300m → 7',
      params: { type: 'cpu', target: 300 },
      obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 0.9 },
      want: 7,
    },
    { name: 'cpu: CPU missing → invalid', params: { type: 'cpu', target: 300 }, obs: { cpuPerReplica: null }, want: /CPU usage missing/ },
    {
      name: 'cpu: readiness unknown → invalid',
      params: { type: 'cpu', target: 300 },
      obs: { readyReplicas: null, cpuPerReplica: 0.5 },
      want: /ready replicas unknown/,
    },
    { name: 'rps: rate missing → invalid', obs: { rps: null }, want: /request rate missing/ },
    { name: 'scaleMax param clamps', params: { scaleMax: 4 }, obs: { rps: 1000 }, want: 4 },
    { name: 'scaleMin param clamps', params: { scaleMin: 3 }, obs: { rps: 1 }, want: 3 },
  ];
  test.each(cases)('$name', async ({ params, obs, want }) => {
    const policy = await createOpenFaasProPolicy(
      { name: 'openfaas-pro', params },
      deps({ resourceRequests: { cpuCores: 0.5, memoryBytes: 128 * 2 ** 20 } }),
    );
    const got = policy.recommend(observation(obs), 0);
    if (typeof want === 'number') expect({ desired: got.valid ? got.desiredReplicas : got.reason }).toEqual({ desired: want });
    else expect(got).toEqual({ valid: false, reason: expect.stringMatching(want) });
  });

  test('the reason shows the load and the per-replica target', async () => {
    const policy = await createOpenFaasProPolicy({ name: 'openfaas-pro' }, deps());
    expect(policy.recommend(observation({ rps: 100 }), 0).reason).toBe('rps: 100.00 rps / (50 × 0.9 per replica) → 3');
  });
});

describe('openfaas-pro scale-down window (com.openfaas.scale.down.window) through rails', () => {
  // rps 450 → 10 replicas at t0, then the load drops to 45 rps (→ 1). With a 120-s window rails
  // hold the highest recommendation of the window: 10 until the t0 recommendation leaves it
  // (t120: cutoff 0 is not before t0), then 1. Without a window the drop is immediate.
  const script = [
    { atSeconds: 0, rps: 450 },
    { atSeconds: 30, rps: 45 },
    { atSeconds: 60, rps: 45 },
    { atSeconds: 90, rps: 45 },
    { atSeconds: 120, rps: 45 },
  ];
  test.each([
    { name: 'window 120 s holds the peak for 120 s', window: 120, want: [10, 10, 10, 10, 1] },
    { name: 'window 0 (default) drops at once', window: 0, want: [10, 1, 1, 1, 1] },
  ])('$name', async ({ window, want }) => {
    const policy = await createOpenFaasProPolicy({ name: 'openfaas-pro', params: { scaleDownWindowSeconds: window } }, deps());
    const rails = new Rails({ minReplicas: 1, maxReplicas: 20, behavior: policy.defaultBehavior });
    let replicas = 1;
    const got: number[] = [];
    for (const step of script) {
      const rec = policy.recommend(observation({ replicas, readyReplicas: replicas, rps: step.rps }), step.atSeconds * 1000);
      if (!rec.valid) throw new Error(rec.reason);
      replicas = rails.apply({
        currentReplicas: replicas,
        rawDesiredReplicas: rec.desiredReplicas,
        now: step.atSeconds * 1000,
      }).boundedDesiredReplicas;
      got.push(replicas);
    }
    expect(got).toEqual(want);
  });

  test('declares the window as scale-down stabilization and no rate limits', async () => {
    const policy = await createOpenFaasProPolicy({ name: 'openfaas-pro', params: { scaleDownWindowSeconds: 300 } }, deps());
    expect(policy.defaultBehavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [] },
    });
  });
});
