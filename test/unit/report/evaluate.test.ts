import {
  derivedBaselineParams,
  evaluatePolicies,
  parsePolicyList,
  validateEvaluateOptions,
} from '../../../operator/src/report/evaluate.js';
import { parseParams, parseModels, simOverrides } from '../../../operator/src/commands/evaluate-run.js';
import { resolveSimConfig } from '../../../operator/src/sim/config.js';
import { resolveServiceTime } from '../../../operator/src/sim/service-time.js';
import type { Trace, TraceFunction } from '#kernel/traces/types.js';

/** A bursty function: 1 request/s, with a 20 requests/s burst in bins 4 and 5 (30-s bins). */
function burstyTrace(): { trace: Trace; fn: TraceFunction } {
  const counts = [30, 30, 30, 30, 600, 600, 30, 30, 30, 30, 30, 30];
  const fn: TraceFunction = {
    id: 'burst',
    row: 1,
    rank: 1,
    counts,
    profile: {
      durations: {
        averageMs: 200,
        count: 1000,
        minimumMs: 50,
        maximumMs: 900,
        percentilesMs: { 0: 50, 1: 60, 25: 120, 50: 180, 75: 250, 99: 600, 100: 900 },
      },
    },
  };
  return { trace: { format: 'synthetic', source: 'test', binSeconds: 30, startOffsetSeconds: 0, functions: [fn] }, fn };
}

describe('parsePolicyList', () => {
  it('expands "all" to every registered policy', () => {
    expect(parsePolicyList('all')).toEqual(expect.arrayContaining(['hpa', 'keda', 'knative', 'openfaas-ce', 'openfaas-pro', 'static']));
  });
  it('names the known policies when one is unknown', () => {
    expect(() => parsePolicyList('hpa,kpa')).toThrow(/unknown policy "kpa"; known policies: .*hpa.*knative/);
  });
  it('rejects a repeated name and an empty list', () => {
    expect(() => parsePolicyList('hpa,hpa')).toThrow(/listed twice/);
    expect(() => parsePolicyList(' , ')).toThrow(/comma-separated list/);
  });
});

describe('validateEvaluateOptions', () => {
  const ok = { sloP95Ms: 500, intervalSeconds: 30, minReplicas: 1, maxReplicas: 24, seed: 1 };
  it.each([
    // [what is wrong, options, message]
    ['min above max', { ...ok, minReplicas: 5, maxReplicas: 3 }, /--min-replicas \(5\) must be <= --max-replicas \(3\)/],
    ['SLO of zero', { ...ok, sloP95Ms: 0 }, /--slo-ms: must be a number > 0/],
    ['negative SLO', { ...ok, sloP95Ms: -5 }, /--slo-ms/],
    ['zero interval', { ...ok, intervalSeconds: 0 }, /--interval/],
    ['fractional max', { ...ok, maxReplicas: 2.5 }, /--max-replicas: must be an integer/],
  ])('%s', (_what, options, message) => {
    expect(() => validateEvaluateOptions(options)).toThrow(message);
  });
  it('accepts sane options', () => {
    expect(() => validateEvaluateOptions(ok)).not.toThrow();
  });
});

describe('flag parsing', () => {
  it('types --param values and groups them by policy', () => {
    expect(parseParams(['keda.threshold=4.5', 'keda.metric=rps', 'keda.ignoreNullValues=false', 'static.replicas=3'])).toEqual({
      keda: { threshold: 4.5, metric: 'rps', ignoreNullValues: false },
      static: { replicas: 3 },
    });
    expect(() => parseParams(['threshold=4'])).toThrow(/policy\.key=value/);
  });
  it('reads --model and simulator overrides', () => {
    expect(parseModels(['ppo=models/x'])).toEqual({ ppo: 'models/x' });
    expect(() => parseModels(['ppo'])).toThrow(/policy=directory/);
    expect(simOverrides({ concurrency: '4', coldStart: '0', timeout: '10' })).toEqual({
      concurrencyPerReplica: 4,
      coldStartSeconds: 0,
      upstreamTimeoutSeconds: 10,
    });
    expect(() => simOverrides({ coldStart: '-1' })).toThrow(/--cold-start/);
  });
});

describe('derivedBaselineParams', () => {
  it('sizes targets from the capacity of one replica', () => {
    const { fn } = burstyTrace();
    const sim = resolveSimConfig({ concurrencyPerReplica: 2 });
    const serviceTime = resolveServiceTime(sim.serviceTime, fn.profile.durations, sim.minServiceMs);
    const got = derivedBaselineParams({ fn, binSeconds: 30, sim, serviceTime, minReplicas: 1, maxReplicas: 24 });
    const capacityRps = 2 / (serviceTime.meanMs / 1000); // 2 slots / 0.2 s = 10 rps per replica
    expect(got.keda).toEqual({ metric: 'rps', threshold: Math.round(capacityRps * 0.7 * 1000) / 1000 });
    expect(got.knative).toEqual({ containerConcurrency: 2 });
    expect(got['openfaas-pro']).toEqual({ type: 'capacity', target: 2 });
    // Peak bin: 600 / 30 s = 20 rps; 20 / (10 × 0.7) = 2.86 → 3 replicas.
    expect(got.static).toEqual({ replicas: 3 });
  });
});

