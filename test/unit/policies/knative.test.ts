import { createKnativePolicy } from '../../../operator/src/policies/knative.js';
import { deps, runSteps as run } from './fixtures.js';

describe('knative policy (KPA), 30-s observations, default target 100 × 0.7 = 70 concurrent per pod', () => {
  test('panic entry, extension, no scale-down in panic, and exit a stable window after the last surge', async () => {
    const policy = await createKnativePolicy({ name: 'knative' }, deps());
    run(policy, [
      // 70 in flight on 1 pod: stable 70 → 1, panic 70 → 1; 1/1 < 2.
      { atSeconds: 0, obs: { readyReplicas: 1, inflight: 70 }, want: 1, wantReason: 'stable mode' },
      // Surge to 350: stable (70+350)/2 = 210 → 3; panic (latest 30 s) 350 → 5; 5/1 ≥ 2 → panic,
      // max(3, 5) = 5.
      { atSeconds: 30, obs: { readyReplicas: 1, inflight: 350 }, want: 5, wantReason: 'entering panic' },
      // 700 on 5 pods: stable 525 → 8, panic 700 → 10; 10/5 = 2 ≥ 2 → still over: panic time
      // moves to t60; desired 10.
      { atSeconds: 60, obs: { readyReplicas: 5, inflight: 700 }, want: 10, wantReason: 'panic mode' },
      // Load falls to 140: stable (700+140)/2 = 420 → 6, panic 140 → 2: under the threshold, but
      // in panic the count never goes down: hold 10.
      { atSeconds: 90, obs: { readyReplicas: 10, inflight: 140 }, want: 10, wantReason: 'holding 10' },
      // t120: panic time 60 + 60 s is not before 120 → still panicking, hold 10.
      { atSeconds: 120, obs: { readyReplicas: 10, inflight: 140 }, want: 10, wantReason: 'panic mode' },
      // t150: 60 + 60 < 150 → leave panic; stable 140 → 2.
      { atSeconds: 150, obs: { readyReplicas: 10, inflight: 140 }, want: 2, wantReason: 'leaving panic' },
      { atSeconds: 180, obs: { readyReplicas: 2, inflight: 140 }, want: 2, wantReason: 'stable mode' },
    ]);
  });

  test('stable window averages the last 60 s, over the time covered since the first observation', async () => {
    const policy = await createKnativePolicy({ name: 'knative' }, deps());
    run(policy, [
      // Only one observation so far: its own mean, not half of it.
      { atSeconds: 0, obs: { readyReplicas: 2, inflight: 140 }, want: 2, wantReason: 'stable 140' },
      // (140 + 0) / 2 = 70 → 1.
      { atSeconds: 30, obs: { readyReplicas: 2, inflight: 0 }, want: 1, wantReason: 'stable 70' },
      // the 140 at [−30, 0] has left the window: 0 → scale to zero is the stable answer.
      { atSeconds: 60, obs: { readyReplicas: 1, inflight: 0 }, want: 0, wantReason: 'stable 0' },
    ]);
  });

  test.each([
    // rps metric: target 200 × 0.7 = 140; 300 rps on 3 pods → ceil(2.14) = 3.
    { name: 'rps metric', params: { metric: 'rps' }, obs: { readyReplicas: 3, rps: 300 }, want: 3 },
    // containerConcurrency 10: target 7; 20 in flight on 3 pods → 3.
    { name: 'containerConcurrency 10 → target 7', params: { containerConcurrency: 10 }, obs: { readyReplicas: 3, inflight: 20 }, want: 3 },
    // A target above a hard containerConcurrency is capped at it: min(50, 10) × 0.7 = 7.
    {
      name: 'target param capped by containerConcurrency',
      params: { containerConcurrency: 10, target: 50 },
      obs: { readyReplicas: 3, inflight: 20 },
      want: 3,
    },
    // target 10 × utilization 0.5 = 5: 20 → 4.
    {
      name: 'target and targetUtilizationPercentage params',
      params: { target: 10, targetUtilizationPercentage: 50 },
      obs: { readyReplicas: 3, inflight: 20 },
      want: 4,
    },
    // No inflight gauge (CE): Little's law, 100 rps × 0.7 s = 70 → 1.
    {
      name: "no inflight gauge: Little's law",
      params: {},
      obs: { readyReplicas: 1, inflight: null, rps: 100, meanExecutionMs: 700 },
      want: 1,
    },
    {
      name: 'no inflight gauge and no requests: 0',
      params: {},
      obs: { readyReplicas: 1, inflight: null, rps: 0, meanExecutionMs: null },
      want: 0,
    },
    {
      name: 'no inflight, no latency → invalid',
      params: {},
      obs: { readyReplicas: 1, inflight: null, rps: 10, meanExecutionMs: null },
      want: /no data to scale on/,
    },
    {
      name: 'rps missing with metric rps → invalid',
      params: { metric: 'rps' },
      obs: { readyReplicas: 1, rps: null },
      want: /no data to scale on: rps/,
    },
    { name: 'ready pods unknown → invalid', params: {}, obs: { readyReplicas: null, inflight: 10 }, want: /ready pod count unknown/ },
    // 0 ready pods count as 1 for the panic threshold: 140 → desired 2, 2/1 ≥ 2 → panic.
    { name: 'zero ready pods count as one for panic', params: {}, obs: { readyReplicas: 0, inflight: 140 }, want: 2 },
  ])('$name', async ({ params, obs, want }) => {
    const policy = await createKnativePolicy({ name: 'knative', params }, deps());
    run(policy, [{ atSeconds: 0, obs, want }]);
  });

  test('a panic threshold of 300% does not panic at 2× and holds nothing', async () => {
    const policy = await createKnativePolicy({ name: 'knative', params: { panicThresholdPercentage: 300 } }, deps());
    run(policy, [
      { atSeconds: 0, obs: { readyReplicas: 2, inflight: 140 }, want: 2 },
      // stable (140+280)/2 = 210 → 3; panic 280 → 4; 4/2 = 2 < 3 → stable → 3.
      { atSeconds: 30, obs: { readyReplicas: 2, inflight: 280 }, want: 3, wantReason: 'stable mode' },
    ]);
  });

  test('reset leaves panic and forgets the history', async () => {
    const policy = await createKnativePolicy({ name: 'knative' }, deps());
    run(policy, [{ atSeconds: 0, obs: { readyReplicas: 1, inflight: 700 }, want: 10, wantReason: 'entering panic' }]);
    policy.reset();
    run(policy, [{ atSeconds: 30, obs: { readyReplicas: 10, inflight: 70 }, want: 1, wantReason: 'stable 70' }]);
  });

  test('declares the scale rates (×1000 up, ÷2 down per 2-s tick) for rails', async () => {
    const policy = await createKnativePolicy({ name: 'knative', params: { maxScaleDownRate: 4 } }, deps());
    expect(policy.defaultBehavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 99900, periodSeconds: 2 }] },
      scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 75, periodSeconds: 2 }] },
    });
  });
});
