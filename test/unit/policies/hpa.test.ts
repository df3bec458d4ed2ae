import { createHpaPolicy, hpaAverageValueReplicas, hpaResourceReplicas } from '../../../operator/src/policies/hpa.js';
import type { HpaResourceInput } from '../../../operator/src/policies/hpa.js';
import { HPA_DEFAULT_BEHAVIOR } from '../../../operator/src/rails/behavior.js';
import { deps, observation } from './fixtures.js';
import type { Observation } from '../../../operator/src/metrics/types.js';

const calc = (input: Partial<HpaResourceInput>): HpaResourceInput => ({
  currentReplicas: 4,
  readyPodCount: 4,
  readyUsageFraction: 0.8,
  unreadyPodCount: 0,
  missingPodCount: 0,
  targetUtilizationPercent: 80,
  tolerance: 0.1,
  ...input,
});

describe('hpaResourceReplicas (GetResourceReplicas)', () => {
  test.each([
    // 4 ready pods at 160 % of request, target 80 %: ratio 2 → ceil(2 × 4) = 8.
    { name: '160% of an 80% target doubles', input: calc({ readyUsageFraction: 1.6 }), want: 8 },
    // replica_calculator_test TestReplicaCalcScaleUp: 300m, 500m, 700m of 1 CPU, target 30 % →
    // utilization 50, ratio 1.667 → ceil(5.0) = 5.
    {
      name: 'HPA test ScaleUp: 3 pods at 50% of a 30% target → 5',
      input: calc({ currentReplicas: 3, readyPodCount: 3, readyUsageFraction: 0.5, targetUtilizationPercent: 30 }),
      want: 5,
    },
    // TestReplicaCalcScaleDown: 100m 300m 500m 250m 250m, target 50 % → utilization 28, ratio 0.56 → ceil(2.8) = 3.
    {
      name: 'HPA test ScaleDown: 5 pods at 28% of 50% → 3',
      input: calc({ currentReplicas: 5, readyPodCount: 5, readyUsageFraction: 0.28, targetUtilizationPercent: 50 }),
      want: 3,
    },
    // ratio 0.95 (76/80) is within the 0.1 tolerance.
    { name: 'ratio 0.95 keeps the count', input: calc({ readyUsageFraction: 0.76 }), want: 4 },
    // ratio 0.9 exactly: |1 − 0.9| = 0.09999999999999998 ≤ 0.1 in float64 → no change.
    { name: 'ratio 0.9 is at the tolerance edge and keeps the count', input: calc({ readyUsageFraction: 0.72 }), want: 4 },
    // 0.29 × 100 is 28.999999999999996 in float64; Go's integer millicores give 29: 29/29 = 1 →
    // keep 100 (a float floor would give 28 → ceil(0.9655 × 100) = 97 with tolerance 0).
    {
      name: 'utilization truncates like Go, not like float noise',
      input: calc({ currentReplicas: 100, readyPodCount: 100, readyUsageFraction: 0.29, targetUtilizationPercent: 29, tolerance: 0 }),
      want: 100,
    },
    // TestReplicaCalcScaleUpUnreadyLessScale: ready 500m, 700m (60 %), 1 unready, target 30 %:
    // ratio 2 → unready at 0 % → 40 % → ratio 1.333 → ceil(1.333 × 3) = 4 (not 4 from ready alone: ceil(2×2)).
    {
      name: 'HPA test ScaleUpUnreadyLessScale: unready pod counts 0% on scale-up → 4',
      input: calc({ currentReplicas: 3, readyPodCount: 2, readyUsageFraction: 0.6, unreadyPodCount: 1, targetUtilizationPercent: 30 }),
      want: 4,
    },
    // TestReplicaCalcScaleUpUnreadyNoScale: 1 ready at 40 %, 2 unready, target 30 %: ratio 1.33,
    // with unready at 0 %: 13 % → 0.43, the direction flips → keep 3.
    {
      name: 'HPA test ScaleUpUnreadyNoScale: direction flip keeps the count',
      input: calc({ currentReplicas: 3, readyPodCount: 1, readyUsageFraction: 0.4, unreadyPodCount: 2, targetUtilizationPercent: 30 }),
      want: 3,
    },
    // Unready pods are not counted on a scale-down: 3 ready at 20 %, 1 unready, target 80 → ceil(0.25 × 3) = 1.
    {
      name: 'unready pods are ignored on scale-down',
      input: calc({ readyPodCount: 3, readyUsageFraction: 0.2, unreadyPodCount: 1 }),
      want: 1,
    },
    // TestReplicaCalcMissingMetricsNoChangeGt: 1 pod at 190 % of 100 %, 1 missing: at 0 % → 95 % → within tolerance → keep 2.
    {
      name: 'HPA test MissingMetricsNoChangeGt: missing pod at 0% on scale-up → keep',
      input: calc({ currentReplicas: 2, readyPodCount: 1, readyUsageFraction: 1.9, missingPodCount: 1, targetUtilizationPercent: 100 }),
      want: 2,
    },
    // 3 at 200 %, 1 missing, target 100: 600/4 = 150 % → ceil(1.5 × 4) = 6.
    {
      name: 'missing pod at 0% damps a scale-up',
      input: calc({ readyPodCount: 3, readyUsageFraction: 2.0, missingPodCount: 1, targetUtilizationPercent: 100 }),
      want: 6,
    },
    // 3 at 10 %, 1 missing, target 50: missing at 100 % → (30 + 100) / 4 = 32 % → 0.64 → ceil(2.56) = 3 (without it: 1).
    {
      name: 'missing pod at 100% damps a scale-down',
      input: calc({ readyPodCount: 3, readyUsageFraction: 0.1, missingPodCount: 1, targetUtilizationPercent: 50 }),
      want: 3,
    },
    // Target above 100 %: missing pods count at the target: (150 + 150) / 4 = 75 % of 150 → 0.5 → 2.
    {
      name: 'missing pod counts at the target when it is above 100%',
      input: calc({ readyPodCount: 3, readyUsageFraction: 0.5, missingPodCount: 1, targetUtilizationPercent: 150 }),
      want: 2,
    },
    // 1 ready at 10 %, 3 missing, target 50: ratio 0.2 → with missing at 100 %: 77 % → 1.54 > 1 → flip → keep.
    {
      name: 'missing pods flipping a scale-down keep the count',
      input: calc({ readyPodCount: 1, readyUsageFraction: 0.1, missingPodCount: 3, targetUtilizationPercent: 50 }),
      want: 4,
    },
  ])('$name', ({ input, want }) => {
    const got = hpaResourceReplicas(input);
    expect({ desired: got.valid ? got.desiredReplicas : got.reason }).toEqual({ desired: want });
  });

  test.each([
    {
      name: 'no ready pods',
      input: calc({ readyPodCount: 0, unreadyPodCount: 4 }),
      want: 'did not receive metrics for targeted pods (pods might be unready)',
    },
    {
      name: 'no pods at all',
      input: calc({ currentReplicas: 0, readyPodCount: 0 }),
      want: 'no pods returned by selector while calculating replica count',
    },
  ])('cannot decide: $name', ({ input, want }) => {
    expect(hpaResourceReplicas(input)).toEqual({ valid: false, reason: want });
  });
});

