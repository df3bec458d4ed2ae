/**
 * The real-time function runtime on a scripted clock: FIFO queueing, concurrency slots, upstream
 * time-outs, cold starts, graceful scale-down, CPU accounting, time compression and seeding.
 */
import { ManualClock } from '#kernel/clock.js';
import { DelayedReadiness } from '../../../operator/src/sandbox/deployments.js';
import { FunctionRuntime, RuntimeReadiness, type InvocationResult } from '../../../operator/src/sandbox/function-runtime.js';
import { batchedQueries } from '../../../operator/src/metrics/batched-metrics.js';
import { resolveSimConfig, type SimConfig } from '../../../operator/src/sim/config.js';
import { resolveServiceTime, type ServiceTimeSpec } from '../../../operator/src/sim/service-time.js';

interface Setup {
  clock: ManualClock;
  runtime: FunctionRuntime;
  /** Finished invocations in completion order, with the clock time they finished at. */
  done: Array<InvocationResult & { at: number; id: number }>;
  send(n?: number): void;
  settle(): Promise<void>;
}

function setup(overrides: Partial<SimConfig> = {}, opts: { timeScale?: number; seed?: number; serviceTime?: ServiceTimeSpec } = {}): Setup {
  const clock = new ManualClock(0);
  const config = resolveSimConfig({
    serviceTime: opts.serviceTime ?? { kind: 'deterministic', ms: 100 },
    coldStartSeconds: 1,
    ...overrides,
  });
  const runtime = new FunctionRuntime({
    name: 'figlet',
    namespace: 'openfaas-fn',
    config,
    serviceTime: resolveServiceTime(config.serviceTime, undefined, config.minServiceMs),
    clock,
    timeScale: opts.timeScale ?? 1,
    seed: opts.seed ?? 1,
  });
  const done: Setup['done'] = [];
  let next = 0;
  return {
    clock,
    runtime,
    done,
    send(n = 1) {
      for (let i = 0; i < n; i++) {
        const id = next++;
        void runtime.invoke().then((r) => done.push({ ...r, at: clock.now(), id }));
      }
    },
    // Resolutions run as microtasks after the timer that resolved them.
    settle: () => new Promise((r) => setImmediate(r)),
  };
}

/** Advances 1 ms at a time so each completion is stamped with the millisecond it happened in. */
async function run(s: Setup, ms: number): Promise<void> {
  for (let t = 0; t < ms; t++) {
    s.clock.advanceSync(1);
    await s.settle();
  }
}

describe('queueing', () => {
  it.each([
    // one replica, one slot: the second request waits for the first (FIFO)
    { concurrencyPerReplica: 1, replicas: 1, requests: 3, want: [100, 200, 300] },
    // two slots on one replica: two run at once
    { concurrencyPerReplica: 2, replicas: 1, requests: 3, want: [100, 100, 200] },
    // two replicas of one slot: the same capacity as above
    { concurrencyPerReplica: 1, replicas: 2, requests: 4, want: [100, 100, 200, 200] },
  ])(
    '$requests requests on $replicas replica(s) × $concurrencyPerReplica slot(s) finish at $want ms',
    async ({ concurrencyPerReplica, replicas, requests, want }) => {
      const s = setup({ concurrencyPerReplica, initialReplicas: replicas });
      s.send(requests);
      await run(s, 400);
      expect(s.done.map((d) => d.at)).toEqual(want);
      expect(s.done.map((d) => d.id)).toEqual([...Array(requests).keys()]);
      expect(s.done.every((d) => d.status === 200)).toBe(true);
      expect(s.done.map((d) => Math.round(d.durationSeconds * 1000))).toEqual(want);
    },
  );

  it('answers 502 at the upstream time-out, queued or in service, and frees the slot', async () => {
    // Time-out 150 ms, 100 ms per request, one slot: #0 done at 100; #1 starts at 100, stopped at
    // its deadline 150; #2 waits in the queue until its deadline 150.
    const s = setup({ upstreamTimeoutSeconds: 0.15 });
    s.send(3);
    await run(s, 200);
    // #1 and #2 end in the same millisecond, in either order.
    expect([...s.done].sort((a, b) => a.id - b.id).map(({ id, status, at }) => ({ id, status, at }))).toEqual([
      { id: 0, status: 200, at: 100 },
      { id: 1, status: 502, at: 150 },
      { id: 2, status: 502, at: 150 },
    ]);
    expect(s.runtime.inService).toBe(0);
    expect(s.runtime.queueLength).toBe(0);
    // The slot is free again: a new request is served in 100 ms.
    s.send();
    await run(s, 100);
    expect(s.done[3]).toMatchObject({ status: 200, at: 300 });
  });
});

