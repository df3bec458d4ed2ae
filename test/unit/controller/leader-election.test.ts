/** Lease-based leader election in scripted time: acquire, renew, expire, race (409), release. */
import { ManualClock } from '../../../operator/src/controller/clock.js';
import { LeaderElector } from '../../../operator/src/controller/leader-election.js';
import { KubeApiError } from '../../../operator/src/controller/kube.js';
import { FakeCluster } from './fake-cluster.js';

const NS = 'faas-autoscaler';

function elector(cluster: FakeCluster, clock: ManualClock, identity: string): LeaderElector {
  return new LeaderElector({
    client: cluster,
    namespace: NS,
    name: 'faas-autoscaler-leader',
    identity,
    clock,
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  });
}

describe('LeaderElector', () => {
  it('one of two candidates leads; the other takes over only after the Lease expires', async () => {
    const clock = new ManualClock(1_000_000);
    const cluster = new FakeCluster();
    const a = elector(cluster, clock, 'a');
    const b = elector(cluster, clock, 'b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    // a stops renewing (crashed). b keeps trying; it may take over 15 s after it last saw a change.
    const rows: Array<[number, boolean]> = [];
    for (const t of [5_000, 10_000, 14_000, 15_000]) {
      await clock.advance(1_000_000 + t - clock.now());
      rows.push([t, await b.tryAcquireOrRenew()]);
    }
    expect(rows).toEqual([
      [5_000, false],
      [10_000, false],
      [14_000, false],
      [15_000, true],
    ]);
    const lease = cluster.leases.get(`${NS}/faas-autoscaler-leader`)!;
    expect({ holder: lease.holderIdentity, transitions: lease.leaseTransitions }).toEqual({ holder: 'b', transitions: 1 });
  });

  it('renewals by the leader keep the follower out', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const a = elector(cluster, clock, 'a');
    const b = elector(cluster, clock, 'b');
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(60_000);
    expect({ a: a.isLeader(), b: b.isLeader() }).toEqual({ a: true, b: false });
    await a.stop();
    await b.stop();
  });

  it('release on stop clears the holder so the other takes over at once', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const a = elector(cluster, clock, 'a');
    const b = elector(cluster, clock, 'b');
    await a.tryAcquireOrRenew();
    a.start();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.stop();
    expect(cluster.leases.get(`${NS}/faas-autoscaler-leader`)!.holderIdentity).toBeNull();
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('a write race (409) leaves the loser a follower', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const b = elector(cluster, clock, 'b');
    cluster.failNext('createLease', new KubeApiError('leases "x" already exists', 409, 'AlreadyExists'));
    expect(await b.tryAcquireOrRenew()).toBe(false);
  });

  it('a leader that cannot renew steps down after renewDeadline, not before', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const a = elector(cluster, clock, 'a');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    const rows: Array<[number, boolean]> = [];
    for (const t of [2_000, 9_000, 10_000]) {
      await clock.advance(t - clock.now());
      cluster.failNext('readLease', new KubeApiError('unavailable', 503, 'ServiceUnavailable'));
      rows.push([t, await a.tryAcquireOrRenew()]);
    }
    expect(rows).toEqual([
      [2_000, true],
      [9_000, true],
      [10_000, false],
    ]);
  });

  it('a leader whose Lease requests hang stops leading at the renew deadline, before the follower takes over: never two leaders', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    let hang = false;
    const stepDowns: number[] = [];
    // a's view of the API: once `hang` is set, every Lease request waits forever (no error, no answer).
    const never = new Promise<never>(() => undefined);
    const hanging = {
      readLease: (ns: string, name: string) => (hang ? never : cluster.readLease(ns, name)),
      createLease: (...args: Parameters<FakeCluster['createLease']>) => (hang ? never : cluster.createLease(...args)),
      replaceLease: (...args: Parameters<FakeCluster['replaceLease']>) => (hang ? never : cluster.replaceLease(...args)),
    };
    const a = new LeaderElector({
      client: hanging,
      namespace: NS,
      name: 'faas-autoscaler-leader',
      identity: 'a',
      clock,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      onStoppedLeading: () => stepDowns.push(clock.now()),
    });
    const b = elector(cluster, clock, 'b');
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(4_000);
    expect({ a: a.isLeader(), b: b.isLeader() }).toEqual({ a: true, b: false });
    const lastRenewal = cluster.leases.get(`${NS}/faas-autoscaler-leader`)!.renewTime!.getTime();
    hang = true;
    const both: number[] = [];
    let bLeadsAt: number | undefined;
    for (let t = 0; t < 30_000; t += 250) {
      await clock.advance(250);
      if (a.isLeader() && b.isLeader()) both.push(clock.now());
      if (bLeadsAt === undefined && b.isLeader()) bLeadsAt = clock.now();
    }
    expect(both).toEqual([]);
    // a steps down at its renew deadline (10 s after its last renewal), b takes over only after the
    // Lease has expired (15 s after it last saw it change, plus at most a retry period).
    expect(stepDowns).toEqual([lastRenewal + 10_000]);
    expect(bLeadsAt! - lastRenewal).toBeGreaterThanOrEqual(15_000);
    expect(bLeadsAt! - lastRenewal).toBeLessThanOrEqual(15_000 + 2_000 + 250);
    await b.stop();
  });

  it('refuses timings where the retry period is not below the renew deadline', () => {
    expect(
      () =>
        new LeaderElector({
          client: new FakeCluster(),
          namespace: NS,
          name: 'l',
          identity: 'a',
          clock: new ManualClock(0),
          leaseDurationSeconds: 15,
          renewDeadlineSeconds: 10,
          retryPeriodSeconds: 10,
        }),
    ).toThrow('leader election needs 0 < retryPeriodSeconds (10) < renewDeadlineSeconds (10) < leaseDurationSeconds (15)');
  });

  it('is unhealthy once the Lease has been out of reach for a lease duration, reports each new failure once, and recovers', async () => {
    const clock = new ManualClock(0);
    const cluster = new FakeCluster();
    const errors: Array<[string, boolean]> = [];
    let recovered = 0;
    const b = new LeaderElector({
      client: cluster,
      namespace: NS,
      name: 'faas-autoscaler-leader',
      identity: 'b',
      clock,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      onError: (err, changed) => errors.push([err.reason, changed]),
      onRecovered: () => recovered++,
    });
    // Rounds driven by hand (no start(), so no timer rounds in between).
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(b.health()).toMatchObject({ ok: true });
    // The API server answers 400 to every Lease write from here on (the MicroTime bug looked like this).
    const rows: Array<[number, boolean]> = [];
    for (const t of [2_000, 4_000, 15_000, 16_000, 17_000]) {
      cluster.failNext(
        'readLease',
        new KubeApiError(
          t < 16_000 ? 'bad request' : 'unavailable',
          t < 16_000 ? 400 : 503,
          t < 16_000 ? 'BadRequest' : 'ServiceUnavailable',
        ),
      );
      await clock.advance(t - clock.now());
      await b.tryAcquireOrRenew();
      rows.push([t, b.health().ok]);
    }
    // Healthy up to a lease duration after the last answer (t = 0), not after.
    expect(rows).toEqual([
      [2_000, true],
      [4_000, true],
      [15_000, true],
      [16_000, false],
      [17_000, false],
    ]);
    expect(b.health().lastError).toBe('unavailable');
    // One `changed` per new reason, not one per retry.
    expect(errors.filter(([, changed]) => changed)).toEqual([
      ['BadRequest', true],
      ['ServiceUnavailable', true],
    ]);
    expect(recovered).toBe(0);
    await b.tryAcquireOrRenew();
    expect({ health: b.health(), recovered }).toEqual({ health: { ok: true, sinceContactMs: 0 }, recovered: 1 });
    await b.stop();
  });
});
