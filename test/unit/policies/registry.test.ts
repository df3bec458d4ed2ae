import { POLICY_NAMES, PolicyConfigError, SIMULATOR_ONLY_POLICY_NAMES } from '../../../operator/src/policies/policy.js';
import type { AnyPolicyName, PolicySpec } from '../../../operator/src/policies/policy.js';
import { availablePolicyNames, createPolicy } from '../../../operator/src/policies/registry.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import { deps, observation } from './fixtures.js';

const BASELINES: AnyPolicyName[] = ['hpa', 'keda', 'knative', 'openfaas-ce', 'openfaas-pro', 'static'];
/** Minimal valid params per baseline (keda needs a threshold). */
const MINIMAL_PARAMS: Partial<Record<AnyPolicyName, Record<string, unknown>>> = { keda: { threshold: 10 } };

describe('policy registry', () => {
  test('lists registered names in alphabetical order, all of them names the custom resource or the simulator knows', () => {
    const names = availablePolicyNames();
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(BASELINES));
    const known: readonly string[] = [...POLICY_NAMES, ...SIMULATOR_ONLY_POLICY_NAMES];
    expect(names.filter((name) => !known.includes(name))).toEqual([]);
  });

  test.each(BASELINES)('creates %s with the requested name and a behaviour rails accept', async (name) => {
    const policy = await createPolicy({ name, params: MINIMAL_PARAMS[name] }, deps());
    expect(policy.name).toBe(name);
    expect(() => new Rails({ minReplicas: 1, maxReplicas: 20, behavior: policy.defaultBehavior })).not.toThrow();
    // A quiet window gives a valid integer count or "cannot decide", never NaN.
    const rec = policy.recommend(observation({ replicas: 2, readyReplicas: 2 }), 0);
    if (rec.valid) expect(Number.isInteger(rec.desiredReplicas) && rec.desiredReplicas >= 0).toBe(true);
    expect(rec.reason.length).toBeGreaterThan(0);
  });

  test('an unknown name fails with the list of known ones', async () => {
    const spec = { name: 'hpa2' } as unknown as PolicySpec;
    await expect(createPolicy(spec, deps())).rejects.toThrow(PolicyConfigError);
    await expect(createPolicy(spec, deps())).rejects.toThrow(`unknown policy "hpa2"; known policies: ${availablePolicyNames().join(', ')}`);
  });

  test('a name inherited from Object.prototype is unknown too', async () => {
    await expect(createPolicy({ name: 'toString' } as unknown as PolicySpec, deps())).rejects.toThrow(/unknown policy "toString"/);
  });
});