describe('replicas', () => {
  it('starts new replicas cold: they take traffic after the cold start and report it', async () => {
    const s = setup({ coldStartSeconds: 1, initialReplicas: 1 });
    let readyEvents = 0;
    s.runtime.onReadyChange(() => readyEvents++);
    s.runtime.setReplicas(3);
    expect([s.runtime.desiredReplicas, s.runtime.readyReplicas]).toEqual([3, 1]);
    s.send(12);
    await run(s, 999);
    // Only the warm replica worked so far: one request per 100 ms.
    expect([s.runtime.readyReplicas, s.done.length, readyEvents]).toEqual([1, 9, 0]);
    await run(s, 1);
    expect([s.runtime.readyReplicas, readyEvents]).toEqual([3, 2]);
    await run(s, 100);
    // The last two started on the new replicas the moment they became ready (1000 ms).
    expect(s.done.slice(-2).map(({ id, at }) => ({ id, at }))).toEqual([
      { id: 10, at: 1100 },
      { id: 11, at: 1100 },
    ]);
  });

  it('setReplicas with the current count changes nothing (the Deployment controller repeats it)', () => {
    const s = setup({ initialReplicas: 2 });
    const before = s.runtime.podViews().map((p) => p.name);
    s.runtime.setReplicas(2);
    s.runtime.setReplicas(2);
    expect(s.runtime.podViews().map((p) => p.name)).toEqual(before);
  });

  it.each([
    // a starting replica goes before any ready one
    { name: 'starting first', initial: 2, up: 3, busy: 0, down: 2, wantPhases: ['ready', 'ready'] },
    // idle ready replicas go before busy ones; the busy one finishes before it ends
    { name: 'idle before busy', initial: 2, up: 2, busy: 1, down: 1, wantPhases: ['ready'] },
    // scaling to 0 with a request in flight: the busy pod terminates gracefully
    { name: 'graceful to zero', initial: 1, up: 1, busy: 1, down: 0, wantPhases: ['terminating'] },
  ])('scale-down: $name', async ({ initial, up, busy, down, wantPhases }) => {
    const s = setup({ initialReplicas: initial, allowScaleToZero: true });
    s.runtime.setReplicas(up);
    s.send(busy);
    s.runtime.setReplicas(down);
    expect(s.runtime.podViews().map((p) => p.phase)).toEqual(wantPhases);
    await run(s, 100);
    expect(s.done.map((d) => d.status)).toEqual(Array(busy).fill(200));
    expect(s.runtime.podViews().length).toBe(down);
  });
});

describe('accounting', () => {
  it('books CPU seconds per pod: idle cores all the time, the per-slot share while busy', async () => {
    // requests 150m, concurrency 1 → a busy slot uses 0.15 cores; idle 0.001 cores.
    const s = setup({ initialReplicas: 1 });
    s.send(2);
    await run(s, 1000);
    const [pod] = s.runtime.podViews();
    const want = 1.0 * 0.001 + 0.2 * 0.15;
    expect(pod.cpuSeconds).toBeCloseTo(want, 12);
    expect(pod.memoryBytes).toBe(56 * 1024 * 1024);
  });

  it('adds memory per request in service', () => {
    const s = setup({ memoryBaseMb: 100, memoryPerInflightMb: 10, concurrencyPerReplica: 4 });
    s.send(3);
    expect(s.runtime.podViews()[0].memoryBytes).toBe(130 * 1024 * 1024);
  });

  it("names pods like a Deployment's, so the operator's cAdvisor join finds the function", () => {
    const s = setup({ initialReplicas: 3 });
    const podRegex = /label_replace\(.*"pod", "([^"]+)"\)/.exec(batchedQueries(30, ['openfaas-fn']).cpu)![1];
    for (const pod of s.runtime.podViews()) {
      expect(pod.name).toMatch(/^figlet-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(pod.name.replace(new RegExp(`^${podRegex}$`), '$1')).toBe('figlet');
    }
    expect(new Set(s.runtime.podViews().map((p) => p.name)).size).toBe(3);
  });
});

describe('time compression and seeding', () => {
  it('runs service times, cold starts and time-outs timeScale times faster', async () => {
    const s = setup({ coldStartSeconds: 5, upstreamTimeoutSeconds: 1 }, { timeScale: 10 });
    s.send();
    s.runtime.setReplicas(2);
    await run(s, 10);
    expect(s.done[0]).toMatchObject({ status: 200, at: 10 });
    await run(s, 489);
    expect(s.runtime.readyReplicas).toBe(1);
    await run(s, 1);
    expect(s.runtime.readyReplicas).toBe(2);
  });

  it('draws the same service times for the same seed, others for another', async () => {
    const durations = async (seed: number): Promise<number[]> => {
      const s = setup({ concurrencyPerReplica: 50 }, { seed, serviceTime: { kind: 'exponential', meanMs: 20 } });
      s.send(20);
      await run(s, 500);
      return s.done.sort((a, b) => a.id - b.id).map((d) => d.durationSeconds);
    };
    const a = await durations(7);
    expect(await durations(7)).toEqual(a);
    expect(await durations(8)).not.toEqual(a);
  });
});

describe('RuntimeReadiness', () => {
  it('routes function Deployments to their runtime and others to the fallback', () => {
    const clock = new ManualClock(0);
    const config = resolveSimConfig({ coldStartSeconds: 2 });
    const runtime = new FunctionRuntime({
      name: 'figlet',
      namespace: 'openfaas-fn',
      config,
      serviceTime: resolveServiceTime(config.serviceTime, undefined, 1),
      clock,
      timeScale: 1,
      seed: 1,
    });
    const readiness = new RuntimeReadiness(
      new Map([[RuntimeReadiness.key(runtime), runtime]]),
      new DelayedReadiness({ clock, readyDelayMs: 500 }),
    );
    const changed: string[] = [];
    readiness.onChange((k) => changed.push(k));
    readiness.setDesired('openfaas-fn/figlet', 2);
    readiness.setDesired('default/web', 1);
    expect([readiness.ready('openfaas-fn/figlet'), readiness.ready('default/web')]).toEqual([1, 0]);
    clock.advanceSync(500);
    expect([readiness.ready('openfaas-fn/figlet'), readiness.ready('default/web')]).toEqual([1, 1]);
    clock.advanceSync(1500);
    expect([readiness.ready('openfaas-fn/figlet'), readiness.ready('default/web')]).toEqual([2, 1]);
    expect(changed).toEqual(['default/web', 'openfaas-fn/figlet']);
  });
});
