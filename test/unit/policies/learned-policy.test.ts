import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from '../../../operator/src/metrics/types.js';
import { initTfBackend } from '../../../operator/src/model/backend.js';
import { actionSpace, withTolerance, type ActionSpaceName } from '../../../operator/src/model/actions.js';
import { FeatureTracker } from '../../../operator/src/model/feature-tracker.js';
import type { FeatureSetName } from '../../../operator/src/model/features.js';
import type { Algo } from '../../../operator/src/model/networks.js';
import { PolicyConfigError, type ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { createPolicy } from '../../../operator/src/policies/registry.js';
import { sharedModelCount } from '../../../operator/src/policies/learned-policy.js';
import { recommendAll } from '../../../operator/src/decision/step.js';
import { ActorCritic } from '../../../operator/src/model/networks.js';
import { writeRandomModel } from '../../support/fixtures.js';

const deps = { minReplicas: 1, maxReplicas: 20, sloP95Ms: 500, intervalSeconds: 30 };
let dir: string;

function writeModel(algo: Algo, set: FeatureSetName, seed: number, space: ActionSpaceName = 'delta5'): Promise<void> {
  return writeRandomModel(dir, { algo, set, seed, space });
}

function observation(functionName: string, t: number): Observation {
  return {
    functionName,
    windowSeconds: 30,
    rps: 5 + 4 * Math.sin(t),
    requests: Math.round(30 * (5 + 4 * Math.sin(t))),
    p95LatencyMs: 200 + 150 * Math.cos(t * 1.7),
    meanExecutionMs: 120,
    errorRate: 0,
    replicas: 3 + (t % 4),
    readyReplicas: 3,
    cpuPerReplica: 0.5 + 0.4 * Math.sin(t * 0.7),
    memoryPerReplica: 0.3,
    inflight: null,
    missing: [],
    problems: [],
  };
}

function decisions(policy: ScalingPolicy, fnName: string, steps: number, from = 0): string[] {
  const out: string[] = [];
  for (let t = from; t < from + steps; t++) {
    const r = policy.recommend(observation(fnName, t), t * 30_000);
    out.push(r.valid ? `${r.desiredReplicas}` : 'invalid');
  }
  return out;
}

beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'learned-policy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  { algo: 'lstm-ppo-plus' as Algo, set: 'lstm-ppo-plus' as FeatureSetName },
  { algo: 'lstm-ppo' as Algo, set: 'agarwal' as FeatureSetName },
  { algo: 'ppo' as Algo, set: 'lstm-ppo-plus' as FeatureSetName },
])('$algo policy', ({ algo, set }) => {
  test('deterministic by default: two instances of one model decide alike', async () => {
    await writeModel(algo, set, 5);
    const a = await createPolicy({ name: algo, model: dir }, deps);
    const b = await createPolicy({ name: algo, model: dir }, deps);
    expect(a.name).toBe(algo);
    const got = decisions(a, 'f', 12);
    expect(decisions(b, 'f', 12)).toEqual(got);
    a.dispose();
    b.dispose();
  });

  test('state is kept per function, and reset() drops it', async () => {
    await writeModel(algo, set, 6);
    const alone = await createPolicy({ name: algo, model: dir }, deps);
    const wantF = decisions(alone, 'f', 8);
    alone.reset();
    const wantG = decisions(alone, 'g', 8, 3);
    alone.reset();
    // Interleaving f and g in one instance changes nothing for either.
    const shared = await createPolicy({ name: algo, model: dir }, deps);
    const gotF: string[] = [];
    const gotG: string[] = [];
    for (let i = 0; i < 8; i++) {
      gotF.push(...decisions(shared, 'f', 1, i));
      gotG.push(...decisions(shared, 'g', 1, i + 3));
    }
    expect(gotF).toEqual(wantF);
    expect(gotG).toEqual(wantG);
    // After reset the first decisions repeat (recurrent state and feature history cleared).
    shared.reset();
    expect(decisions(shared, 'f', 8)).toEqual(wantF);
    alone.dispose();
    shared.dispose();
  });

  test('one forward pass for every function of a model: recommendAll decides as each instance alone', async () => {
    await writeModel(algo, set, 7);
    const fns = ['f', 'g', 'h'];
    const alone = await Promise.all(fns.map(() => createPolicy({ name: algo, model: dir }, deps)));
    const want = fns.map((fn, i) => decisions(alone[i], fn, 10, i * 2));
    const batched = await Promise.all(fns.map(() => createPolicy({ name: algo, model: dir }, deps)));
    const hpa = await createPolicy({ name: 'hpa' }, deps);
    const got: string[][] = fns.map(() => []);
    const steps = jest.spyOn(ActorCritic.prototype, 'step');
    try {
      for (let t = 0; t < 10; t++) {
        const calls = [
          ...fns.map((fn, i) => ({ policy: batched[i], obs: observation(fn, t + i * 2) })),
          { policy: hpa, obs: observation('other', t) },
          // An input missing: answered without a step, the others unaffected.
          { policy: batched[0], obs: { ...observation('missing', t), cpuPerReplica: null } },
        ];
        const recs = recommendAll(calls, t * 30_000);
        fns.forEach((_, i) => got[i].push(recs[i].valid ? `${recs[i].desiredReplicas}` : 'invalid'));
        expect(recs[3].valid).toBe(true);
        expect(recs[4]).toEqual({ valid: false, reason: 'cpu per replica / request is missing: keeping the scale' });
      }
      expect(steps.mock.calls.map((c) => c[1])).toEqual(Array(10).fill(3));
    } finally {
      steps.mockRestore();
    }
    expect(got).toEqual(want);
    for (const p of [...alone, ...batched, hpa]) p.dispose();
  });
});

