import type { Observation } from '../../../operator/src/metrics/types.js';
import { actionSpace, offeredReplicas, replicaLoad, withTolerance } from '../../../operator/src/model/actions.js';
import { FeatureTracker } from '../../../operator/src/model/feature-tracker.js';
import { featureCount, rawFeatures, RunningMeanStd, standardise, type FeatureContext } from '../../../operator/src/model/features.js';

const obs = (over: Partial<Observation> = {}): Observation => ({
  functionName: 'fn.openfaas-fn',
  windowSeconds: 30,
  rps: 10,
  requests: 300,
  p95LatencyMs: 400,
  meanExecutionMs: 200,
  errorRate: 0,
  replicas: 4,
  readyReplicas: 4,
  cpuPerReplica: 0.5,
  memoryPerReplica: 0.25,
  inflight: null,
  missing: [],
  problems: [],
  ...over,
});
const ctx: FeatureContext = { sloP95Ms: 800, maxReplicas: 20, previousRps: 5, intervalsSinceScale: 3 };

describe('rawFeatures', () => {
  test("the paper's seven, in its order, with log1p on rates, counts and latencies", () => {
    const got = rawFeatures('lstm-ppo-plus', obs(), ctx);
    expect(got).toEqual({
      ok: true,
      values: [Math.log1p(200), Math.log1p(10), Math.log1p(300), Math.log1p(4), 0.5, 0.25, Math.log1p(400)],
    });
  });

  test('agarwal drops P95; extended adds p95/SLO, rps trend, intervals since scale, ready fraction', () => {
    expect(featureCount('agarwal')).toBe(6);
    const got = rawFeatures('extended', obs({ readyReplicas: 3 }), ctx);
    if (!got.ok) throw new Error(got.missing);
    expect(got.values.slice(7)).toEqual([0.5, Math.log1p(10) - Math.log1p(5), Math.log1p(3), 0.75]);
  });

  const offered: { name: string; over: Partial<Observation>; want: number | string }[] = [
    // 20 RPS entered, 10 completed: a queue builds, log1p(20) − log1p(10).
    { name: 'queue building', over: { startedRps: 20 }, want: Math.log1p(20) - Math.log1p(10) },
    // 5 entered, 10 completed: a backlog drains.
    { name: 'draining', over: { startedRps: 5 }, want: Math.log1p(5) - Math.log1p(10) },
    // Idle: 0 − 0.
    { name: 'idle', over: { startedRps: 0, rps: 0, requests: 0, p95LatencyMs: null, meanExecutionMs: null }, want: 0 },
    // The started counter is missing or not provided: no features (the network was trained with it).
    { name: 'started null', over: { startedRps: null }, want: 'log1p(started rps) − log1p(rps)' },
    { name: 'started absent', over: {}, want: 'log1p(started rps) − log1p(rps)' },
  ];
  test.each(offered)('offered = extended + queue growth: $name', ({ over, want }) => {
    expect(featureCount('offered')).toBe(12);
    const got = rawFeatures('offered', obs(over), ctx);
    if (typeof want === 'string') {
      expect(got).toEqual({ ok: false, missing: want });
      return;
    }
    if (!got.ok) throw new Error(got.missing);
    const extended = rawFeatures('extended', obs(over), ctx);
    if (!extended.ok) throw new Error(extended.missing);
    expect(got.values.slice(0, 11)).toEqual(extended.values);
    expect(got.values[11]).toBeCloseTo(want, 12);
  });

  const missing: { name: string; over: Partial<Observation>; want: { ok: boolean; missing?: string; p95?: number } }[] = [
    // No traffic: latencies are "nothing waited" (0), not missing.
    { name: 'idle window', over: { requests: 0, rps: 0, p95LatencyMs: null, meanExecutionMs: null }, want: { ok: true, p95: 0 } },
    // Every request failed: mean execution (successes only) is unknown, P95 stands in.
    { name: 'all failed', over: { meanExecutionMs: null, p95LatencyMs: 10000 }, want: { ok: true, p95: Math.log1p(10000) } },
    // Traffic but no latency histogram: the network cannot be fed.
    { name: 'latency missing under load', over: { p95LatencyMs: null }, want: { ok: false, missing: 'log1p(p95 ms)' } },
    { name: 'counters missing', over: { rps: null, requests: null }, want: { ok: false, missing: 'log1p(rps)' } },
    { name: 'cpu missing', over: { cpuPerReplica: null }, want: { ok: false, missing: 'cpu per replica / request' } },
  ];
  test.each(missing)('$name', ({ over, want }) => {
    const got = rawFeatures('lstm-ppo-plus', obs(over), ctx);
    expect(got.ok).toBe(want.ok);
    if (got.ok && want.p95 !== undefined) expect(got.values[6]).toBeCloseTo(want.p95, 12);
    if (!got.ok) expect(got.missing).toBe(want.missing);
  });
});

