/**
 * Status is written only when something a user reads changes, as a merge patch of what changed,
 * and the observation alone is refreshed every `statusRefreshIntervals` intervals.
 */
import {
  createMergePatch,
  deepEqual,
  EVENT_SPAM_BURST,
  EVENT_SPAM_REFILL_MS,
  EventRecorder,
  setConditions,
  shareConditions,
  statusPatch,
} from '../../../operator/src/controller/status.js';
import { FakeCluster } from './fake-cluster.js';
import { mergePatch } from '../../../operator/src/sandbox/kube-patch.js';
import type { FunctionAutoscalerStatus } from '../../../operator/src/api/types.js';
import { fas, harness, NS, started, T0 } from './controller-harness.js';

const at = (ms: number): string => new Date(T0 + ms).toISOString();

function status(over: Partial<FunctionAutoscalerStatus> & { rps?: number; obsAt?: number; message?: string }): FunctionAutoscalerStatus {
  const { rps = 10, obsAt = 0, message = 'knative: 10 rps / 10', ...rest } = over;
  return {
    observedGeneration: 1,
    replicas: 1,
    desiredReplicas: 1,
    lastObservation: { time: at(obsAt), rps } as FunctionAutoscalerStatus['lastObservation'],
    lastDecision: { time: at(obsAt), desiredReplicas: 1, rawDesiredReplicas: 1, reason: message, limitedBy: 'none' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message, lastTransitionTime: at(0), observedGeneration: 1 }],
    ...rest,
  };
}

describe('conditions held between intervals', () => {
  const ready = { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok' } as const;
  it('keeps an unchanged condition as the same object, and makes a new one when anything in it changes', () => {
    const first = setConditions([], [ready], { nowMs: T0, generation: 1 });
    const again = setConditions(first, [ready], { nowMs: T0 + 30_000, generation: 1 });
    expect(again[0]).toBe(first[0]);
    const reworded = setConditions(first, [{ ...ready, message: 'still ok' }], { nowMs: T0 + 30_000, generation: 1 });
    expect(reworded[0]).not.toBe(first[0]);
    expect(reworded[0]).toMatchObject({ message: 'still ok', lastTransitionTime: at(0) });
    const newGeneration = setConditions(first, [ready], { nowMs: T0 + 30_000, generation: 2 });
    expect(newGeneration[0]).toMatchObject({ observedGeneration: 2, lastTransitionTime: at(0) });
    const flipped = setConditions(first, [{ ...ready, status: 'False' }], { nowMs: T0 + 30_000, generation: 1 });
    expect(flipped[0].lastTransitionTime).toBe(at(30_000));
  });

  it('shares the conditions equal to those of the cached object, and only those', () => {
    const mine = setConditions([], [ready, { type: 'MetricsAvailable', status: 'True', reason: 'Ok', message: 'a' }], {
      nowMs: T0,
      generation: 1,
    });
    const cached = structuredClone(mine);
    cached[1].message = 'b';
    const shared = shareConditions([...mine], cached);
    expect(shared[0]).toBe(cached[0]);
    expect(shared[1]).toBe(mine[1]);
  });
});

describe('createMergePatch', () => {
  it('names changed fields, nulls removed ones, replaces arrays whole; applying it gives the target', () => {
    const from = { a: 1, b: { c: 2, d: 3 }, list: [1, 2], gone: 'x' };
    const to = { a: 1, b: { c: 2, e: 4 }, list: [1, 3] };
    const patch = createMergePatch(from, to);
    expect(patch).toEqual({ b: { d: null, e: 4 }, list: [1, 3], gone: null });
    expect(mergePatch(from, patch)).toEqual(to);
  });

  it('is undefined for equal values whatever the key order (the API server sorts keys)', () => {
    expect(createMergePatch({ a: 1, b: { x: [{ p: 1, q: 2 }] } }, { b: { x: [{ q: 2, p: 1 }] }, a: 1 })).toBeUndefined();
    expect(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false);
  });
});

describe('statusPatch', () => {
  const refreshMs = 300_000;

  it('writes nothing when only the observation, the decision time or message texts moved and the observation is fresh', () => {
    const stored = status({});
    const next = status({ rps: 11, obsAt: 30_000, message: 'knative: 11 rps / 10' });
    expect(statusPatch(stored, next, { nowMs: T0 + 30_000, refreshMs })).toBeUndefined();
  });

  it('writes only the changed fields when a user-visible one changed', () => {
    const stored = status({});
    const next = status({ desiredReplicas: 2, obsAt: 30_000 });
    next.lastDecision = { ...next.lastDecision!, desiredReplicas: 2, rawDesiredReplicas: 2 };
    expect(statusPatch(stored, next, { nowMs: T0 + 30_000, refreshMs })).toEqual({
      desiredReplicas: 2,
      lastObservation: { time: at(30_000) },
      lastDecision: { time: at(30_000), desiredReplicas: 2, rawDesiredReplicas: 2 },
    });
  });

  it('refreshes the observation once the stored one is as old as the refresh period', () => {
    const stored = status({});
    expect(statusPatch(stored, status({ rps: 12, obsAt: refreshMs - 1 }), { nowMs: T0 + refreshMs - 1, refreshMs })).toBeUndefined();
    expect(statusPatch(stored, status({ rps: 12, obsAt: refreshMs }), { nowMs: T0 + refreshMs, refreshMs })).toMatchObject({
      lastObservation: { time: at(refreshMs), rps: 12 },
    });
  });

  it('writes a status never written before', () => {
    expect(statusPatch(undefined, status({}), { nowMs: T0, refreshMs })).toMatchObject({ replicas: 1, desiredReplicas: 1 });
  });
});

describe('Controller status writes', () => {
  it('steady load: one write at start, then none until the observation is due a refresh; a change writes only what changed', async () => {
    const h = await harness({ statusRefreshIntervals: 4 });
    h.cluster.putDeployment(NS, 'echo', 2);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 15, cpuCores: 0.05, pods: 2 });
    await started(h);
    const writes = (): number => h.cluster.statusPatches.length;
    expect(writes()).toBe(1);
    const perInterval: number[] = [];
    for (let i = 1; i <= 8; i++) {
      // The load moves a little (the observation changes) but the decision does not.
      h.prom.set(`echo.${NS}`, { rps: 15 + (i % 3), cpuCores: 0.05, pods: 2 });
      const before = writes();
      await h.clock.advance(30_000);
      perInterval.push(writes() - before);
    }
    // Refreshes every 4 intervals (2 minutes at 30 s): the observation, nothing else changed.
    expect(perInterval).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    const refresh = h.cluster.statusPatches.at(-1)!.patch.status as Record<string, unknown>;
    expect(Object.keys(refresh).sort()).toEqual(expect.arrayContaining(['lastObservation']));
    expect(refresh).not.toHaveProperty('replicas');
    expect(refresh).not.toHaveProperty('bounds');
    expect(h.status('echo').lastObservation?.rps).toBe(15 + (8 % 3));

    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05, pods: 2 });
    await h.clock.advance(30_000);
    const change = h.cluster.statusPatches.at(-1)!.patch.status as Record<string, unknown>;
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(5);
    expect(change).toMatchObject({ replicas: 5, desiredReplicas: 5, lastDecision: { desiredReplicas: 5, rawDesiredReplicas: 5 } });
    expect(change).not.toHaveProperty('bounds');
    expect(change).not.toHaveProperty('activePolicy');
    expect(h.controller.lastTick).toMatchObject({ statusWrites: 1, scaled: 1 });
    const metrics = await h.controller.operatorMetrics.registry.getSingleMetricAsString('faas_autoscaler_status_updates_total');
    expect(metrics).toMatch(/outcome="unchanged"} 6\b/);
    await h.controller.stop();
  });
});

