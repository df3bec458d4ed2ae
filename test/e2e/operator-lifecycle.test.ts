/**
 * E2E 2, 3, 4 and 6 on one running system (separate processes: sandbox, real Prometheus, one
 * operator, `faas-loadgen` for steady load), in this order because the later ones disturb it more:
 *
 *   2  patching spec.policy.name mid-run switches the policy (status and an Event say so)
 *   6  a bad FunctionAutoscaler (max < min, unknown policy) is rejected by the API server's
 *      validation; with an older, looser CRD it is stored, reported in status, and nothing scales
 *   4  the API server's watches broken, then the server restarted (watch cache lost → 410): the
 *      operator relists and acts on changes made after each
 *   3  Prometheus killed → replicas held and MetricsAvailable=False; restarted → decisions resume
 *
 * Functions serve a fixed 100 ms per request with one slot per replica, so 10 requests/s keep one
 * slot busy: the HPA (target 80 %) settles at 2 replicas.
 */
import { ApiException, ApiextensionsV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { PrometheusProcess } from '../../operator/src/sandbox/prometheus-process.js';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { scrapeSample } from '../support/metrics-text.js';
import {
  condition,
  control,
  createFas,
  E2E,
  eventsFor,
  eventsWithReason,
  FAS,
  fasStatus,
  FN_NAMESPACE,
  replicasOf,
  waitFor,
  type KubeClients,
  type Proc,
} from './harness.js';

const INTERVAL_SECONDS = 5;
/** Enough for a few intervals plus a cold start, on a busy CI machine. */
const DEADLINE_MS = 45_000;

const e2e = new E2E('lifecycle');
let info: SandboxInfo;
let kube: KubeClients;
let prom: PrometheusProcess;
let watchLoad: Proc;
let operatorEndpoints: string;

const base = {
  minReplicas: 1,
  maxReplicas: 10,
  intervalSeconds: INTERVAL_SECONDS,
  slo: { p95LatencyMs: 1000 },
  behavior: { scaleDown: { stabilizationWindowSeconds: 5, policies: [{ type: 'Percent', value: 100, periodSeconds: 5 }] } },
};

beforeAll(async () => {
  const config = e2e.file('sandbox.yaml', {
    functions: ['switch-fn', 'watch-fn', 'bad-fn', 'bad-fn2'].map((name) => ({ name, profile: 'fixed:100ms', coldStartSeconds: 1 })),
  });
  const sandbox = await e2e.sandbox(['--config', config]);
  info = sandbox.info;
  kube = sandbox.kube;
  prom = await e2e.prometheus(info);
  operatorEndpoints = (await e2e.operator(info, prom.url, { identity: 'lifecycle' })).endpoints;
  e2e.steadyLoad('load-switch', info.gatewayUrl, 'switch-fn', 5);
  watchLoad = e2e.steadyLoad('load-watch', info.gatewayUrl, 'watch-fn', 10);
  await createFas(kube, 'switch-fn', { ...base, functionName: 'switch-fn', policy: { name: 'hpa' } });
  await createFas(kube, 'watch-fn', { ...base, functionName: 'watch-fn', policy: { name: 'hpa' } });
}, 90_000);

afterAll(() => e2e.cleanup());

/**
 * Resolves after the operator has made `n` more decisions for `name` (its ticks, not a sleep). Status
 * is rewritten only when something in it changes, so the decisions are read from the operator's
 * per-function gauge of the last decision's time.
 */
async function decisions(name: string, n: number): Promise<void> {
  const lastDecision = (): Promise<number | undefined> =>
    scrapeSample(`${operatorEndpoints}/metrics`, 'faas_autoscaler_function_last_decision_timestamp_seconds', {
      namespace: FN_NAMESPACE,
      name,
    });
  const seen = new Set<number>();
  const first = await lastDecision();
  if (first !== undefined) seen.add(first);
  await waitFor(
    `${n} more decisions for ${name}`,
    async () => {
      const t = await lastDecision();
      if (t !== undefined) seen.add(t);
      return seen.size >= n + (first !== undefined ? 1 : 0);
    },
    DEADLINE_MS,
  );
}

async function patchFas(name: string, ops: object[]): Promise<void> {
  // JSON patch: client-node's default content type for custom objects.
  await kube.custom.patchNamespacedCustomObject({ ...FAS, namespace: FN_NAMESPACE, name, body: ops });
}

async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) {
      const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string };
      return { code: err.code, message: body?.message ?? '' };
    }
    throw err;
  }
  throw new Error('expected the API server to reject the object');
}