describe('standardise and RunningMeanStd', () => {
  test('running statistics match the batch mean and population variance', () => {
    const rms = new RunningMeanStd(2, 0);
    rms.update([
      [1, 10],
      [3, 10],
    ]);
    rms.update([[5, 10]]);
    expect([...rms.mean]).toEqual([3, 10]);
    expect(rms.variance[0]).toBeCloseTo(8 / 3, 12);
    expect(rms.variance[1]).toBeCloseTo(0, 12);
  });

  test('standardised values are clipped', () => {
    const out = new Float32Array(3);
    standardise({ set: 'agarwal', columns: [], mean: [0, 1, 2], std: [1, 2, 0.001], clip: 5 }, [2, 0, 3], out, 0);
    expect([...out]).toEqual([2, -0.5, 5]);
  });
});

describe('FeatureTracker', () => {
  test('remembers the previous RPS and counts intervals since the replica count changed', () => {
    const tracker = new FeatureTracker(800, 20);
    const steps = [
      // first interval: no previous RPS, nothing since a scale yet
      { replicas: 2, rps: 1, want: { previousRps: null, intervalsSinceScale: 0 } },
      { replicas: 2, rps: 3, want: { previousRps: 1, intervalsSinceScale: 1 } },
      // the count changed: back to 0
      { replicas: 3, rps: 4, want: { previousRps: 3, intervalsSinceScale: 0 } },
      { replicas: 3, rps: 4, want: { previousRps: 4, intervalsSinceScale: 1 } },
    ];
    for (const s of steps) {
      const got = tracker.next(obs({ replicas: s.replicas, rps: s.rps }));
      expect({ previousRps: got.previousRps, intervalsSinceScale: got.intervalsSinceScale }).toEqual(s.want);
    }
  });

  test('counts the requests in the system from entered − completed, floored at 0', () => {
    const tracker = new FeatureTracker(800, 20);
    const steps: { over: Partial<Observation>; want: number }[] = [
      // 258 entered, 34 completed: 224 in the system.
      { over: { startedRps: 258 / 30, requests: 34 }, want: 224 },
      // 208 entered, 165 completed: 43 more.
      { over: { startedRps: 208 / 30, requests: 165 }, want: 267 },
      // Counters missing (no started counter, or no completed count): unchanged.
      { over: { startedRps: null, requests: 300 }, want: 267 },
      { over: { requests: 300 }, want: 267 },
      { over: { startedRps: 10, requests: null }, want: 267 },
      // Draining: 300 entered, 500 completed.
      { over: { startedRps: 10, requests: 500 }, want: 67 },
      // More completed than the estimate holds (a counter's extrapolation): floored at 0.
      { over: { startedRps: 1, requests: 100 }, want: 0 },
    ];
    for (const s of steps) expect(tracker.next(obs(s.over)).backlog).toBeCloseTo(s.want, 9);
    tracker.reset();
    expect(tracker.next(obs({ startedRps: 1, requests: 20 })).backlog).toBeCloseTo(10, 9);
  });
});

describe('replicaLoad', () => {
  const cases: { name: string; over: Partial<Observation>; want: number | null }[] = [
    // Below saturation: busy CPU, 0.5 × 4 = 2 replicas' worth (Little's law is not consulted).
    { name: 'not saturated', over: { cpuPerReplica: 0.5, replicas: 4, rps: 100, meanExecutionMs: 1000 }, want: 2 },
    // Saturated: max(busy 3.8, 10 RPS × 0.5 s = 5).
    { name: 'saturated, queue building', over: { cpuPerReplica: 0.95, replicas: 4, rps: 10, meanExecutionMs: 500 }, want: 5 },
    // Saturated but Little's law says less than the CPU does: the CPU wins.
    { name: 'saturated, short requests', over: { cpuPerReplica: 1, replicas: 4, rps: 2, meanExecutionMs: 500 }, want: 4 },
    // Every request failed: P95 stands in for the mean latency (10 RPS × 10 s = 100), capped at 3 × 2.
    {
      name: 'saturated, all failed',
      over: { cpuPerReplica: 1, replicas: 2, rps: 10, meanExecutionMs: null, p95LatencyMs: 10000 },
      want: 6,
    },
    { name: 'cpu unknown', over: { cpuPerReplica: null }, want: null },
  ];
  test.each(cases)('$name', ({ over, want }) => {
    const got = replicaLoad(obs(over));
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 12);
  });
});

