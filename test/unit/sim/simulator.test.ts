/**
 * The simulator's mechanics as scenarios: determinism and common random numbers, clones, cold
 * starts, graceful scale-down, time-outs, the Prometheus-shaped window, CPU and memory accounting,
 * concurrency, and config validation. Most scenarios use `exact` arrivals and deterministic service
 * so that the expected numbers can be worked out by hand (shown in the comments).
 */
import { InputError } from '#kernel/input-error.js';
import { histogramQuantile } from '../../../operator/src/metrics/observation.js';
import { FunctionSimulator, type SimInterval } from '../../../operator/src/sim/simulator.js';
import type { SimConfig } from '../../../operator/src/sim/config.js';
import { constant, traceFn } from './helpers.js';

type Config = Partial<SimConfig>;

function sim(counts: number[], binSeconds: number, config: Config, seed = 1): FunctionSimulator {
  return new FunctionSimulator({ fn: traceFn(counts), binSeconds, seed, config });
}

const deterministic = (ms: number): Config['serviceTime'] => ({ kind: 'deterministic', ms });

/** A bursty Poisson workload with lognormal service and replica changes along the way. */
function scriptedRun(seed: number, schedule: readonly number[] = [2, 6, 3, 8, 1, 4]): SimInterval[] {
  const s = sim(
    [...constant(60, 5), ...constant(600, 3), ...constant(30, 4)],
    60,
    {
      serviceTime: { kind: 'lognormal', mu: Math.log(400), sigma: 0.8 },
      upstreamTimeoutSeconds: 10,
    },
    seed,
  );
  const out: SimInterval[] = [];
  for (let k = 0; k < 24; k++) {
    out.push(s.advance(30));
    s.setReplicas(schedule[k % schedule.length]);
  }
  return out;
}

describe('determinism', () => {
  it('the same seed gives identical windows, stats and latencies', () => {
    expect(scriptedRun(7)).toEqual(scriptedRun(7));
  });

  it('a different seed gives different arrivals', () => {
    const arrivals = (seed: number): number[] => scriptedRun(seed).map((i) => i.stats.arrivals);
    expect(arrivals(8)).not.toEqual(arrivals(7));
  });

  it('arrivals do not depend on the replicas (common random numbers)', () => {
    const a = scriptedRun(7, [1, 1, 1]).map((i) => i.stats.arrivals);
    const b = scriptedRun(7, [20, 5, 9]).map((i) => i.stats.arrivals);
    expect(b).toEqual(a);
  });

  it('each request gets the same service demand whatever the replica count', () => {
    // With more replicas than requests in flight nobody waits, so latencies are the service demands.
    const latencies = (replicas: number): number[] => {
      const s = sim(
        constant(120, 10),
        60,
        { initialReplicas: replicas, serviceTime: { kind: 'lognormal', mu: Math.log(300), sigma: 1 } },
        5,
      );
      const out: number[] = [];
      for (let k = 0; k < 20; k++) {
        const { stats, latenciesMs } = s.advance(30);
        expect(stats.maxQueueWaitMs ?? 0).toBe(0);
        out.push(...latenciesMs);
      }
      return out;
    };
    expect(latencies(40)).toEqual(latencies(60));
  });
});

describe('clone', () => {
  it('continues exactly like the original, which it leaves untouched', () => {
    const original = sim(constant(300, 10), 60, { serviceTime: { kind: 'exponential', meanMs: 500 } }, 3);
    original.setReplicas(4);
    original.advance(45);
    const copy = original.clone();
    copy.setReplicas(9); // diverge the copy first
    const copyFuture = [copy.advance(30), copy.advance(30)];

    const twin = sim(constant(300, 10), 60, { serviceTime: { kind: 'exponential', meanMs: 500 } }, 3);
    twin.setReplicas(4);
    twin.advance(45);
    expect([original.advance(30), original.advance(30)]).toEqual([twin.advance(30), twin.advance(30)]);

    const copy2 = twin.clone();
    expect(copy2.advance(60)).toEqual(twin.advance(60));
    expect(copyFuture[0].stats.replicas).toBe(9);
  });
});