describe('params validation (each factory, through the registry)', () => {
  test.each([
    {
      // a typo names the key and the allowed ones
      name: 'hpa: unknown key',
      spec: { name: 'hpa', params: { targetCPU: 80 } },
      want: 'policy "hpa": unknown param "targetCPU"; allowed params: targetCPUUtilizationPercentage, tolerance',
    },
    {
      // a string where a number belongs (as in an OpenFaaS label)
      name: 'hpa: wrong type',
      spec: { name: 'hpa', params: { targetCPUUtilizationPercentage: '80' } },
      want: 'policy "hpa": param "targetCPUUtilizationPercentage" must be an integer in 1..1000, got "80"',
    },
    {
      name: 'hpa: out of range',
      spec: { name: 'hpa', params: { targetCPUUtilizationPercentage: 0 } },
      want: 'must be an integer in 1..1000, got 0',
    },
    {
      name: 'params not an object',
      spec: { name: 'hpa', params: [80] },
      want: 'policy "hpa": params must be an object of name: value, got an array',
    },
    {
      name: 'keda: threshold required',
      spec: { name: 'keda', params: {} },
      want: 'policy "keda": param "threshold" is required (a number > 0)',
    },
    { name: 'keda: threshold 0', spec: { name: 'keda', params: { threshold: 0 } }, want: 'param "threshold" must be a number > 0, got 0' },
    {
      name: 'keda: unknown metric',
      spec: { name: 'keda', params: { threshold: 1, metric: 'latency' } },
      want: 'param "metric" must be one of rps, inflight, p95LatencyMs, cpu, got "latency"',
    },
    {
      name: 'keda: boolean',
      spec: { name: 'keda', params: { threshold: 1, ignoreNullValues: 'yes' } },
      want: 'param "ignoreNullValues" must be true or false, got "yes"',
    },
    {
      // the CPU request is the function's (spec.resources), not a param
      name: 'keda: cpu without a CPU request',
      spec: { name: 'keda', params: { threshold: 100, metric: 'cpu' } },
      want: 'metric "cpu" needs the function\'s CPU request (spec.resources.requests.cpu)',
    },
    {
      name: 'knative: panic threshold below 110%',
      spec: { name: 'knative', params: { panicThresholdPercentage: 100 } },
      want: 'param "panicThresholdPercentage" must be a number in 110..1000, got 100',
    },
    {
      name: 'knative: scale-down rate 1',
      spec: { name: 'knative', params: { maxScaleDownRate: 1 } },
      want: 'param "maxScaleDownRate" must be a number > 1, got 1',
    },
    {
      name: 'knative: metric',
      spec: { name: 'knative', params: { metric: 'cpu' } },
      want: 'param "metric" must be one of concurrency, rps, got "cpu"',
    },
    {
      name: 'openfaas-ce: factor over 100',
      spec: { name: 'openfaas-ce', params: { scaleFactor: 101 } },
      want: 'param "scaleFactor" must be an integer in 0..100, got 101',
    },
    {
      name: 'openfaas-ce: min 0 (CE rejects 0)',
      spec: { name: 'openfaas-ce', params: { scaleMin: 0 } },
      want: 'param "scaleMin" must be an integer >= 1, got 0',
    },
    {
      name: 'openfaas-ce: min above max',
      spec: { name: 'openfaas-ce', params: { scaleMin: 6 } },
      want: 'param "scaleMin" (6) must be <= "scaleMax" (5)',
    },
    {
      name: 'openfaas-pro: proportion above 1',
      spec: { name: 'openfaas-pro', params: { targetProportion: 1.5 } },
      want: 'param "targetProportion" must be a number in (0, 1], got 1.5',
    },
    {
      name: 'openfaas-pro: type',
      spec: { name: 'openfaas-pro', params: { type: 'queue' } },
      want: 'param "type" must be one of rps, capacity, cpu, got "queue"',
    },
    {
      name: 'openfaas-pro: window over 5 minutes',
      spec: { name: 'openfaas-pro', params: { scaleDownWindowSeconds: 600 } },
      want: 'param "scaleDownWindowSeconds" must be an integer in 0..300, got 600',
    },
    {
      name: 'openfaas-pro: cpu without a CPU request',
      spec: { name: 'openfaas-pro', params: { type: 'cpu' } },
      want: 'type "cpu" needs the function\'s CPU request',
    },
    {
      name: 'static: unknown key',
      spec: { name: 'static', params: { count: 3 } },
      want: 'policy "static": unknown param "count"; allowed params: replicas',
    },
    {
      name: 'static: replicas outside the bounds',
      spec: { name: 'static', params: { replicas: 30 } },
      want: 'policy "static": param "replicas" must be within minReplicas..maxReplicas (1..20), got 30',
    },
  ] as { name: string; spec: PolicySpec; want: string }[])('$name', async ({ spec, want }) => {
    const created = createPolicy(spec, deps());
    await expect(created).rejects.toThrow(PolicyConfigError);
    await expect(createPolicy(spec, deps())).rejects.toThrow(want);
  });
});

describe('static policy', () => {
  test.each([
    { name: 'default is minReplicas', params: undefined, depsMin: 2, want: 2 },
    { name: 'replicas param', params: { replicas: 7 }, depsMin: 1, want: 7 },
  ])('$name', async ({ params, depsMin, want }) => {
    const policy = await createPolicy({ name: 'static', params }, deps({ minReplicas: depsMin }));
    // whatever the load, the same count
    for (const obs of [observation({ replicas: 1, rps: 0 }), observation({ replicas: 9, rps: 900, cpuPerReplica: 3 })]) {
      expect(policy.recommend(obs, 0)).toEqual({ valid: true, desiredReplicas: want, reason: `static: ${want} replicas` });
    }
    expect(policy.defaultBehavior).toBeUndefined();
  });
});
