/**
 * Shards by Lease with two operator processes (`--shards 2`) on one sandbox: each leads one shard
 * through its own Lease and alone scales that shard's functions; when one is killed (SIGKILL, so
 * it cannot release its Leases) the other takes its shard once the Lease has expired — within the
 * lease duration of the last renewal, plus the retry period — and scales its functions from then
 * on. Run against the emulated API server (test/e2e/shards.test.ts) and the real kube-apiserver
 * (test/real-api/shards.test.ts).
 *
 * Lease timings (harness): duration 6 s, renew deadline 4 s, retry period 1 s.
 */
import type { V1Lease } from '@kubernetes/client-node';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { shardOf } from '../../operator/src/controller/shards.js';
import { createFas, E2E, eventsFor, FAS, FN_NAMESPACE, replicasOf, waitFor, type KubeClients } from './harness.js';

const LEASE_DURATION_MS = 6_000;
const RETRY_PERIOD_MS = 1_000;
const DEADLINE_MS = 45_000;
export const FUNCTIONS = ['sh-a', 'sh-b', 'sh-c', 'sh-d'];
const shardLease = (i: number): { name: string; namespace: string } => ({
  name: `faas-autoscaler-leader-shard-${i}`,
  namespace: 'default',
});

const holderOf = async (kube: KubeClients, shard: number): Promise<string | undefined> =>
  ((await kube.coordination.readNamespacedLease(shardLease(shard)).catch(() => undefined)) as V1Lease | undefined)?.spec?.holderIdentity ??
  undefined;

/** The Event's reporting instance of the last Scaled Event to `replicas` for `fn`, once there is one. */
async function scaledBy(kube: KubeClients, fn: string, replicas: number): Promise<string> {
  return waitFor(
    `a Scaled Event to ${replicas} for ${fn}`,
    async () =>
      (await eventsFor(kube, fn))
        .filter((e) => e.reason === 'Scaled' && new RegExp(` to ${replicas}\\b`).test(e.message))
        .map((e) => e.instance)
        .at(-1),
    DEADLINE_MS,
  );
}

/** The scenario on a started sandbox: two operators, the split, a kill, the take-over. */
export async function shardsScenario(e2e: E2E, info: SandboxInfo, kube: KubeClients, promUrl: string): Promise<void> {
  const holder = (shard: number): Promise<string | undefined> => holderOf(kube, shard);
  const operators = new Map([
    ['op-a', await e2e.operator(info, promUrl, { identity: 'op-a', extraArgs: ['--shards', '2'] })],
    ['op-b', await e2e.operator(info, promUrl, { identity: 'op-b', extraArgs: ['--shards', '2'] })],
  ]);
  // Without requests there are no gateway series, and every policy holds.
  for (const fn of FUNCTIONS) e2e.steadyLoad(`load-${fn}`, info.gatewayUrl, fn, 2);
  // Both shards held, by different replicas.
  const holders = await waitFor(
    'each replica to hold one shard',
    async () => {
      const h = [await holder(0), await holder(1)];
      return h[0] && h[1] && h[0] !== h[1] ? (h as string[]) : undefined;
    },
    DEADLINE_MS,
  );
  expect(new Set(holders)).toEqual(new Set(['op-a', 'op-b']));
  const shards = FUNCTIONS.map((fn) => shardOf(`${FN_NAMESPACE}/${fn}`, 2));
  expect(new Set(shards)).toEqual(new Set([0, 1]));
  for (const fn of FUNCTIONS)
    await createFas(kube, fn, {
      functionName: fn,
      minReplicas: 1,
      maxReplicas: 10,
      intervalSeconds: 5,
      slo: { p95LatencyMs: 1000 },
      policy: { name: 'static', params: { replicas: 2 } },
    });
  for (const fn of FUNCTIONS) await waitFor(`${fn} scaled to 2`, async () => (await replicasOf(kube, fn)) === 2, DEADLINE_MS);
  // Each function was scaled by the holder of its shard, and by no one else.
  for (const [i, fn] of FUNCTIONS.entries()) {
    const scaled = (await eventsFor(kube, fn)).filter((e) => e.reason === 'Scaled').map((e) => e.instance);
    expect({ fn, scaled }).toEqual({ fn, scaled: [holders[shards[i]]] });
  }

  // Kill the holder of shard 0; the other must take it once its Lease expires.
  const victim = holders[0];
  const survivor = holders[1];
  operators.get(victim)!.signal('SIGKILL');
  await operators.get(victim)!.exited;
  const lastRenewMs = new Date((await kube.coordination.readNamespacedLease(shardLease(0))).spec!.renewTime!).getTime();
  const taken = await waitFor(
    `${survivor} to hold shard 0`,
    async () => {
      const l = await kube.coordination.readNamespacedLease(shardLease(0));
      return l.spec?.holderIdentity === survivor ? l : undefined;
    },
    DEADLINE_MS,
  );
  const afterExpiry = new Date(taken.spec!.acquireTime!).getTime() - (lastRenewMs + LEASE_DURATION_MS);
  // Not before the Lease expired (no two leaders of a shard), and at most a retry period (plus a
  // second of scheduling slack) after.
  expect({ afterExpiry, ok: afterExpiry >= 0 && afterExpiry <= RETRY_PERIOD_MS + 1000 }).toMatchObject({ ok: true });
  expect(await holder(1)).toBe(survivor);

  // The survivor now scales every function, its old shard's and the one it took over.
  for (const fn of FUNCTIONS)
    await kube.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: FN_NAMESPACE,
      name: fn,
      body: [{ op: 'replace', path: '/spec/policy/params/replicas', value: 3 }],
    });
  for (const fn of FUNCTIONS) {
    await waitFor(`${fn} scaled to 3`, async () => (await replicasOf(kube, fn)) === 3, DEADLINE_MS);
    expect({ fn, by: await scaledBy(kube, fn, 3) }).toEqual({ fn, by: survivor });
  }
}
