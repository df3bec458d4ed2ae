/**
 * The demo's promise (issue "Foundation", Done when): on the demo function the oracle has the
 * fewest replica-seconds among the policies whose SLO-violation rate is no higher than its own.
 */
import { DEMO } from '../../../operator/src/commands/demo.js';
import { evaluatePolicies } from '../../../operator/src/report/evaluate.js';
import { loadTrace, parseFunctionSelector, selectFunction } from '#kernel/traces/index.js';
import { packagePath } from '../../../operator/src/package-root.js';

describe('demo function', () => {
  it('the oracle is the cheapest policy at its violation rate or better', async () => {
    const trace = await loadTrace({ trace: packagePath(DEMO.trace), rateScale: DEMO.rateScale });
    const fn = selectFunction(trace, parseFunctionSelector(DEMO.function));
    expect(fn.trigger).toBe('http');
    const { run } = await evaluatePolicies({
      trace,
      fn,
      policies: ['hpa', 'keda', 'knative', 'openfaas-ce', 'openfaas-pro', 'static', 'oracle'],
      sloP95Ms: DEMO.sloMs,
      intervalSeconds: DEMO.intervalSeconds,
      seed: DEMO.seed,
      minReplicas: DEMO.minReplicas,
      maxReplicas: DEMO.maxReplicas,
    });
    const oracle = run.results.find((r) => r.policy === 'oracle');
    expect(oracle).toBeDefined();
    const asGoodOnSlo = run.results.filter((r) => r.sloViolationRate <= (oracle?.sloViolationRate ?? 0));
    const cheapest = asGoodOnSlo.reduce((a, b) => (b.replicaSeconds < a.replicaSeconds ? b : a));
    expect({ cheapest: cheapest.policy, replicaSeconds: cheapest.replicaSeconds }).toEqual({
      cheapest: 'oracle',
      replicaSeconds: oracle?.replicaSeconds,
    });
  }, 120_000);
});