describe('hpaAverageValueReplicas (AverageValue target)', () => {
  test.each([
    // 250 / 10 per pod with 10 pods: ratio 2.5 → ceil(25) = 25.
    { name: 'far from target: ceil(total / target)', total: 250, current: 10, want: 25 },
    // 105 / (10 × 10): ratio 1.05 → within tolerance → 10.
    { name: 'within tolerance keeps the count', total: 105, current: 10, want: 10 },
    // 30 / (10 × 10): ratio 0.3 → ceil(3) = 3.
    { name: 'scale-down', total: 30, current: 10, want: 3 },
    { name: 'zero total', total: 0, current: 3, want: 0 },
  ])('$name', ({ total, current, want }) => {
    expect(hpaAverageValueReplicas({ total, targetAverageValue: 10, currentReplicas: current, tolerance: 0.1 })).toBe(want);
  });
});

describe('hpa policy (Observation → HPA)', () => {
  const cases: { name: string; obs: Partial<Observation>; params?: Record<string, unknown>; want: number | RegExp }[] = [
    // The HPA documentation's example: 4 ready pods at 160 % with the default 80 % target → 8.
    { name: '4 ready at 160% of the default 80% → 8', obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 1.6 }, want: 8 },
    // One of 4 pods unready: ready mean 160 % stands for the 3 ready ones; ratio 2 → scale-up
    // with the unready one at 0 %: 480/4 = 120 % → 1.5 → ceil(6) = 6.
    { name: 'an unready pod counts 0% on scale-up', obs: { replicas: 4, readyReplicas: 3, cpuPerReplica: 1.6 }, want: 6 },
    // Terminating pods still ready (ready > replicas): only `replicas` pods count.
    { name: 'ready above replicas is capped at replicas', obs: { replicas: 2, readyReplicas: 3, cpuPerReplica: 0.4 }, want: 1 },
    // 85 % of 80 %: ratio 1.0625, within the default tolerance; with tolerance 0.05 → ceil(4.25) = 5.
    { name: 'ratio 1.06 within the default tolerance', obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 0.85 }, want: 4 },
    {
      name: 'tolerance param 0.05 acts on ratio 1.06',
      obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 0.85 },
      params: { tolerance: 0.05 },
      want: 5,
    },
    // Target 50 %: 4 at 80 % → ratio 1.6 → ceil(6.4) = 7.
    {
      name: 'targetCPUUtilizationPercentage param',
      obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: 0.8 },
      params: { targetCPUUtilizationPercentage: 50 },
      want: 7,
    },
    {
      name: 'missing CPU metrics → invalid',
      obs: { replicas: 4, readyReplicas: 4, cpuPerReplica: null },
      want: /did not receive CPU metrics/,
    },
    { name: 'unknown readiness → invalid', obs: { replicas: 4, readyReplicas: null, cpuPerReplica: 1.6 }, want: /ready replicas unknown/ },
    { name: 'all pods unready → invalid', obs: { replicas: 4, readyReplicas: 0, cpuPerReplica: 1.6 }, want: /pods might be unready/ },
    // The HPA does not act on a target scaled to zero.
    { name: 'zero replicas → invalid', obs: { replicas: 0, readyReplicas: 0, cpuPerReplica: null }, want: /scaling is disabled/ },
  ];
  test.each(cases)('$name', async ({ obs, params, want }) => {
    const policy = await createHpaPolicy({ name: 'hpa', params }, deps());
    const got = policy.recommend(observation(obs), 0);
    if (typeof want === 'number') {
      expect({ desired: got.valid ? got.desiredReplicas : got.reason }).toEqual({ desired: want });
    } else {
      expect(got).toEqual({ valid: false, reason: expect.stringMatching(want) });
    }
  });

  test('declares the HPA default behaviour for rails', async () => {
    const policy = await createHpaPolicy({ name: 'hpa' }, deps());
    expect(policy.defaultBehavior).toEqual(HPA_DEFAULT_BEHAVIOR);
  });

  test('the reason names utilization, target and result', async () => {
    const policy = await createHpaPolicy({ name: 'hpa' }, deps());
    const got = policy.recommend(observation({ replicas: 4, readyReplicas: 4, cpuPerReplica: 1.6 }), 0);
    expect(got.reason).toBe('CPU 160% of request vs target 80%: ceil(2 × 4 ready) → 8');
  });
});
