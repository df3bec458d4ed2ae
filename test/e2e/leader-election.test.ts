/**
 * E2E 5: two operator processes on one sandbox elect one leader through a Lease; only the leader
 * writes; when the leader is killed (SIGKILL, so it cannot release the Lease) the other takes
 * over once the Lease has expired — within the lease duration of the last renewal, plus the
 * follower's retry period — and carries on scaling.
 *
 * Lease timings (harness): duration 6 s, renew deadline 4 s, retry period 1 s.
 */
import type { V1Lease } from '@kubernetes/client-node';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import {
  createFas,
  E2E,
  eventsFor,
  FAS,
  fasStatus,
  FN_NAMESPACE,
  replicasOf,
  waitFor,
  type KubeClients,
  type RunningOperatorProc,
} from './harness.js';

const LEASE = { name: 'faas-autoscaler-leader', namespace: 'default' };
const LEASE_DURATION_MS = 6_000;
const RETRY_PERIOD_MS = 1_000;
const DEADLINE_MS = 45_000;

const e2e = new E2E('leader');
let info: SandboxInfo;
let kube: KubeClients;
const operators = new Map<string, RunningOperatorProc>();

beforeAll(async () => {
  const config = e2e.file('sandbox.yaml', { functions: [{ name: 'le-fn', profile: 'fixed:100ms', coldStartSeconds: 1 }] });
  const sandbox = await e2e.sandbox(['--config', config]);
  info = sandbox.info;
  kube = sandbox.kube;
  const prom = await e2e.prometheus(info);
  for (const identity of ['op-a', 'op-b']) operators.set(identity, await e2e.operator(info, prom.url, { identity }));
  e2e.steadyLoad('load', info.gatewayUrl, 'le-fn', 10);
  await createFas(kube, 'le-fn', {
    functionName: 'le-fn',
    minReplicas: 1,
    maxReplicas: 10,
    intervalSeconds: 5,
    slo: { p95LatencyMs: 1000 },
    policy: { name: 'hpa' },
  });
}, 90_000);

afterAll(() => e2e.cleanup());

async function lease(): Promise<V1Lease> {
  return kube.coordination.readNamespacedLease(LEASE);
}

async function isLeaderGauge(op: RunningOperatorProc): Promise<number> {
  const text = await (await fetch(`${op.endpoints}/metrics`)).text();
  return Number(/^faas_autoscaler_is_leader(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
}

it('elects one leader, which alone writes; killing it hands over within the lease duration', async () => {
  const leader = await waitFor('a Lease holder', async () => (await lease()).spec?.holderIdentity ?? undefined, DEADLINE_MS);
  const follower = [...operators.keys()].find((id) => id !== leader)!;
  expect(operators.has(leader)).toBe(true);
  // The leader scales the function (10 requests/s × 100 ms: the HPA wants 2) and is alone in doing so.
  await waitFor('le-fn scaled to 2 by the leader', async () => (await replicasOf(kube, 'le-fn')) === 2, DEADLINE_MS);
  const instances = new Set((await eventsFor(kube, 'le-fn')).map((e) => e.instance));
  expect([...instances]).toEqual([leader]);
  expect([await isLeaderGauge(operators.get(leader)!), await isLeaderGauge(operators.get(follower)!)]).toEqual([1, 0]);

  operators.get(leader)!.signal('SIGKILL');
  await operators.get(leader)!.exited;
  const lastRenewMs = new Date((await lease()).spec!.renewTime!).getTime();
  const taken = await waitFor(
    'the follower to hold the Lease',
    async () => {
      const l = await lease();
      return l.spec?.holderIdentity === follower ? l : undefined;
    },
    DEADLINE_MS,
  );
  const takeoverMs = new Date(taken.spec!.acquireTime!).getTime();
  // Not before the Lease expired (no two leaders), and at most one retry period (plus a second
  // of scheduling slack) after it did.
  const afterExpiry = takeoverMs - (lastRenewMs + LEASE_DURATION_MS);
  expect({ afterExpiry, ok: afterExpiry >= 0 && afterExpiry <= RETRY_PERIOD_MS + 1000 }).toMatchObject({ ok: true });
  expect(taken.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);

  // The new leader carries on: a new minimum is applied, and the Event names it.
  await kube.custom.patchNamespacedCustomObject({
    ...FAS,
    namespace: FN_NAMESPACE,
    name: 'le-fn',
    body: [{ op: 'replace', path: '/spec/minReplicas', value: 3 }],
  });
  await waitFor('le-fn scaled to 3 by the new leader', async () => (await replicasOf(kube, 'le-fn')) === 3, DEADLINE_MS);
  // The Event and the status are written after the Deployment is scaled: wait for them too.
  const lastScaled = await waitFor(
    'a Scaled Event to 3',
    async () => {
      const scaled = (await eventsFor(kube, 'le-fn')).filter((e) => e.reason === 'Scaled');
      const last = scaled[scaled.length - 1];
      return last && / to 3\b/.test(last.message) ? last : undefined;
    },
    DEADLINE_MS,
  );
  expect(lastScaled.instance).toBe(follower);
  await waitFor('status.desiredReplicas 3', async () => (await fasStatus(kube, 'le-fn')).desiredReplicas === 3, DEADLINE_MS);
  expect(await isLeaderGauge(operators.get(follower)!)).toBe(1);
}, 120_000);