describe('EventRecorder rate limit', () => {
  it("drops an object's Events beyond a burst of 25, one more every 5 minutes, other objects unaffected", async () => {
    const cluster = new FakeCluster();
    let now = T0;
    const dropped: string[] = [];
    const rec = new EventRecorder({
      client: cluster,
      component: 'faas-autoscaler',
      instance: 'test',
      now: () => now,
      canWrite: () => true,
      onDropped: (reason) => dropped.push(reason),
    });
    const a = fas('a', {});
    const b = fas('b', {});
    for (let i = 0; i < EVENT_SPAM_BURST + 5; i++) rec.emit(a, { type: 'Normal', reason: 'Scaled', message: `scaled ${i}` });
    rec.emit(b, { type: 'Normal', reason: 'Scaled', message: 'scaled 0' });
    await rec.flush();
    const count = (name: string): number => cluster.events.filter((e) => e.involved.name === name).length;
    expect({ a: count('a'), b: count('b'), dropped: dropped.length }).toEqual({ a: EVENT_SPAM_BURST, b: 1, dropped: 5 });
    now += EVENT_SPAM_REFILL_MS - 1;
    rec.emit(a, { type: 'Normal', reason: 'Scaled', message: 'one too early' });
    now += 1;
    rec.emit(a, { type: 'Normal', reason: 'Scaled', message: 'refilled' });
    await rec.flush();
    expect(
      cluster.events
        .filter((e) => e.involved.name === 'a')
        .map((e) => e.message)
        .slice(-1),
    ).toEqual(['refilled']);
    expect(count('a')).toBe(EVENT_SPAM_BURST + 1);
  });
});

describe('Per-function gauges', () => {
  const text = async (h: Awaited<ReturnType<typeof harness>>): Promise<string> => h.controller.operatorMetrics.registry.metrics();
  const line = (name: string, fn: string, value: string): RegExp =>
    new RegExp(`^${name}\\{namespace="${NS}",name="echo",function="${fn}"\\} ${value}$`, 'm');

  it('the last decision time moves every interval while status is not rewritten; a new function replaces the series; deletion drops them', async () => {
    const h = await harness({ statusRefreshIntervals: 10 });
    h.cluster.putDeployment(NS, 'echo', 2);
    h.cluster.putDeployment(NS, 'echo2', 2);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 15, cpuCores: 0.05, pods: 2 });
    h.prom.set(`echo2.${NS}`, { rps: 35, cpuCores: 0.05, pods: 2 });
    await started(h);
    const writes = h.cluster.statusPatches.length;
    await h.clock.advance(30_000);
    expect(h.cluster.statusPatches.length).toBe(writes);
    const t = await text(h);
    expect(t).toMatch(line('faas_autoscaler_function_last_decision_timestamp_seconds', 'echo', String((T0 + 30_000) / 1000)));
    expect(t).toMatch(line('faas_autoscaler_desired_replicas', 'echo', '2'));

    h.cluster.putAutoscaler(fas('echo', { functionName: 'echo2' }));
    await h.clock.advance(30_000);
    const after = await text(h);
    expect(after).toMatch(line('faas_autoscaler_desired_replicas', 'echo2', '4'));
    expect(after).not.toMatch(/function="echo"/);

    h.cluster.deleteAutoscaler(NS, 'echo');
    await h.clock.advance(0);
    expect(await text(h)).not.toMatch(/name="echo"/);
  });
});
