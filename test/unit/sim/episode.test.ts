/**
 * runEpisode: the per-interval loop (observation → policy → rails → replicas) and the result
 * object of `evaluate --json`, whose every number must follow from the intervals it summarises.
 */
import type { Observation } from '../../../operator/src/metrics/types.js';
import type { Recommendation, ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { nearestRanks, runEpisode, type IntervalRecord } from '../../../operator/src/sim/episode.js';
import { nearestRank } from '../../../operator/src/sim/simulator.js';
import { boundsRails, constant, traceFn } from './helpers.js';

/** Plays back a list of recommendations (null = "cannot decide") and records what it saw. */
class ScriptedPolicy implements ScalingPolicy {
  readonly name = 'static';
  seen: Array<{ obs: Observation; now: number }> = [];
  resets = 0;
  constructor(private readonly script: ReadonlyArray<number | null>) {}
  recommend(obs: Observation, now: number): Recommendation {
    const next = this.script[this.seen.length % this.script.length];
    this.seen.push({ obs, now });
    return next === null ? { valid: false, reason: 'no data' } : { valid: true, desiredReplicas: next, reason: `script ${next}` };
  }
  reset(): void {
    this.resets++;
  }
  dispose(): void {}
}

// 20 minutes: steady, a burst that overloads the small counts (time-outs), steady again.
const fn = traceFn([...constant(120, 8), ...constant(1500, 4), ...constant(120, 8)]);
const SIM = { serviceTime: { kind: 'lognormal', mu: Math.log(500), sigma: 0.6 } as const, upstreamTimeoutSeconds: 20 };

describe('runEpisode', () => {
  const policy = new ScriptedPolicy([3, null, 1, 8, 30, 2, null, 5]);
  const records: IntervalRecord[] = [];
  const { intervals, result, simulatedSeconds } = runEpisode({
    fn,
    binSeconds: 60,
    policy,
    rails: boundsRails(1, 10),
    intervalSeconds: 30,
    seed: 4,
    sloP95Ms: 1500,
    sim: SIM,
    onInterval: (r) => records.push(r),
  });
  const sum = (f: (r: IntervalRecord) => number): number => intervals.reduce((a, r) => a + f(r), 0);

  it('runs one interval per 30 s of trace, with a callback for each', () => {
    expect({
      intervals: intervals.length,
      result: result.intervals,
      simulatedSeconds,
      callbacks: records.length,
      resets: policy.resets,
    }).toEqual({
      intervals: 40,
      result: 40,
      simulatedSeconds: 1200,
      callbacks: 40,
      resets: 1,
    });
  });

  it('asks the policy after every interval but the last, at the interval end, with the window as Observation', () => {
    expect(policy.seen.map((s) => s.now)).toEqual(intervals.slice(0, -1).map((r) => r.endSeconds * 1000));
    for (const [k, { obs }] of policy.seen.entries()) {
      expect(obs).toBe(intervals[k].observation);
      expect(obs.requests).toBe(intervals[k].stats.completions);
    }
    expect(intervals[intervals.length - 1].recommendation).toBeNull();
  });

  it('keeps the scale on "cannot decide", bounds the rest, and counts changes as scale actions', () => {
    for (const r of intervals.slice(0, -1)) {
      const rec = r.recommendation!;
      const want = rec.valid ? Math.min(10, Math.max(1, rec.desiredReplicas)) : r.replicasBefore;
      expect({ after: r.replicasAfter, decision: rec.valid ? 'applied' : r.decision }).toEqual({
        after: want,
        decision: rec.valid ? 'applied' : null,
      });
    }
    expect(result.scaleActions).toBe(intervals.filter((r) => r.replicasAfter !== r.replicasBefore).length);
    expect(result.maxReplicas).toBe(Math.max(1, ...intervals.map((r) => r.replicasAfter)));
  });

  it('sums the intervals into the result', () => {
    const arrivals = sum((r) => r.stats.arrivals);
    expect({
      requests: result.requests,
      replicaSeconds: result.replicaSeconds,
      meanReplicas: result.meanReplicas,
      coldStarts: result.coldStarts,
      sloViolationRate: result.sloViolationRate,
    }).toEqual({
      // every arrival has an outcome: those still inside after the last interval are drained
      requests: arrivals,
      replicaSeconds: expect.closeTo(
        sum((r) => r.stats.replicaSeconds),
        6,
      ),
      meanReplicas: expect.closeTo(sum((r) => r.stats.replicaSeconds) / 1200, 9),
      coldStarts: sum((r) => r.stats.coldStarts),
      sloViolationRate: intervals.filter((r) => r.stats.p95Ms !== null && r.stats.p95Ms > 1500).length / 40,
    });
    expect(result.errors).toBeGreaterThanOrEqual(sum((r) => r.stats.errors));
    expect(result.errors).toBeGreaterThan(0); // the burst at 1 replica times out
  });

  it('reports rates as fractions and quantiles in order', () => {
    expect(result.sloViolationRate).toBeGreaterThan(0);
    expect(result.sloViolationRate).toBeLessThan(1);
    expect(result.requestsOverSloRate).toBeGreaterThanOrEqual(result.errors / result.requests);
    expect(result.p50Ms! <= result.p95Ms! && result.p95Ms! <= result.p99Ms!).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const again = runEpisode({
      fn,
      binSeconds: 60,
      policy: new ScriptedPolicy([3, null, 1, 8, 30, 2, null, 5]),
      rails: boundsRails(1, 10),
      intervalSeconds: 30,
      seed: 4,
      sloP95Ms: 1500,
      sim: SIM,
    });
    expect(again.result).toEqual(result);
  });
});

describe('runEpisode input checks', () => {
  it.each([
    { name: 'interval longer than the trace', opts: { intervalSeconds: 5000 }, error: /shorter than one interval/ },
    { name: 'zero interval', opts: { intervalSeconds: 0 }, error: /intervalSeconds: must be a number > 0/ },
    { name: 'zero SLO', opts: { sloP95Ms: 0 }, error: /sloP95Ms: must be a number > 0/ },
  ])('$name', ({ opts, error }) => {
    expect(() =>
      runEpisode({
        fn,
        binSeconds: 60,
        policy: new ScriptedPolicy([1]),
        rails: boundsRails(1, 10),
        intervalSeconds: 30,
        seed: 1,
        sloP95Ms: 1000,
        ...opts,
      }),
    ).toThrow(error);
  });

  it('holds the scale on a recommendation that is not a replica count, as the operator does (decision/step.ts)', () => {
    const { intervals, result } = runEpisode({
      fn,
      binSeconds: 60,
      policy: new ScriptedPolicy([2.5, 3]),
      rails: boundsRails(1, 10),
      intervalSeconds: 30,
      seed: 1,
      sloP95Ms: 1000,
    });
    expect(intervals.slice(0, 4).map((r) => [r.replicasBefore, r.replicasAfter, r.decision === null])).toEqual([
      [1, 1, true],
      [1, 3, false],
      [3, 3, true],
      [3, 3, false],
    ]);
    expect(result.scaleActions).toBe(1);
  });
});

describe('nearestRanks', () => {
  // Quickselect must agree with sorting: random values, many ties, +Infinity (errors), tiny arrays.
  const random = (n: number, seed: number, f: (u: number) => number): Float64Array => {
    let x = seed;
    return Float64Array.from({ length: n }, () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return f(x / 2 ** 32);
    });
  };
  it.each([
    { name: 'continuous values', values: random(10_001, 1, (u) => u * 1000) },
    { name: 'few distinct values (ties)', values: random(5_000, 2, (u) => Math.floor(u * 4)) },
    { name: '10 % errors as +Infinity', values: random(2_000, 3, (u) => (u < 0.1 ? Infinity : u)) },
    { name: 'already sorted', values: Float64Array.from({ length: 1_000 }, (_, i) => i) },
    { name: 'one value', values: Float64Array.of(7) },
    { name: 'two values', values: Float64Array.of(9, 3) },
  ])('$name: same as nearest rank on the sorted values', ({ values }) => {
    const sorted = values.slice().sort();
    const qs = [0, 0.5, 0.95, 0.99, 1];
    expect(nearestRanks(values.slice(), qs)).toEqual(qs.map((q) => nearestRank(sorted, q)));
  });

  it('gives nulls for no values', () => {
    expect(nearestRanks(new Float64Array(0), [0.5, 0.95])).toEqual([null, null]);
  });
});
