/** Shards by Lease in scripted time: a stable split, an even share, take-over when a replica dies, rebalancing when one joins. */
import { ManualClock } from '../../../operator/src/controller/clock.js';
import { KubeApiError, type ClusterClient } from '../../../operator/src/controller/kube.js';
import { nameSafe, shardOf, ShardCoordinator } from '../../../operator/src/controller/shards.js';
import { FakeCluster } from './fake-cluster.js';

const NS = 'faas-autoscaler';
const LEASE_S = 15;
const RETRY_S = 2;

/** The cluster as one replica reaches it; `cut()` makes every call fail as a dead or partitioned replica's would. */
function reach(cluster: FakeCluster): { client: ClusterClient; cut(): void } {
  let cut = false;
  const client = new Proxy(cluster, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        cut
          ? Promise.reject(new KubeApiError('connect ECONNREFUSED', undefined, 'ECONNREFUSED'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { client, cut: () => (cut = true) };
}

function coordinator(client: ClusterClient, clock: ManualClock, identity: string, shards = 4): ShardCoordinator {
  return new ShardCoordinator({
    client,
    namespace: NS,
    name: 'faas-autoscaler',
    identity,
    shards,
    clock,
    leaseDurationSeconds: LEASE_S,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: RETRY_S,
  });
}

describe('shardOf', () => {
  it('is FNV-1a of the key mod the shard count, the same in every replica', () => {
    // FNV-1a("a") = 0xe40c292c; FNV-1a("") = the offset basis 0x811c9dc5.
    expect([shardOf('a', 1000), shardOf('', 1000)]).toEqual([0xe40c292c % 1000, 0x811c9dc5 % 1000]);
    expect(shardOf('openfaas-fn/figlet', 7)).toBe(shardOf('openfaas-fn/figlet', 7));
  });

  it('spreads 10,000 resources over 4 shards within 5 % of even', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[shardOf(`team-${i % 7}/fn-${i}`, 4)]++;
    for (const c of counts) expect(Math.abs(c - 2500)).toBeLessThan(125);
  });

  it('makes any identity a valid Lease name suffix', () => {
    expect(nameSafe('Operator_0.Pod:7')).toBe('operator-0-pod-7');
    expect(nameSafe('x'.repeat(100)).length).toBe(63);
  });
});

describe('ShardCoordinator', () => {
  it('two replicas split four shards 2/2; one dies and the other holds all four within a lease duration and a retry period of its last renewal, never two leaders of a shard', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const ra = reach(cluster);
    const a = coordinator(ra.client, clock, 'op-a');
    const b = coordinator(reach(cluster).client, clock, 'op-b');
    a.start();
    b.start();
    const overlap = (): number[] => a.held().filter((s) => b.held().includes(s));
    for (let t = 0; t < 20_000; t += 250) {
      await clock.advance(250);
      expect(overlap()).toEqual([]);
    }
    expect({ a: a.held().length, b: b.held().length, all: [...a.held(), ...b.held()].sort() }).toEqual({ a: 2, b: 2, all: [0, 1, 2, 3] });

    // a dies: from now on none of its requests reach the API server.
    const lastRenewal = clock.now();
    ra.cut();
    let tookOverAt: number | undefined;
    for (let t = 0; t < 40_000 && tookOverAt === undefined; t += 250) {
      await clock.advance(250);
      expect(overlap()).toEqual([]);
      if (b.held().length === 4) tookOverAt = clock.now();
    }
    expect(tookOverAt).toBeDefined();
    expect(tookOverAt! - lastRenewal).toBeLessThanOrEqual((LEASE_S + RETRY_S) * 1000);
    expect(a.held()).toEqual([]);

    // A new replica joins: the shards are shared again, 2/2.
    const c = coordinator(reach(cluster).client, clock, 'op-c');
    c.start();
    await clock.advance(20_000);
    expect({ b: b.held().length, c: c.held().length }).toEqual({ b: 2, c: 2 });
    expect([...b.held(), ...c.held()].sort()).toEqual([0, 1, 2, 3]);

    // The dead replica's member Lease is deleted once it has been silent for ten lease durations.
    expect(cluster.leases.has(`${NS}/faas-autoscaler-member-op-a`)).toBe(true);
    await clock.advance(10 * LEASE_S * 1000);
    expect(cluster.leases.has(`${NS}/faas-autoscaler-member-op-a`)).toBe(false);
    await b.stop();
    await c.stop();
    expect([...cluster.leases.values()].filter((l) => l.holderIdentity !== null)).toEqual([]);
  });

  it('one replica holds every shard; three replicas share five shards 2/2/1', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const solo = coordinator(cluster, clock, 'solo', 5);
    solo.start();
    await clock.advance(10_000);
    expect(solo.held()).toEqual([0, 1, 2, 3, 4]);
    const others = [coordinator(cluster, clock, 'two', 5), coordinator(cluster, clock, 'three', 5)];
    for (const o of others) o.start();
    await clock.advance(30_000);
    const shares = [solo, ...others].map((c) => c.held().length).sort();
    expect(shares).toEqual([1, 2, 2]);
    for (const c of [solo, ...others]) await c.stop();
  });
});