describe('cold start', () => {
  // Arrivals every 0.5 s from 0.25 s (120 per 60 s bin, exact), 1 s of work each, 1 replica warm,
  // scaled to 3 at t = 0. Until the new replicas are ready the one replica falls behind: request k
  // starts at 0.25 + k and waits 0.5k. At t = 5 the queue holds k = 5..9; k = 5 (arrived 2.75) starts
  // at 5 on a new replica: the longest wait, 2.25 s. With no cold start nobody waits (3 replicas,
  // at most 2 requests in flight).
  it.each([
    { coldStartSeconds: 0, maxWaitMs: 0, readyBefore5s: 3 },
    { coldStartSeconds: 5, maxWaitMs: 2250, readyBefore5s: 1 },
  ])('cold start $coldStartSeconds s: longest wait $maxWaitMs ms', ({ coldStartSeconds, maxWaitMs, readyBefore5s }) => {
    const s = sim([120], 60, { initialReplicas: 1, coldStartSeconds, serviceTime: deterministic(1000), arrivals: 'exact' });
    s.setReplicas(3);
    const first = s.advance(5); // the ready event at exactly t = 5 belongs to the next interval
    expect({ pods: first.stats.pods, ready: first.stats.readyReplicas, coldStarts: first.stats.coldStarts }).toEqual({
      pods: 3,
      ready: readyBefore5s,
      coldStarts: 2,
    });
    const rest = s.advance(55);
    expect(rest.stats.readyReplicas).toBe(3);
    expect(Math.max(first.stats.maxQueueWaitMs ?? 0, rest.stats.maxQueueWaitMs ?? 0)).toBeCloseTo(maxWaitMs, 9);
  });
});

describe('graceful scale-down', () => {
  it('replicas being removed finish their requests and take no new ones', () => {
    // Bins of 1 s: 4 requests in the first second (at 0.125, 0.375, 0.625, 0.875), one at 5.5 s,
    // 10 s of work each, 4 warm replicas. Free slots are used last-freed first, so the requests go
    // to replicas 3, 2, 1, 0. At t = 2 scale to 1: all are busy, the newest (3, 2, 1) are removed;
    // they end when their requests do (10.125, 10.375, 10.625). The request at 5.5 s must wait for
    // replica 0 (free at 10.875): 5.375 s.
    const counts = [4, 0, 0, 0, 0, 1, ...constant(0, 30)];
    const s = sim(counts, 1, { initialReplicas: 4, serviceTime: deterministic(10_000), arrivals: 'exact' });
    const before = s.advance(2);
    s.setReplicas(1);
    const after = s.advance(20);
    expect({
      completions: before.stats.completions + after.stats.completions,
      errors: after.stats.errors,
      podsAtEnd: after.stats.pods,
      readyAtEnd: after.stats.readyReplicas,
      maxWaitMs: after.stats.maxQueueWaitMs,
      // replica 0: 20 s; replicas 3, 2, 1: 8.125 + 8.375 + 8.625 s
      replicaSeconds: after.stats.replicaSeconds,
    }).toEqual({
      completions: 5,
      errors: 0,
      podsAtEnd: 1,
      readyAtEnd: 1,
      maxWaitMs: expect.closeTo(5375, 6),
      replicaSeconds: expect.closeTo(45.125, 9),
    });
  });

  it.each([
    {
      // 4 warm replicas, one busy: scaling to 2 removes two idle ones at once.
      name: 'idle replicas go before busy ones',
      start: 4,
      counts: [1, 0, 0],
      then: 2,
      wantPodsNow: 2,
      wantReady: 2,
    },
    {
      // 2 warm, asked for 5 (3 starting), then for 3: the 2 still starting go, the warm stay.
      name: 'starting replicas go before ready ones',
      start: 2,
      counts: [0, 0, 0],
      scaleUpFirst: 5,
      then: 3,
      wantPodsNow: 3,
      wantReady: 2,
    },
  ])('$name', ({ start, counts, scaleUpFirst, then, wantPodsNow, wantReady }) => {
    const s = sim(counts, 1, { initialReplicas: start, coldStartSeconds: 5, serviceTime: deterministic(10_000), arrivals: 'exact' });
    if (scaleUpFirst !== undefined) s.setReplicas(scaleUpFirst);
    s.advance(1);
    s.setReplicas(then);
    const { stats } = s.advance(1);
    expect({ pods: stats.pods, ready: stats.readyReplicas, replicaSeconds: stats.replicaSeconds }).toEqual({
      pods: wantPodsNow,
      ready: wantReady,
      replicaSeconds: wantPodsNow,
    });
  });
});