describe('2: policy switch', () => {
  it('switches at the next interval: status.activePolicy and a PolicySwitched Event', async () => {
    await waitFor('hpa deciding for switch-fn', async () => (await fasStatus(kube, 'switch-fn')).activePolicy === 'hpa', DEADLINE_MS);
    await patchFas('switch-fn', [{ op: 'replace', path: '/spec/policy/name', value: 'knative' }]);
    const status = await waitFor(
      'knative deciding',
      async () => {
        const s = await fasStatus(kube, 'switch-fn');
        return s.activePolicy === 'knative' && s.lastDecision?.reason?.startsWith('knative') ? s : undefined;
      },
      DEADLINE_MS,
    );
    expect(condition(status, 'PolicyLoaded')).toMatchObject({ status: 'True' });
    const switched = (await eventsWithReason(kube, 'switch-fn', 'PolicySwitched')).filter((e) => e.reason === 'PolicySwitched');
    expect(switched).toEqual([expect.objectContaining({ type: 'Normal', message: expect.stringContaining('hpa → knative') })]);
  });
});

describe('6: bad FunctionAutoscalers', () => {
  const badRange = { ...base, functionName: 'bad-fn', minReplicas: 3, maxReplicas: 2, policy: { name: 'hpa' } };
  const badPolicy = { ...base, functionName: 'bad-fn2', minReplicas: 2, policy: { name: 'nope' } };

  it.each([
    // the CRD's CEL rule
    { name: 'bad-range', spec: badRange, want: 'minReplicas must be less than or equal to maxReplicas' },
    // the CRD's enum of policy names
    { name: 'bad-policy', spec: badPolicy, want: 'Unsupported value: "nope"' },
  ])('the API server rejects $name (422)', async ({ name, spec, want }) => {
    const { code, message } = await rejection(createFas(kube, name, spec));
    expect(code).toBe(422);
    expect(message).toContain(want);
  });

  it('with an older CRD that lets them in, the operator reports them in status and scales nothing', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfig);
    const apiext = kc.makeApiClient(ApiextensionsV1Api);
    const crdName = 'functionautoscalers.faas-autoscaler.dev';
    const original = await apiext.readCustomResourceDefinition({ name: crdName });
    const loose = loosen(structuredClone(original));
    await apiext.replaceCustomResourceDefinition({ name: crdName, body: loose });
    try {
      await createFas(kube, 'bad-range', badRange);
      await createFas(kube, 'bad-policy', badPolicy);
      for (const [name, want] of [
        ['bad-range', 'minReplicas must be less than or equal to maxReplicas'],
        ['bad-policy', 'Unsupported value: "nope"'],
      ]) {
        const status = await waitFor(
          `${name} reported invalid`,
          async () => {
            const s = await fasStatus(kube, name);
            return condition(s, 'Ready')?.reason === 'InvalidSpec' ? s : undefined;
          },
          DEADLINE_MS,
        );
        expect(condition(status, 'Ready')).toMatchObject({ status: 'False', message: expect.stringContaining(want) });
        expect((await eventsWithReason(kube, name, 'InvalidSpec')).map((e) => `${e.type}/${e.reason}`)).toContain('Warning/InvalidSpec');
      }
      // Two more operator ticks: neither function was scaled (a naive bound would have given 2 or 3).
      await decisions('switch-fn', 2);
      expect([await replicasOf(kube, 'bad-fn'), await replicasOf(kube, 'bad-fn2')]).toEqual([1, 1]);
      const scaled = [...(await eventsFor(kube, 'bad-range')), ...(await eventsFor(kube, 'bad-policy'))].filter(
        (e) => e.reason === 'Scaled',
      );
      expect(scaled).toEqual([]);
    } finally {
      for (const name of ['bad-range', 'bad-policy'])
        await kube.custom.deleteNamespacedCustomObject({ ...FAS, namespace: FN_NAMESPACE, name }).catch(() => undefined);
      const current = await apiext.readCustomResourceDefinition({ name: crdName });
      await apiext.replaceCustomResourceDefinition({
        name: crdName,
        body: { ...original, metadata: { ...original.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
    }
  });
});

/** The CRD without the min ≤ max rule and without the enum of policy names (an older CRD). */
function loosen(crd: V1CustomResourceDefinition): V1CustomResourceDefinition {
  const spec = crd.spec.versions[0].schema!.openAPIV3Schema!.properties!.spec;
  // client-node's model names: x-kubernetes-validations and enum.
  delete spec.x_kubernetes_validations;
  delete spec.properties!.policy.properties!.name._enum;
  return crd;
}

describe('4: API server disruptions', () => {
  it.each([
    // every watch stream cut (connection reset): the operator re-watches
    { what: 'watches broken', action: '/kube/break-watches?how=reset', minReplicas: 3 },
    // a restart: connections drop and the watch cache is gone, so resuming gets 410 and it relists
    { what: 'API server restarted', action: '/kube/restart?keepState=true', minReplicas: 4 },
  ])('$what: a change made afterwards is acted on', async ({ action, minReplicas }) => {
    await waitFor('watch-fn reconciled', async () => (await fasStatus(kube, 'watch-fn')).lastDecision !== undefined, DEADLINE_MS);
    await control(info, action);
    await patchFas('watch-fn', [{ op: 'replace', path: '/spec/minReplicas', value: minReplicas }]);
    await waitFor(
      `watch-fn scaled to its new minimum ${minReplicas}`,
      async () => (await replicasOf(kube, 'watch-fn')) === minReplicas,
      DEADLINE_MS,
    );
    const status = await fasStatus(kube, 'watch-fn');
    expect(status.desiredReplicas).toBe(minReplicas);
  });

  it('after both, lowering the minimum lets the policy scale back down', async () => {
    await patchFas('watch-fn', [{ op: 'replace', path: '/spec/minReplicas', value: 1 }]);
    // 10 requests/s × 100 ms = one busy slot: the HPA at 80 % wants 2.
    await waitFor("watch-fn back at the HPA's 2 replicas", async () => (await replicasOf(kube, 'watch-fn')) === 2, DEADLINE_MS);
  });
});

describe('3: Prometheus outage', () => {
  it('holds the replicas and sets MetricsAvailable=False while Prometheus is down; decisions resume when it is back', async () => {
    const promUrl = new URL(prom.url);
    const before = await replicasOf(kube, 'watch-fn');
    await prom.stop(0); // SIGKILL: a crash, not a shutdown
    // No load any more: if the operator could see it, the HPA would scale down to 1.
    watchLoad.signal('SIGKILL');
    const down = await waitFor(
      'MetricsAvailable=False',
      async () => {
        const s = await fasStatus(kube, 'watch-fn');
        return condition(s, 'MetricsAvailable')?.reason === 'PrometheusUnavailable' ? s : undefined;
      },
      DEADLINE_MS,
    );
    expect(condition(down, 'MetricsAvailable')?.status).toBe('False');
    await decisions('watch-fn', 2);
    expect(await replicasOf(kube, 'watch-fn')).toBe(before);

    prom = await e2e.prometheus(info, Number(promUrl.port));
    await waitFor(
      'MetricsAvailable=True again',
      async () => condition(await fasStatus(kube, 'watch-fn'), 'MetricsAvailable')?.status === 'True',
      DEADLINE_MS,
    );
    await waitFor('the idle function scaled down to 1', async () => (await replicasOf(kube, 'watch-fn')) === 1, DEADLINE_MS);
  });
});