describe('evaluatePolicies', () => {
  it('gives every policy the same arrivals and reports each', async () => {
    const { trace, fn } = burstyTrace();
    const out = await evaluatePolicies({
      trace,
      fn,
      policies: ['static', 'hpa', 'knative'],
      sloP95Ms: 1000,
      intervalSeconds: 30,
      seed: 7,
      minReplicas: 1,
      maxReplicas: 10,
      params: { static: { replicas: 1 } },
    });
    expect(out.run.results.map((r) => r.policy)).toEqual(['static', 'hpa', 'knative']);
    const requests = out.run.results.map((r) => r.requests);
    expect(new Set(requests).size).toBe(1);
    expect(out.run.simulatedSeconds).toBe(360);
    // The user's --param replaces the derived static size.
    expect(out.paramsUsed.static).toEqual({ replicas: 1 });
    const staticOne = out.run.results[0];
    const knative = out.run.results[2];
    // One replica cannot serve the 20 rps burst; Knative scales for it.
    expect(knative.maxReplicas).toBeGreaterThan(1);
    expect(knative.sloViolationRate).toBeLessThan(staticOne.sloViolationRate);
    expect(out.series).toHaveLength(3);
    expect(out.series[0].points).toHaveLength(12);
    expect(out.notes.join('\n')).toMatch(/static params: replicas=1/);
  });

  it('is deterministic for a seed', async () => {
    const { trace, fn } = burstyTrace();
    const opts = { trace, fn, policies: ['hpa'] as const, sloP95Ms: 1000, intervalSeconds: 30, seed: 3, minReplicas: 1, maxReplicas: 10 };
    const a = await evaluatePolicies({ ...opts, policies: [...opts.policies] });
    const b = await evaluatePolicies({ ...opts, policies: [...opts.policies] });
    expect(a.run).toEqual(b.run);
  });
});

describe('infeasible SLOs', () => {
  // Service time: deterministic 300 ms, so the best one idle replica delivers is a P95 of 300 ms.
  const sim = { serviceTime: { kind: 'deterministic' as const, ms: 300 } };
  it.each([
    // below the service time itself: named, in the JSON and above the table
    [250, true],
    // at it: reachable with an idle replica
    [300, false],
    [1000, false],
  ])('SLO %i ms → infeasible: %s', async (sloP95Ms, infeasible) => {
    const { trace, fn } = burstyTrace();
    const { run } = await evaluatePolicies({
      trace,
      fn,
      policies: ['static'],
      sloP95Ms,
      intervalSeconds: 30,
      seed: 1,
      minReplicas: 1,
      maxReplicas: 24,
      sim,
    });
    expect(run.serviceP95Ms).toBe(300);
    expect(run.infeasibleSlo !== undefined).toBe(infeasible);
    if (infeasible)
      expect(run.infeasibleSlo).toBe(
        'infeasible SLO: 250 ms is below the P95 of the service time itself (300 ms at one idle replica); no number of replicas can meet it',
      );
  });
});

describe('evaluate --sweep', () => {
  it('runs 8 settings of each tunable baseline and places each policy against their frontier', async () => {
    const { trace, fn } = burstyTrace();
    const { run } = await evaluatePolicies({
      trace,
      fn,
      policies: ['hpa', 'oracle'],
      sloP95Ms: 1000,
      intervalSeconds: 30,
      seed: 1,
      minReplicas: 1,
      maxReplicas: 24,
      sweep: true,
    });
    const families = new Map<string, number>();
    for (const p of run.sweep!.points) families.set(p.family, (families.get(p.family) ?? 0) + 1);
    expect(families.get('hpa')).toBe(8);
    expect(families.get('knative')).toBe(8);
    // The default HPA (target 80 %) is one of the swept settings: same arrivals, same result.
    const hpa = run.results.find((r) => r.policy === 'hpa')!;
    const swept80 = run.sweep!.points.find((p) => p.knob === 'targetCPUUtilizationPercentage=80')!;
    expect([swept80.replicaSeconds, swept80.missRate]).toEqual([hpa.replicaSeconds, hpa.missRate]);
    // So the default HPA cannot lie strictly below a frontier that contains itself; the oracle is not compared.
    expect(run.sweep!.vsFrontier.map((v) => [v.policy, v.belowFrontier])).toEqual([['hpa', false]]);
    expect(swept80.costVsOracle).toBeCloseTo(hpa.replicaSeconds / run.results.find((r) => r.policy === 'oracle')!.replicaSeconds, 9);
  });
});