describe('one copy of a model per process', () => {
  test('instances naming the same files share it; it is disposed with the last; a model replaced on disk is loaded anew', async () => {
    await writeModel('lstm-ppo-plus', 'lstm-ppo-plus', 8);
    const before = sharedModelCount();
    const a = await createPolicy({ name: 'lstm-ppo-plus', model: dir }, deps);
    const b = await createPolicy({ name: 'lstm-ppo-plus', model: dir }, deps);
    expect(sharedModelCount()).toBe(before + 1);
    const first = decisions(a, 'f', 6);
    // Another model in the same directory: a new policy gets it, the running ones keep theirs.
    await writeModel('lstm-ppo-plus', 'lstm-ppo-plus', 9);
    const c = await createPolicy({ name: 'lstm-ppo-plus', model: dir }, deps);
    expect(sharedModelCount()).toBe(before + 2);
    expect(decisions(b, 'f', 6)).toEqual(first);
    a.dispose();
    expect(sharedModelCount()).toBe(before + 2);
    b.dispose();
    expect(sharedModelCount()).toBe(before + 1);
    // The first model's weights were freed: its variables are disposed.
    expect(() => decisions(a, 'g', 1)).toThrow(/network has no parameter/);
    c.dispose();
    expect(sharedModelCount()).toBe(before);
  });
});

describe('shipped models (models/)', () => {
  test.each([
    { algo: 'lstm-ppo-plus' as Algo, space: 'utilisation5', decision: 'mean' },
    { algo: 'lstm-ppo' as Algo, space: 'delta5', decision: 'mode' },
    { algo: 'ppo' as Algo, space: 'delta5', decision: 'mode' },
  ])('$algo loads (checksum verified) and decides', async ({ algo, space, decision }) => {
    const policy = await createPolicy({ name: algo }, { ...deps, maxReplicas: 24 });
    const meta = (policy as unknown as { metadata: { actions: { space: string; decision?: string } } }).metadata;
    expect(meta.actions.space).toBe(space);
    expect(meta.actions.decision).toBe(decision);
    expect(decisions(policy, 'f', 4).every((d) => d !== 'invalid')).toBe(true);
    policy.dispose();
  });
});

