/**
 * The operator property run against a Kubernetes API over HTTP — the sandbox's emulator
 * (test/integration/operator-properties.test.ts) or the real kube-apiserver
 * (test/real-api/operator-properties.test.ts): random FunctionAutoscaler specs are sent as a user
 * would; what the API server admits, the operator must report on (a Ready condition with a reason),
 * its ticks must complete, and no Deployment may end above the operator's ceiling.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../../operator/src/controller/controller.js';
import { ManualClock } from '../../operator/src/controller/clock.js';
import { ClientNodeCluster } from '../../operator/src/controller/kube.js';
import { buildObservation } from '../../operator/src/metrics/observation.js';
import { createPolicy } from '../../operator/src/policies/registry.js';
import { Rails } from '../../operator/src/rails/rails.js';
import type { FunctionAutoscalerStatus } from '../../operator/src/api/types.js';
import { ScriptedMetrics } from '../unit/controller/scripted-prometheus.js';
import { deploymentBody, eventually, FAS } from './sandbox-kube-helpers.js';

export const LIMITS = { maxReplicas: 40, maxScaleUpFactor: 4 };

const anything = fc.oneof(
  fc.integer({ min: -5, max: 50 }),
  fc.constantFrom(0, 3000, 1e-310, 1e300, -0.5, 2.5, '', '3', 'lots', null, true, [], {}),
  fc.string({ maxLength: 6 }),
);
const mostly = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: anything });
const spec = fc.record(
  {
    minReplicas: mostly(fc.integer({ min: 0, max: 3 })),
    maxReplicas: mostly(fc.constantFrom(5, 20, 3000, 3000)),
    slo: mostly(fc.record({ p95LatencyMs: mostly(fc.integer({ min: 50, max: 3000 })) })),
    policy: mostly(
      fc.oneof(
        fc.constant({ name: 'hpa' }),
        fc.constant({ name: 'keda', params: { threshold: 5 } }),
        fc.constant({ name: 'static', params: { replicas: 3000 } }),
        fc.record({
          name: fc.constantFrom('keda', 'knative'),
          params: fc.dictionary(fc.constantFrom('threshold', 'metric', '__proto__', 'x'), anything, { maxKeys: 2 }),
        }),
      ),
    ),
    resources: fc.oneof(
      { weight: 4, arbitrary: fc.constant({ requests: { cpu: '100m', memory: '128Mi' } }) },
      fc.record({ requests: fc.record({ cpu: fc.constantFrom('100m', '1e-310', '0', 'lots'), memory: fc.constantFrom('128Mi', '0') }) }),
    ),
    intervalSeconds: fc.constant(30),
  },
  { requiredKeys: ['slo', 'maxReplicas', 'intervalSeconds'] },
);

let run = 0;

/** Runs the property `numRuns` times against the API `kc` points at (the CRD installed). */
export async function checkOperatorProperty(kc: KubeConfig, numRuns: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ spec, replicas: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 4 }),
      async (resources) => {
        const ns = `prop-${++run}`;
        const admitted: string[] = [];
        const prom = new ScriptedMetrics();
        await core.createNamespace({ body: { metadata: { name: ns } } });
        for (const [i, r] of resources.entries()) {
          const name = `fn-${i}`;
          await apps.createNamespacedDeployment({ namespace: ns, body: deploymentBody(name, r.replicas) });
          prom.set(`${name}.${ns}`, { rps: 40, cpuCores: 0.4, pods: r.replicas });
          try {
            await custom.createNamespacedCustomObject({
              ...FAS,
              namespace: ns,
              body: {
                apiVersion: 'faas-autoscaler.dev/v1alpha1',
                kind: 'FunctionAutoscaler',
                metadata: { name },
                spec: { functionName: name, functionNamespace: ns, ...r.spec },
              },
            });
            admitted.push(name);
          } catch (err) {
            if (!(err instanceof ApiException) || (err.code !== 422 && err.code !== 400)) throw err;
          }
        }
        const clock = new ManualClock(Date.now());
        const controller = new Controller({
          cluster: new ClientNodeCluster(kc, { timeoutMs: 5000 }),
          gateway: prom.gateway,
          cadvisor: prom.cadvisor,
          clock,
          logger: pino({ level: 'silent' }),
          createPolicy,
          createRails: (c) => new Rails(c),
          buildObservation,
          identity: 'prop',
          namespaces: [ns],
          limits: LIMITS,
        });
        controller.start();
        try {
          await eventually(() => controller.readiness().ok, 'the caches to sync', 10_000);
          for (let t = 0; t < 3; t++) {
            await clock.advance(t === 0 ? 0 : 30_000);
            const report = await controller.tick();
            expect(report.skippedNotLeader).toBe(false);
          }
        } finally {
          await controller.stop();
        }
        for (const name of admitted) {
          const obj = (await custom.getNamespacedCustomObject({ ...FAS, namespace: ns, name })) as {
            status?: FunctionAutoscalerStatus;
          };
          const ready = (obj.status?.conditions ?? []).find((c) => c.type === 'Ready');
          expect({ name, reason: ready?.reason ?? 'none' }).toEqual({ name, reason: expect.stringMatching(/^[A-Z][A-Za-z]+$/) });
        }
        for (const [i, r] of resources.entries()) {
          const dep = await apps.readNamespacedDeployment({ namespace: ns, name: `fn-${i}` });
          expect({
            i,
            replicas: dep.spec?.replicas,
            ok: (dep.spec?.replicas ?? 0) <= Math.max(r.replicas, LIMITS.maxReplicas),
          }).toMatchObject({ ok: true });
        }
      },
    ),
    { numRuns, seed: 20261207 },
  );
}
