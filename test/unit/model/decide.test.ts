/**
 * The one decision rule (model/decide.ts): what it returns for each rule and for outputs a network
 * should never give, and proof that training's validation and the operator's learned policy make
 * the same decisions on the same observations (so the curves judge what will be deployed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Observation } from '../../../operator/src/metrics/types.js';
import { actionSpace, type DecisionRule } from '../../../operator/src/model/actions.js';
import { initTfBackend } from '../../../operator/src/model/backend.js';
import { decideFromLogits, softmax } from '../../../operator/src/model/decide.js';
import { loadModel } from '../../../operator/src/model/model-io.js';
import { Rng } from '../../../operator/src/model/random.js';
import { createPolicy } from '../../../operator/src/policies/registry.js';
import { evaluateDeployedRule, VALIDATION_MIN_EPISODES } from '../../../operator/src/training/ppo.js';
import { SimEnv, type EnvConfig } from '../../../operator/src/training/sim-env.js';
import { SQUARE_WAVE, writeRandomModel } from '../../support/fixtures.js';

const delta5 = actionSpace('delta5');
const util5 = actionSpace('utilisation5');

function obs(replicas: number, cpuPerReplica = 0.7): Observation {
  return {
    functionName: 'f',
    windowSeconds: 30,
    rps: 10,
    requests: 300,
    p95LatencyMs: 200,
    meanExecutionMs: 120,
    errorRate: 0,
    replicas,
    readyReplicas: replicas,
    cpuPerReplica,
    memoryPerReplica: 0.3,
    inflight: null,
    missing: [],
    problems: [],
  };
}

describe('decideFromLogits', () => {
  test('mode: the most likely action, after the space', () => {
    const d = decideFromLogits({ space: delta5, rule: 'mode' }, [0, 0, 0, 3, 0], obs(4), undefined);
    expect(d).toMatchObject({ valid: true, action: 3, desiredReplicas: 5, expected: null });
  });

  test('mean: the expected replica count, rounded; the mode can disagree with it', () => {
    // p("keep") is the largest single probability, yet most of the mass asks for more.
    const logits = [-20, -20, Math.log(0.38), Math.log(0.31), Math.log(0.31)];
    const p = softmax(logits);
    const expected = p[0] * 2 + p[1] * 3 + p[2] * 4 + p[3] * 5 + p[4] * 6;
    const mean = decideFromLogits({ space: delta5, rule: 'mean' }, logits, obs(4), undefined);
    expect(mean).toMatchObject({ valid: true, action: 2, desiredReplicas: Math.round(expected) });
    expect(mean.valid && mean.expected).toBeCloseTo(expected, 6);
    expect(decideFromLogits({ space: delta5, rule: 'mode' }, logits, obs(4), undefined)).toMatchObject({ desiredReplicas: 4 });
  });

  test("the space's tolerance applies to the final count", () => {
    // utilisation5 at 10 replicas × 70 % CPU: "70 %" asks for exactly 10.
    const d = decideFromLogits({ space: util5, rule: 'mode' }, [0, 0, 5, 0, 0], obs(10, 0.7), undefined);
    expect(d).toMatchObject({ valid: true, desiredReplicas: 10 });
  });

  test('a sampler draws the action, whatever the rule', () => {
    const logits = [0, 0, 0, 0, 0];
    const drawn = new Set<number>();
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const d = decideFromLogits({ space: delta5, rule: 'mean', sampler: rng }, logits, obs(4), undefined);
      if (d.valid) drawn.add(d.action);
    }
    expect([...drawn].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test.each([
    [[0, NaN, 0, 0, 0], /not finite \(NaN for action -1\)/],
    [[0, Infinity, 0, 0, 0], /not finite \(Infinity for action -1\)/],
    [[0, 0, 0], /3 outputs for 5 actions/],
  ])('outputs a network should never give are a hold with a reason: %p', (logits, reason) => {
    for (const rule of ['mode', 'mean'] as const) {
      const d = decideFromLogits({ space: delta5, rule }, logits, obs(4), undefined);
      expect(d.valid).toBe(false);
      expect(d.reason).toMatch(reason);
      expect(d.reason).toMatch(/keeping the scale$/);
    }
  });
});

describe('training validation decides as the operator does', () => {
  const fn = SQUARE_WAVE;

  const envConfig: EnvConfig = {
    pool: [{ fn, binSeconds: 60, rateScale: 1, sloP95Ms: 600 }],
    intervalSeconds: 30,
    episodeIntervals: 12,
    minReplicas: 1,
    maxReplicas: 20,
    features: 'extended',
    actions: 'utilisation5',
    reward: { name: 'slo-cost', violationWeight: 4 },
  };
  let dir: string;

  beforeAll(async () => {
    await initTfBackend({ prefer: 'wasm' });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'decide-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each(['mode', 'mean'] as DecisionRule[])(
    'rule %s: evaluateDeployedRule equals episodes driven by the lstm-ppo-plus policy',
    async (decision) => {
      await writeRandomModel(dir, {
        algo: 'lstm-ppo-plus',
        set: 'extended',
        seed: 3,
        space: 'utilisation5',
        decision,
        lstmUnits: 16,
        mean: 0.5,
      });
      const { network, metadata } = await loadModel(dir);
      const seed = 5;
      const validation = evaluateDeployedRule({ network, features: metadata.features, decision }, envConfig, seed);

      // The same episodes (same seeds as evaluateDeployedRule's), each decision made by the operator's policy.
      const policy = await createPolicy(
        { name: 'lstm-ppo-plus', model: dir },
        { minReplicas: 1, maxReplicas: 20, sloP95Ms: 600, intervalSeconds: 30 },
      );
      let replicaSeconds = 0;
      const desired = new Set<number>();
      for (let j = 0; j < VALIDATION_MIN_EPISODES; j++) {
        policy.reset();
        const env = new SimEnv(envConfig, new Rng(seed * 1000 + 0 + 1_000_000 * j));
        env.reset(0);
        for (let t = 0; t < envConfig.episodeIntervals; t++) {
          const r = policy.recommend(env.observation, t * 30_000);
          if (!r.valid) throw new Error(r.reason);
          desired.add(r.desiredReplicas);
          env.actDesired(r.desiredReplicas);
          replicaSeconds += env.lastStats!.replicaSeconds / VALIDATION_MIN_EPISODES;
        }
      }
      policy.dispose();
      network.dispose();
      expect(desired.size).toBeGreaterThan(1);
      expect(validation.replicaSeconds).toBeCloseTo(replicaSeconds, 6);
    },
  );
});