describe('upstream time-out', () => {
  // One replica, 1 s of work, arrivals every 0.5 s for 20 s, time-out 3 s. Reference: the same
  // FIFO single server written out directly (a request still queued or running 3 s after arrival
  // fails and frees the replica).
  function reference(arrivals: number[], service: number, timeout: number): { ok: number; failed: number } {
    let free = 0;
    let ok = 0;
    let failed = 0;
    for (const a of arrivals) {
      const start = Math.max(a, free);
      if (start >= a + timeout)
        failed++; // timed out in the queue; replica untouched
      else if (start + service > a + timeout) {
        failed++;
        free = a + timeout; // stopped at the deadline
      } else {
        ok++;
        free = start + service;
      }
    }
    return { ok, failed };
  }

  it('counts time-outs as errors with code 502 (as the real gateway) and matches the reference queue', () => {
    const s = sim([...constant(2, 20), ...constant(0, 40)], 1, {
      initialReplicas: 1,
      upstreamTimeoutSeconds: 3,
      serviceTime: deterministic(1000),
      arrivals: 'exact',
    });
    const intervals = [s.advance(30), s.advance(30)];
    const want = reference(
      Array.from({ length: 40 }, (_, i) => (i + 0.5) * 0.5),
      1,
      3,
    );
    const errors = intervals.reduce((n, i) => n + i.stats.errors, 0);
    const codes502 = intervals.reduce((n, i) => n + (i.window.invocationsByCode?.get('502') ?? 0), 0);
    const codes200 = intervals.reduce((n, i) => n + (i.window.invocationsByCode?.get('200') ?? 0), 0);
    expect({ ok: codes200, failed: codes502, errors }).toEqual({ ...want, errors: want.failed });
    expect(want.failed).toBeGreaterThan(0);
    // A counter, once it exists, keeps reporting (an increase of 0).
    expect(intervals[1].window.invocationsByCode?.has('502')).toBe(true);
    // Failed requests are observed in the histogram at the time-out (3 s: the 5 s bucket) and
    // count as +Inf in the exact quantiles; the 200 sum/count leave them out.
    const first = intervals[0];
    const bucket = (le: number): number => first.window.latencyBuckets?.find((b) => b.le === le)?.count ?? NaN;
    const okIn5sBucket = first.latenciesMs.filter((ms) => ms > 2500 && ms <= 5000).length;
    expect(bucket(5) - bucket(2.5)).toBe(first.stats.timeouts + okIn5sBucket);
    expect(first.window.latencyCount).toBe(first.stats.successes);
    expect(first.latenciesMs.filter((x) => x === Infinity).length).toBe(first.stats.errors);
  });

  it('a replica freed by a time-out serves the next request', () => {
    // One request needing 10 s with a 3 s time-out, then one at 4.5 s needing 10 s too: the first
    // is stopped at 3 s, so the second starts at once (it also times out, at 7.5 s).
    const s = sim([1, 0, 0, 0, 1, ...constant(0, 20)], 1, {
      initialReplicas: 1,
      upstreamTimeoutSeconds: 3,
      serviceTime: deterministic(10_000),
      arrivals: 'exact',
    });
    const { stats } = s.advance(25);
    expect({ timeouts: stats.timeouts, maxWaitMs: stats.maxQueueWaitMs, busySlotSeconds: stats.busySlotSeconds }).toEqual({
      timeouts: 2,
      maxWaitMs: 0,
      busySlotSeconds: 6,
    });
  });
});

