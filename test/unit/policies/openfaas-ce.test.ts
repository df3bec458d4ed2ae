import { ceCalculateReplicas, createOpenFaasCePolicy } from '../../../operator/src/policies/openfaas-ce.js';
import { deps, observation } from './fixtures.js';
import type { Observation } from '../../../operator/src/metrics/types.js';

describe('ceCalculateReplicas (gateway CalculateReplicas)', () => {
  test.each([
    // max 5, factor 10: step ceil(5/100 × 10) = ceil(0.5) = 1.
    { name: 'firing adds ceil(max × factor / 100)', status: 'firing', current: 1, max: 5, factor: 10, want: 2 },
    { name: 'firing stops at max', status: 'firing', current: 5, max: 5, factor: 10, want: 5 },
    // max 20, factor 20: step 4; 18 + 4 > 20 → 20.
    { name: 'a step past max lands on max', status: 'firing', current: 18, max: 20, factor: 20, want: 20 },
    // Above max (set by hand): firing goes to max.
    { name: 'firing above max comes down to max', status: 'firing', current: 7, max: 5, factor: 10, want: 5 },
    { name: 'resolved goes to min', status: 'resolved', current: 4, max: 5, factor: 10, want: 1 },
    // Factor 0: step 0, so the gateway's "firing && step > 0" fails and it acts as resolved.
    { name: 'factor 0 makes firing act as resolved', status: 'firing', current: 3, max: 5, factor: 0, want: 1 },
  ] as const)('$name', ({ status, current, max, factor, want }) => {
    expect(ceCalculateReplicas({ status, currentReplicas: current, maxReplicas: max, minReplicas: 1, scalingFactor: factor })).toBe(want);
  });
});

describe('openfaas-ce policy: alert firing and resolving over scripted intervals', () => {
  // One interval = 30 s; `want` is the desired count, or a RegExp for "cannot decide".
  const steps: { atSeconds: number; obs: Partial<Observation>; want: number | RegExp; wantReason: string }[] = [
    // 2 rps: under the 5 rps threshold, alert never fired → nothing sent → keep.
    { atSeconds: 0, obs: { replicas: 1, rps: 2, errorRate: 0 }, want: 1, wantReason: 'alert inactive' },
    // 10 rps of 200s > 5 → fires (for: 5s is within the interval) → +1.
    { atSeconds: 30, obs: { replicas: 1, rps: 10, errorRate: 0 }, want: 2, wantReason: 'firing' },
    // 12 rps with 10 % errors = 10.8 rps of 200s → still firing: repeat_interval 30 s → +1 again.
    { atSeconds: 60, obs: { replicas: 2, rps: 12, errorRate: 0.1 }, want: 3, wantReason: '10.80 rps of code 200 > 5' },
    { atSeconds: 90, obs: { replicas: 3, rps: 20, errorRate: 0 }, want: 4, wantReason: 'firing' },
    { atSeconds: 120, obs: { replicas: 4, rps: 20, errorRate: 0 }, want: 5, wantReason: 'firing' },
    // at max 5: stays 5
    { atSeconds: 150, obs: { replicas: 5, rps: 20, errorRate: 0 }, want: 5, wantReason: 'firing' },
    // 6 rps but half are errors: 3 rps of 200s ≤ 5 → resolved → min 1.
    { atSeconds: 180, obs: { replicas: 5, rps: 6, errorRate: 0.5 }, want: 1, wantReason: 'resolved' },
    // Resolved already sent: inactive, keep whatever the count is.
    { atSeconds: 210, obs: { replicas: 1, rps: 3, errorRate: 0 }, want: 1, wantReason: 'alert inactive' },
    // No requests: the error rate is undefined but the code-200 rate is 0.
    { atSeconds: 240, obs: { replicas: 1, rps: 0, errorRate: null }, want: 1, wantReason: '0.00 rps' },
    // Exactly 5 rps is not > 5.
    { atSeconds: 270, obs: { replicas: 1, rps: 5, errorRate: 0 }, want: 1, wantReason: 'alert inactive' },
    // Requests but no error rate: cannot tell the code-200 rate → keep.
    { atSeconds: 300, obs: { replicas: 1, rps: 8, errorRate: null }, want: /error rate missing/, wantReason: '' },
    { atSeconds: 330, obs: { replicas: 1, rps: null, errorRate: null }, want: /request rate missing/, wantReason: '' },
  ];

  test('sequence with default labels (min 1, max 5, factor 10)', async () => {
    const policy = await createOpenFaasCePolicy({ name: 'openfaas-ce' }, deps());
    for (const step of steps) {
      const got = policy.recommend(observation(step.obs), step.atSeconds * 1000);
      const at = `t=${step.atSeconds}s`;
      if (typeof step.want === 'number') {
        expect({ at, desired: got.valid ? got.desiredReplicas : got.reason }).toEqual({ at, desired: step.want });
        expect({ at, reason: got.reason }).toEqual({ at, reason: expect.stringContaining(step.wantReason) });
      } else {
        expect({ at, got }).toEqual({ at, got: { valid: false, reason: expect.stringMatching(step.want) } });
      }
    }
  });

  test('labels: max 20, factor 20 → steps of 4; resolve to min 2', async () => {
    const policy = await createOpenFaasCePolicy({ name: 'openfaas-ce', params: { scaleMin: 2, scaleMax: 20, scaleFactor: 20 } }, deps());
    expect(policy.recommend(observation({ replicas: 2, rps: 50, errorRate: 0 }), 0)).toMatchObject({ desiredReplicas: 6 });
    expect(policy.recommend(observation({ replicas: 6, rps: 50, errorRate: 0 }), 30_000)).toMatchObject({ desiredReplicas: 10 });
    expect(policy.recommend(observation({ replicas: 10, rps: 1, errorRate: 0 }), 60_000)).toMatchObject({ desiredReplicas: 2 });
  });

  test('reset forgets a firing alert: the next quiet interval sends nothing', async () => {
    const policy = await createOpenFaasCePolicy({ name: 'openfaas-ce' }, deps());
    policy.recommend(observation({ replicas: 1, rps: 10, errorRate: 0 }), 0);
    policy.reset();
    expect(policy.recommend(observation({ replicas: 3, rps: 1, errorRate: 0 }), 30_000)).toMatchObject({ desiredReplicas: 3 });
  });

  test('declares no rate limits or stabilization', async () => {
    const policy = await createOpenFaasCePolicy({ name: 'openfaas-ce' }, deps());
    expect(policy.defaultBehavior).toEqual({});
  });
});
