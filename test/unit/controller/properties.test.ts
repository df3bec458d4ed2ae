/**
 * Property: whatever FunctionAutoscaler specs people write and whatever numbers policies return,
 * the controller's ticks complete, each bad resource is reported on itself (a Ready condition
 * with a reason), and no /scale write exceeds the operator's ceiling or its largest scale-up.
 * fast-check draws the specs (extreme, non-finite-as-JSON-allows, long and unicode names, odd
 * quantities, wrong types) and the policies' outputs (fractions, negatives, NaN, Infinity, huge
 * counts, throws); a failure prints the smallest case it found.
 */
import fc from 'fast-check';
import type { AutoscalerObject } from '../../../operator/src/controller/kube.js';
import type { ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { harness, NS } from './controller-harness.js';

const LIMITS = { maxReplicas: 40, maxScaleUpFactor: 4 };

/** What a policy may return: any number, or a throw. */
const output = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -1, 2.5, 1e-320, 1e308, 2 ** 31, Number.MAX_SAFE_INTEGER + 2),
  fc.double(),
  fc.constant('throw' as const),
);

/** A policy replaying drawn outputs (or throwing) at each decision. */
function scripted(outputs: readonly (number | 'throw')[]): ScalingPolicy {
  let i = 0;
  return {
    name: 'keda',
    recommend: () => {
      const o = outputs[i++ % outputs.length];
      if (o === 'throw') throw new RangeError('policy bug');
      return { valid: true, desiredReplicas: o, reason: `scripted ${String(o)}` };
    },
    reset() {},
    dispose() {},
  };
}

/** Anything a spec field could hold once a user has typed it. */
const anything = fc.oneof(
  fc.integer({ min: -10, max: 10 }),
  fc.integer(),
  fc.constantFrom(0, 1, 3, 5000, 1e-310, 1e300, -0.5, 2.5, '', '3', 'lots', null, true, [], {}),
  fc.double(),
  fc.string({ maxLength: 8 }),
);

const name = fc.oneof(
  { weight: 10, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(300), 'fünf', 'función-ñ', 'a/b', 'UPPER', '-lead', 'trail-', '..', '💥') },
);

/** Mostly a sensible value, sometimes anything at all: most resources reach a decision. */
const mostly = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 20, arbitrary: good }, { weight: 1, arbitrary: anything });

const spec = fc.record(
  {
    minReplicas: mostly(fc.integer({ min: 0, max: 5 })),
    maxReplicas: mostly(fc.constantFrom(1, 5, 20, 100, 3000)),
    intervalSeconds: mostly(fc.constantFrom(30, 15, 60)),
    slo: mostly(fc.record({ p95LatencyMs: mostly(fc.integer({ min: 50, max: 5000 })) })),
    policy: fc.oneof(
      { weight: 10, arbitrary: fc.constant({ name: 'keda' }) },
      {
        weight: 1,
        arbitrary: fc.record(
          {
            name: fc.constantFrom('keda', 'hpa', 'static', 'nope', 'oracle', '__proto__'),
            params: fc.dictionary(fc.string({ maxLength: 12 }), anything, { maxKeys: 3 }),
          },
          { requiredKeys: ['name'] },
        ),
      },
    ),
    resources: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      fc.record(
        {
          requests: fc.record(
            {
              cpu: fc.oneof(fc.constantFrom('1e-310', '100m', '0', '-1', 'lots', '1Ei', '0.000001'), anything),
              memory: fc.constantFrom('128Mi', '1e999', '0', 'x'),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    behavior: mostly(fc.constant(undefined)),
    dryRun: mostly(fc.constant(false)),
    functionNamespace: fc.oneof({ weight: 20, arbitrary: fc.constant(NS) }, { weight: 1, arbitrary: fc.constantFrom('other-team', '') }),
  },
  { requiredKeys: ['slo', 'maxReplicas'] },
);

const resource = fc.record({
  fn: name,
  spec,
  outputs: fc.array(output, { minLength: 1, maxLength: 6 }),
  replicas: fc.integer({ min: 0, max: 60 }),
});

it('ticks complete, every resource gets a Ready condition, no write beyond the operator limits', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(resource, { minLength: 1, maxLength: 6 }), async (resources) => {
      const byName = new Map(resources.map((r) => [r.fn, r]));
      const h = await harness({
        limits: LIMITS,
        createPolicy: async (p) => {
          if (p.name !== 'keda') throw new Error(`not in this test: ${p.name}`);
          return scripted([...byName.values()].flatMap((r) => r.outputs));
        },
      });
      for (const r of byName.values()) {
        h.cluster.putDeployment(NS, r.fn, r.replicas);
        h.cluster.putAutoscaler({
          apiVersion: 'faas-autoscaler.dev/v1alpha1',
          kind: 'FunctionAutoscaler',
          metadata: { name: r.fn, namespace: NS },
          spec: { functionName: r.fn, ...r.spec },
        } as AutoscalerObject);
        h.prom.set(`${r.fn}.${NS}`, { rps: 20, cpuCores: 0.2 });
      }
      h.controller.start();
      for (let t = 0; t < 4; t++) await h.clock.advance(t === 0 ? 0 : 30_000);
      await h.controller.stop();

      // Every resource reported something about itself.
      for (const r of byName.values()) {
        const ready = h.condition(r.fn, 'Ready');
        expect({ fn: r.fn, reason: ready?.reason ?? 'none' }).toEqual({ fn: r.fn, reason: expect.stringMatching(/^[A-Z][A-Za-z]+$/) });
      }
      // No scale write above the ceiling, nor a step above the largest scale-up.
      for (const call of h.cluster.calls.filter((c) => c.startsWith('replaceScale '))) {
        const replicas = Number(call.split(' ').at(-1));
        expect({ call, ok: Number.isInteger(replicas) && replicas >= 0 && replicas <= LIMITS.maxReplicas }).toEqual({ call, ok: true });
      }
      for (const r of byName.values()) {
        const now = h.cluster.replicasOf(NS, r.fn)!;
        expect({ fn: r.fn, now, ok: now <= Math.max(r.replicas, LIMITS.maxReplicas) }).toMatchObject({ ok: true });
      }
      // Nothing escaped a reconcile.
      const escaped = await h.controller.operatorMetrics.registry.getSingleMetric('faas_autoscaler_reconcile_errors_total')!.get();
      expect(escaped.values.filter((v) => v.labels.scope === 'tick').reduce((a, v) => a + v.value, 0)).toBe(0);
    }),
    { numRuns: 1000, seed: 20261207 },
  );
}, 120_000);