describe('metrics window', () => {
  const intervals = scriptedRun(11);

  it('is consistent with itself and with the exact stats in every interval', () => {
    let inSystem = 0;
    for (const { window, stats } of intervals) {
      const buckets = window.latencyBuckets ?? [];
      const total = [...(window.invocationsByCode?.values() ?? [])].reduce((a, b) => a + b, 0);
      const counts = buckets.map((b) => b.count);
      expect({
        plusInf: buckets[buckets.length - 1].count,
        byCode: total,
        started: window.invocationsStarted,
        count200: window.latencyCount,
        cumulative: counts.every((c, i) => i === 0 || c >= counts[i - 1]),
        inSystem: inSystem + stats.arrivals - stats.completions,
      }).toEqual({
        plusInf: stats.completions,
        byCode: stats.completions,
        started: stats.arrivals,
        count200: stats.successes,
        cumulative: true,
        inSystem: stats.inSystem,
      });
      inSystem = stats.inSystem;
      expect([window.replicas, window.readyReplicas, window.podsReporting]).toEqual([stats.replicas, stats.readyReplicas, stats.pods]);
    }
    expect(intervals.some((i) => i.stats.errors > 0)).toBe(true); // the run does exercise time-outs
  });

  it('gives a histogram P95 in the same gateway bucket as the exact P95', () => {
    let checked = 0;
    for (const { window, stats } of intervals) {
      if (stats.p95Ms === null || stats.errors > 0 || stats.p95Ms > 10_000) continue;
      const les = (window.latencyBuckets ?? []).map((b) => b.le);
      const upper = les.find((le) => stats.p95Ms! / 1000 <= le)!;
      const lower = les[les.indexOf(upper) - 1] ?? 0;
      const estimate = histogramQuantile(0.95, window.latencyBuckets ?? []);
      expect({ estimate, inBucket: estimate >= lower && estimate <= upper }).toMatchObject({ inBucket: true });
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('CPU and memory', () => {
  // 2 warm replicas; idle 0.01 cores each; a busy slot 0.5 cores; 100 MiB per replica + 10 MiB per
  // request in flight. One request (exact, mid-bin at 30 s) of 10 s.
  const config: Config = {
    initialReplicas: 2,
    idleCpuCoresPerReplica: 0.01,
    cpuCoresPerBusySlot: 0.5,
    memoryBaseMb: 100,
    memoryPerInflightMb: 10,
    serviceTime: deterministic(10_000),
    arrivals: 'exact',
  };
  const MiB = 1024 * 1024;
  it.each([
    // window [0, 35): request in flight at the end
    { seconds: 35, cpuCores: (2 * 35 * 0.01 + 5 * 0.5) / 35, memoryBytes: (200 + 10) * MiB, inflight: 5 / 35 },
    // window [0, 60): request done
    { seconds: 60, cpuCores: (2 * 60 * 0.01 + 10 * 0.5) / 60, memoryBytes: 200 * MiB, inflight: 10 / 60 },
  ])('window of $seconds s', ({ seconds, cpuCores, memoryBytes, inflight }) => {
    const { window } = sim([1], 60, config).advance(seconds);
    expect({ cpuCores: window.cpuCores, memoryBytes: window.memoryBytes, inflight: window.inflight, pods: window.podsReporting }).toEqual({
      cpuCores: expect.closeTo(cpuCores, 12),
      memoryBytes,
      inflight: expect.closeTo(inflight, 12),
      pods: 2,
    });
  });

  it('defaults: a fully busy replica runs at its CPU request; memory from the profile', () => {
    const s = new FunctionSimulator({
      fn: traceFn([1], { memory: { averageAllocatedMb: 64, percentilesMb: {}, sampleCount: 1 } }),
      binSeconds: 60,
      seed: 1,
      config: { initialReplicas: 1, idleCpuCoresPerReplica: 0, serviceTime: deterministic(60_000), arrivals: 'exact' },
    });
    s.advance(30); // the request starts at 30 s
    const { window } = s.advance(30);
    expect({ cpu: window.cpuCores, memory: window.memoryBytes }).toEqual({ cpu: s.resourceRequests.cpuCores, memory: 64 * MiB });
  });
});

describe('concurrency per replica', () => {
  it('2 replicas of concurrency 2 serve like 4 of concurrency 1 (slots are servers)', () => {
    const latencies = (replicas: number, concurrencyPerReplica: number): number[] => {
      const s = sim(
        constant(200, 20),
        60,
        { initialReplicas: replicas, concurrencyPerReplica, serviceTime: { kind: 'exponential', meanMs: 1000 } },
        9,
      );
      return Array.from({ length: 40 }, () => [...s.advance(30).latenciesMs]).flat();
    };
    const four = latencies(4, 1);
    expect(latencies(2, 2)).toEqual(four);
    expect(latencies(1, 2)).not.toEqual(four);
  });
});

describe('arrivals', () => {
  it('exact mode rounds each bin count and spreads the arrivals evenly', () => {
    const s = sim([3.4, 0.6, 0.2], 10, { initialReplicas: 5, serviceTime: deterministic(1), arrivals: 'exact' });
    expect([s.advance(10).stats.arrivals, s.advance(10).stats.arrivals, s.advance(10).stats.arrivals]).toEqual([3, 1, 0]);
  });

  it('poisson mode draws a Poisson number per bin with the bin count as mean', () => {
    const s = sim(constant(2.5, 4000), 1, { initialReplicas: 50, serviceTime: deterministic(1) }, 4);
    const { stats } = s.advance(4000);
    expect(Math.abs(stats.arrivals - 10_000)).toBeLessThan(5 * Math.sqrt(10_000));
  });
});

describe('scale to zero', () => {
  it('is refused unless allowed (OpenFaaS CE rejects 0)', () => {
    expect(() => sim([1], 60, {}).setReplicas(0)).toThrow(/replicas: must be an integer >= 1/);
  });

  it('when allowed, requests queue until a replica is ready or time out', () => {
    const s = sim([2, 0, 0, 0], 30, {
      allowScaleToZero: true,
      initialReplicas: 1,
      coldStartSeconds: 5,
      upstreamTimeoutSeconds: 20,
      serviceTime: deterministic(100),
      arrivals: 'exact',
    });
    s.setReplicas(0);
    const idle = s.advance(30); // arrivals at 7.5 and 22.5: the first times out at 27.5
    s.setReplicas(1); // ready at 35: the second (deadline 42.5) is served then
    const back = s.advance(30);
    expect({
      pods: idle.stats.pods,
      timeouts: idle.stats.timeouts,
      served: back.stats.successes,
      waitMs: back.stats.maxQueueWaitMs,
    }).toEqual({
      pods: 0,
      timeouts: 1,
      served: 1,
      waitMs: expect.closeTo(12_500, 6),
    });
  });
  it('keeps the scale-from-zero wait out of the gateway metrics, as the real gateway does, but not out of what users feel', () => {
    const s = sim([2, 0, 0, 0], 30, {
      allowScaleToZero: true,
      initialReplicas: 1,
      coldStartSeconds: 5,
      upstreamTimeoutSeconds: 20,
      serviceTime: deterministic(100),
      arrivals: 'exact',
    });
    s.setReplicas(0);
    const idle = s.advance(30); // arrivals at 7.5 and 22.5, no replica; the first gives up at 27.5
    s.setReplicas(1); // ready at 35: the second is forwarded then and served in 0.1 s
    const back = s.advance(30);
    const rows = [idle, back].map((i) => ({
      arrivals: i.stats.arrivals,
      started: i.window.invocationsStarted,
      // gateway_function_invocation_total: the one that gave up waiting is not counted at all
      counted: [...(i.window.invocationsByCode?.values() ?? [])].reduce((a, b) => a + b, 0),
      gatewaySumSeconds: i.window.latencySumSeconds,
      userP95Ms: i.stats.p95Ms,
    }));
    expect(rows).toEqual([
      { arrivals: 2, started: 0, counted: 0, gatewaySumSeconds: 0, userP95Ms: Number.POSITIVE_INFINITY },
      // The user waited 12.6 s (arrival 22.5 → done 35.1); the gateway timed 0.1 s.
      { arrivals: 0, started: 1, counted: 1, gatewaySumSeconds: expect.closeTo(0.1, 9), userP95Ms: expect.closeTo(12_600, 6) },
    ]);
    // The histogram puts it at about 0.1 s (cumulative le = 0.25), not near 12.6 s.
    expect(back.window.latencyBuckets!.find((b) => b.le === 0.25)?.count).toBe(1);
  });
});

describe('input validation', () => {
  it.each([
    { counts: [1, -2], message: /bin 1 has count -2; counts must be finite numbers >= 0/ },
    { counts: [NaN], message: /bin 0 has count NaN/ },
  ])('rejects trace counts $counts', ({ counts, message }) => {
    expect(() => sim(counts, 60, {})).toThrow(message);
  });

  it.each([
    { name: 'interval of 0 s', act: (s: FunctionSimulator) => s.advance(0), message: /interval: must be a number of seconds > 0/ },
    { name: 'fractional replicas', act: (s: FunctionSimulator) => s.setReplicas(1.5), message: /replicas: must be an integer >= 1/ },
  ])('rejects $name', ({ act, message }) => {
    expect(() => act(sim([1], 60, {}))).toThrow(message);
  });

  it.each([
    { config: { concurrencyPerReplica: 0 }, message: /sim.concurrencyPerReplica: must be an integer >= 1, got 0/ },
    { config: { coldStartSeconds: -1 }, message: /sim.coldStartSeconds: must be a number >= 0/ },
    { config: { upstreamTimeoutSeconds: 0 }, message: /sim.upstreamTimeoutSeconds: must be a number > 0/ },
    { config: { timeoutStatusCode: 'timeout' }, message: /sim.timeoutStatusCode: must be a three-digit HTTP status/ },
    { config: { arrivals: 'uniform' as never }, message: /sim.arrivals: must be one of poisson, exact/ },
    {
      config: { serviceTime: { kind: 'gamma' } as never },
      message: /sim.serviceTime.kind: must be one of profile, lognormal, exponential, deterministic/,
    },
    { config: { initialReplicas: 0 }, message: /sim.initialReplicas: must be an integer >= 1/ },
    { config: { requests: { cpuCores: 0, memoryBytes: 1 } }, message: /sim.requests.cpuCores: must be a number > 0/ },
  ])('rejects $message', ({ config, message }) => {
    const attempt = (): FunctionSimulator => sim([1], 60, config as Config);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });
});