describe('offeredReplicas', () => {
  // Every row: 30 s window; busy CPU = cpuPerReplica × replicas; succeeded = requests × (1 − errorRate).
  const cases: { name: string; over: Partial<Observation>; want: number | null }[] = [
    // As many entered as succeeded: the busy CPU, 0.5 × 4 = 2 replicas' worth (what utilisation5 sees).
    { name: 'steady', over: { cpuPerReplica: 0.5, replicas: 4, requests: 300, errorRate: 0, startedRps: 10 }, want: 2 },
    // Saturated 1 replica: 258 entered, 34 succeeded (rank:1's first interval): 1 × 258/34.
    {
      name: 'saturated, queue building',
      over: { cpuPerReplica: 1, replicas: 1, requests: 34, errorRate: 0, startedRps: 258 / 30 },
      want: 258 / 34,
    },
    // 900 entered, 30 succeeded: 30× is capped at 10× the busy CPU.
    { name: 'capped at 10× busy', over: { cpuPerReplica: 1, replicas: 2, requests: 30, errorRate: 0, startedRps: 30 }, want: 20 },
    // Time-outs used no CPU: CPU per request is over the 80 successes of 100 completions: 4 × 120/80.
    { name: 'time-outs excluded', over: { cpuPerReplica: 1, replicas: 4, requests: 100, errorRate: 0.2, startedRps: 4 }, want: 6 },
    // A backlog draining: 60 entered, 120 succeeded; the offered load is half the busy CPU.
    { name: 'draining', over: { cpuPerReplica: 0.9, replicas: 10, requests: 120, errorRate: 0, startedRps: 2 }, want: 4.5 },
    // Requests entered, none succeeded yet (all still queued): busy × the cap.
    { name: 'nothing succeeded', over: { cpuPerReplica: 1, replicas: 1, requests: 0, errorRate: null, startedRps: 5 }, want: 10 },
    // Idle: nothing entered, nothing finished: the (idle) busy CPU.
    { name: 'idle', over: { cpuPerReplica: 0.01, replicas: 2, requests: 0, errorRate: null, startedRps: 0 }, want: 0.02 },
    // No started counter (older builder: field absent; or counter missing: null): the HPA's busy CPU.
    { name: 'started absent', over: { cpuPerReplica: 1, replicas: 3, requests: 10 }, want: 3 },
    { name: 'started null', over: { cpuPerReplica: 1, replicas: 3, requests: 10, startedRps: null }, want: 3 },
    // Completed count unknown: the busy CPU.
    { name: 'requests unknown', over: { cpuPerReplica: 1, replicas: 3, requests: null, startedRps: 9 }, want: 3 },
    { name: 'cpu unknown', over: { cpuPerReplica: null, startedRps: 9 }, want: null },
  ];
  test.each(cases)('$name', ({ over, want }) => {
    const got = offeredReplicas(obs(over));
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 12);
  });
});