describe('learned policies: inputs and models', () => {
  test('missing CPU under load: valid false, scale kept', async () => {
    await writeModel('lstm-ppo-plus', 'lstm-ppo-plus', 1);
    const policy = await createPolicy({ name: 'lstm-ppo-plus', model: dir }, deps);
    const got = policy.recommend({ ...observation('f', 1), cpuPerReplica: null }, 0);
    expect(got).toEqual({ valid: false, reason: 'cpu per replica / request is missing: keeping the scale' });
    policy.dispose();
  });

  test('the LSTM memory matters: the same observation after different histories can decide differently', async () => {
    await writeModel('lstm-ppo-plus', 'lstm-ppo-plus', 2);
    const policy = await createPolicy({ name: 'lstm-ppo-plus', model: dir }, deps);
    const probe = observation('f', 0);
    const outcomes = new Set<string>();
    for (let warm = 0; warm < 6; warm++) {
      policy.reset();
      decisions(policy, 'f', warm, 10);
      const r = policy.recommend(probe, 0);
      outcomes.add(r.valid ? r.reason : 'invalid');
    }
    expect(outcomes.size).toBeGreaterThan(1);
    policy.dispose();
  });

  test('capacity5-backlog sizes with the per-function backlog the policy tracks', async () => {
    await writeModel('lstm-ppo-plus', 'offered', 3, 'capacity5-backlog');
    const policy = await createPolicy({ name: 'lstm-ppo-plus', model: dir, params: { decision: 'mode' } }, deps);
    const space = actionSpace('capacity5-backlog');
    const tracker = new FeatureTracker(deps.sloP95Ms, deps.maxReplicas);
    // A queue builds for four windows (more entered than completed), then drains.
    const steps = [
      { replicas: 1, cpu: 1, started: 258, done: 34 },
      { replicas: 4, cpu: 1, started: 240, done: 130 },
      { replicas: 8, cpu: 1, started: 250, done: 200 },
      { replicas: 8, cpu: 1, started: 260, done: 240 },
      { replicas: 12, cpu: 0.9, started: 250, done: 330 },
    ];
    let differs = false;
    for (const [t, s] of steps.entries()) {
      const obs: Observation = {
        ...observation('f', t),
        replicas: s.replicas,
        cpuPerReplica: s.cpu,
        requests: s.done,
        rps: s.done / 30,
        startedRps: s.started / 30,
      };
      const ctx = tracker.next(obs);
      const got = policy.recommend(obs, t * 30_000);
      if (!got.valid) throw new Error(got.reason);
      // The chosen action's label is in the reason; the count must be that action's with the backlog.
      const action = space.labels.findIndex((l) => got.reason.includes(`action ${l} `));
      expect(action).toBeGreaterThanOrEqual(0);
      const want = withTolerance(space, space.desiredReplicas(action, obs, ctx), obs.replicas);
      expect({ t, desired: got.desiredReplicas }).toEqual({ t, desired: want });
      if (want !== withTolerance(space, space.desiredReplicas(action, obs), obs.replicas)) differs = true;
    }
    // The backlog changed at least one decision (the context is really used).
    expect(differs).toBe(true);
    policy.dispose();
  });

  const bad: { name: string; prepare: () => Promise<void>; params?: Record<string, unknown>; want: RegExp }[] = [
    // A corrupt file is a PolicyConfigError naming the policy and the problem, never a half-loaded policy.
    {
      name: 'corrupt weights',
      prepare: async () => {
        await writeModel('ppo', 'lstm-ppo-plus', 1);
        await writeFile(join(dir, 'weights.bin'), 'garbage');
      },
      want: /^policy "ppo": model .*: weights\.bin has 7 bytes/,
    },
    { name: 'no model there', prepare: async () => undefined, want: /^policy "ppo": model .*: cannot read model\.json/ },
    { name: 'unknown param', prepare: async () => writeModel('ppo', 'lstm-ppo-plus', 1), params: { temperature: 2 }, want: /temperature/ },
  ];
  test.each(bad)('$name', async ({ prepare, params, want }) => {
    await prepare();
    const err = await createPolicy({ name: 'ppo', model: dir, params }, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyConfigError);
    expect((err as Error).message).toMatch(want);
  });
});
