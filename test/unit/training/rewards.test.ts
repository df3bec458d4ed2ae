import {
  agarwalReward,
  computeReward,
  gaussianReward,
  resourceTerm,
  sloCostReward,
  targetReplicas,
  type RewardInput,
} from '../../../operator/src/training/rewards.js';

const base: RewardInput = {
  successFraction: 1,
  cpuUtilisation: 0.7,
  memoryUtilisation: 0.7,
  p95LatencyMs: 100,
  sloP95Ms: 200,
  replicas: 4,
  scaleApplied: true,
  referenceReplicas: 20,
};

describe('resourceTerm (LSTM-PPO+ Gaussian bump)', () => {
  const cases: { name: string; u: number; w: number; want: number }[] = [
    // At the 0.7 optimum the bump is its full weight.
    { name: 'optimum', u: 0.7, w: 0.8, want: 0.8 },
    // Inside [0.3, 1]: w·exp(−4(u−0.7)²) = 0.8·exp(−4·0.09) = 0.8·exp(−0.36).
    { name: 'at 1.0', u: 1.0, w: 0.8, want: 0.8 * Math.exp(-0.36) },
    { name: 'at 0.3', u: 0.3, w: 0.5, want: 0.5 * Math.exp(-0.64) },
    // Above 1: −w(1 + 2(u−1)) = −0.8·(1 + 0.5) = −1.2.
    { name: 'overloaded 1.25', u: 1.25, w: 0.8, want: -1.2 },
    // Below 0.3: −w(0.7 − u) = −0.5·0.6 = −0.3.
    { name: 'idle 0.1', u: 0.1, w: 0.5, want: -0.3 },
  ];
  test.each(cases)('$name', ({ u, w, want }) => {
    expect(resourceTerm(u, w)).toBeCloseTo(want, 12);
  });
});

describe('targetReplicas', () => {
  const cases = [
    // cpu 1.4 on 2 replicas = 2.8 cores-of-request; at 70 % that is 4 replicas.
    { name: 'cpu-bound', cpu: 1.4, mem: 0.2, replicas: 2, want: 4 },
    // memory 0.9 on 7 replicas → 6.3 requests' worth; at 70 % that is 9.
    { name: 'memory-bound', cpu: 0.1, mem: 0.9, replicas: 7, want: 9 },
    { name: 'idle', cpu: 0, mem: 0, replicas: 3, want: 0 },
  ];
  test.each(cases)('$name', ({ cpu, mem, replicas, want }) => {
    expect(targetReplicas({ cpuUtilisation: cpu, memoryUtilisation: mem, replicas })).toBe(want);
  });
});

describe('gaussianReward', () => {
  const cases: { name: string; input: Partial<RewardInput>; want: number }[] = [
    // All at the optimum, P95 half the SLO, 4 replicas at 70 % → target 4:
    // 0.2·1 + 0.8 + 0.5 + 0.2·0.5 − 0 = 1.6.
    { name: 'healthy', input: {}, want: 1.6 },
    // P95 at twice the SLO: latency term 0; half the requests failed: 0.2·0.25 = 0.05.
    { name: 'late and failing', input: { p95LatencyMs: 400, successFraction: 0.5 }, want: 0.05 + 0.8 + 0.5 + 0 },
    // Scale not applied: −0.5 more.
    { name: 'not applied', input: { scaleApplied: false }, want: 1.6 - 0.5 },
    // No request completed: nothing was late (full 0.2); cpu and mem 0.1 on 4 replicas: target 1,
    // −0.1·3; res(0.1, 0.8) = −0.48, res(0.1, 0.5) = −0.3; success 1 → 0.2.
    { name: 'idle', input: { p95LatencyMs: null, cpuUtilisation: 0.1, memoryUtilisation: 0.1 }, want: 0.2 - 0.48 - 0.3 + 0.2 - 0.3 },
  ];
  test.each(cases)('$name', ({ input, want }) => {
    const got = gaussianReward({ ...base, ...input });
    expect(got.total).toBeCloseTo(want, 10);
    expect(Object.values(got.terms).reduce((a, b) => a + b, 0)).toBeCloseTo(got.total, 12);
  });
});

describe('agarwalReward', () => {
  const cases: { name: string; input: Partial<RewardInput>; want: number }[] = [
    // 0.75·100² + 0.125·70 + 0.125·70 − 0.25·3² = 7500 + 8.75 + 8.75 − 2.25.
    { name: 'healthy', input: {}, want: 7515.25 },
    // 90 % success on 1 replica, cpu 0.5, mem 0.2: 0.75·8100 + 6.25 + 2.5 − 0.
    {
      name: 'one replica',
      input: { successFraction: 0.9, replicas: 1, cpuUtilisation: 0.5, memoryUtilisation: 0.2 },
      want: 6075 + 6.25 + 2.5,
    },
    // A failed scale is −100, whatever else happened.
    { name: 'failed scale', input: { scaleApplied: false }, want: -100 },
  ];
  test.each(cases)('$name', ({ input, want }) => {
    expect(agarwalReward({ ...base, ...input }).total).toBeCloseTo(want, 9);
  });
});

describe('sloCostReward', () => {
  const cases: { name: string; input: Partial<RewardInput>; weight: number; want: number }[] = [
    // 4 replicas where the load needs 20, within SLO: −0.2.
    { name: 'within SLO', input: {}, weight: 2, want: -0.2 },
    // Over the SLO: −0.2 − 2.
    { name: 'late', input: { p95LatencyMs: 201 }, weight: 2, want: -2.2 },
    // At exactly the SLO is not a violation (evaluate counts P95 > SLO).
    { name: 'at the SLO', input: { p95LatencyMs: 200 }, weight: 2, want: -0.2 },
    // 30 % failed but fast: failures count as late, −0.2 − 2·0.3.
    { name: 'failing', input: { successFraction: 0.7 }, weight: 2, want: -0.8 },
  ];
  test.each(cases)('$name', ({ input, weight, want }) => {
    expect(sloCostReward({ ...base, ...input }, weight).total).toBeCloseTo(want, 12);
    expect(computeReward({ name: 'slo-cost', violationWeight: weight }, { ...base, ...input }).total).toBeCloseTo(want, 12);
  });
});