describe('action spaces', () => {
  test('delta5 adds −2…+2 to the replicas asked for', () => {
    const space = actionSpace('delta5');
    expect([0, 1, 2, 3, 4].map((a) => space.desiredReplicas(a, obs({ replicas: 4 })))).toEqual([2, 3, 4, 5, 6]);
    expect(space.labels).toEqual(['-2', '-1', '0', '+1', '+2']);
  });

  test('utilisation5 sizes busy CPU for the chosen utilisation, within the HPA tolerance', () => {
    const space = actionSpace('utilisation5');
    // busy = 0.7 × 10 = 7 replicas' worth. 90 % → ceil(7.78) = 8; 80 % → 9; 70 % → exactly 10;
    // 60 % → ceil(11.67) = 12; 50 % → 14.
    const o = obs({ replicas: 10, cpuPerReplica: 0.7 });
    expect([0, 1, 2, 3, 4].map((a) => space.desiredReplicas(a, o))).toEqual([8, 9, 10, 12, 14]);
    // The HPA's tolerance on the final decision: 9 from 10 is within 10 %, kept; from 11 it is 18 %.
    expect(withTolerance(space, 9, 10)).toBe(10);
    expect(withTolerance(space, 9, 11)).toBe(9);
    // delta5 has no tolerance.
    expect(withTolerance(actionSpace('delta5'), 9, 10)).toBe(9);
    // Idle: at least one replica (rails apply minReplicas).
    expect(space.desiredReplicas(0, obs({ replicas: 3, cpuPerReplica: 0 }))).toBe(1);
    // Saturated: 1 replica at 100 % CPU, 1.1 RPS completed at 13.7 s each (queueing). utilisation5
    // sees busy CPU only: ceil(1 / 0.7) = 2. The saturated variant: Little's law says ~15 requests
    // in the system, capped at 3× busy = 3; at 70 % that is ceil(3 / 0.7) = 5.
    const overloaded = obs({ replicas: 1, cpuPerReplica: 1, rps: 1.1, meanExecutionMs: 13700 });
    expect(space.desiredReplicas(2, overloaded)).toBe(2);
    expect(actionSpace('utilisation5-saturated').desiredReplicas(2, overloaded)).toBe(5);
    expect(space.labels).toEqual(['cpu 90%', 'cpu 80%', 'cpu 70%', 'cpu 60%', 'cpu 50%']);
  });

  test('capacity5 sizes the offered load for the chosen utilisation', () => {
    const space = actionSpace('capacity5');
    // Steady: offered = busy = 0.7 × 10 = 7, the same counts as utilisation5: 8, 9, 10, 12, 14.
    const steady = obs({ replicas: 10, cpuPerReplica: 0.7, requests: 300, errorRate: 0, startedRps: 10 });
    expect([0, 1, 2, 3, 4].map((a) => space.desiredReplicas(a, steady))).toEqual([8, 9, 10, 12, 14]);
    // Saturated 1 replica, 258 entered, 34 succeeded: offered 7.59; 90 % → 9, 70 % → 11, 50 % → 16,
    // where utilisation5 asks for ceil(1 / 0.7) = 2 at 70 %.
    const overloaded = obs({ replicas: 1, cpuPerReplica: 1, requests: 34, errorRate: 0, startedRps: 258 / 30 });
    expect([0, 2, 4].map((a) => space.desiredReplicas(a, overloaded))).toEqual([9, 11, 16]);
    expect(actionSpace('utilisation5').desiredReplicas(2, overloaded)).toBe(2);
    // CPU unknown: keep the current count.
    expect(space.desiredReplicas(2, obs({ replicas: 5, cpuPerReplica: null }))).toBe(5);
    // Idle: at least one replica.
    expect(space.desiredReplicas(0, obs({ replicas: 3, cpuPerReplica: 0, requests: 0, errorRate: null, startedRps: 0 }))).toBe(1);
    expect(space.tolerance).toBe(0.1);
    expect(space.labels).toEqual(['offered 90%', 'offered 80%', 'offered 70%', 'offered 60%', 'offered 50%']);
  });

  test('capacity5-backlog adds the requests in the system, to be served within one interval', () => {
    const space = actionSpace('capacity5-backlog');
    // 10 replicas, busy 8.5, 208 entered, 165 succeeded, 267 in the system: 8.5 × (208 + 267) / 165
    // = 24.47 replicas' worth; at 80 % → 31. Without a context (or backlog 0) it is capacity5: 8.5 ×
    // 208/165 = 10.7 → 14.
    const o = obs({ replicas: 10, cpuPerReplica: 0.85, requests: 165, errorRate: 0, startedRps: 208 / 30 });
    const ctx2 = { ...ctx, backlog: 267 };
    expect(space.desiredReplicas(1, o, ctx2)).toBe(Math.ceil((8.5 * 475) / 165 / 0.8));
    expect(space.desiredReplicas(1, o, ctx2)).toBe(31);
    expect(space.desiredReplicas(1, o)).toBe(14);
    expect(actionSpace('capacity5').desiredReplicas(1, o, ctx2)).toBe(14);
    // The same 10× cap: 85.
    expect(space.desiredReplicas(1, o, { ...ctx, backlog: 5000 })).toBe(Math.ceil(85 / 0.8));
    expect(space.labels[0]).toBe('offered+backlog 90%');
  });
});
