/**
 * The decision step (decision/step.ts): holds for what a policy should never return, and proof
 * that the simulator's episodes and the training environment decide through it — the same
 * observations and state give the same decisions. (The controller's side is in
 * test/unit/controller/controller.test.ts, "decides what the decision step decides".)
 */
import type { Observation } from '../../../operator/src/metrics/types.js';
import { decideFrom, decisionStep } from '../../../operator/src/decision/step.js';
import { Rng } from '../../../operator/src/model/random.js';
import { createPolicy } from '../../../operator/src/policies/registry.js';
import type { ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import type { RailsConfig } from '../../../operator/src/rails/types.js';
import { runEpisode, type IntervalRecord } from '../../../operator/src/sim/episode.js';
import { SimEnv, type EnvConfig } from '../../../operator/src/training/sim-env.js';
import { constant, traceFn } from '../sim/helpers.js';

const RAILS: RailsConfig = {
  minReplicas: 1,
  maxReplicas: 12,
  behavior: { scaleDown: { stabilizationWindowSeconds: 90, selectPolicy: 'Max', policies: [] } },
};

function policyReturning(value: unknown): ScalingPolicy {
  return { name: 'keda', recommend: () => ({ valid: true, desiredReplicas: value as number, reason: 'odd' }), reset() {}, dispose() {} };
}

const obs = { replicas: 4 } as Observation;

describe('decisionStep', () => {
  test.each([
    [2.5, 'holding 4: keda recommended 2.5 replicas, not a whole number ≥ 0'],
    [-1, 'holding 4: keda recommended -1 replicas, not a whole number ≥ 0'],
    [NaN, 'holding 4: keda recommended NaN replicas, not a whole number ≥ 0'],
    [Infinity, 'holding 4: keda recommended Infinity replicas, not a whole number ≥ 0'],
    ['7', 'holding 4: keda recommended 7 replicas, not a whole number ≥ 0'],
  ])('a recommendation of %p is a hold that names it; the rails are not touched', (value, reason) => {
    const rails = new Rails(RAILS);
    expect(decisionStep(policyReturning(value), obs, { rails, currentReplicas: 4, now: 0 })).toEqual({
      held: true,
      desiredReplicas: 4,
      reason,
      limitedBy: 'none',
    });
    // No scale event was recorded: a scale-down right after is not stabilized by a phantom.
    expect(decisionStep(policyReturning(3), obs, { rails, currentReplicas: 4, now: 1000 }).desiredReplicas).toBe(3);
  });

  test('a policy that throws is a hold with its message', () => {
    const throwing: ScalingPolicy = {
      name: 'hpa',
      recommend: () => {
        throw new RangeError('bad window');
      },
      reset() {},
      dispose() {},
    };
    expect(decisionStep(throwing, obs, { rails: new Rails(RAILS), currentReplicas: 4, now: 0 })).toMatchObject({
      held: true,
      desiredReplicas: 4,
      reason: 'holding 4: hpa cannot decide: policy hpa failed: bad window',
    });
  });

  test('after the rails: no scale-down on partial data, then the platform range', () => {
    const ctx = { rails: new Rails({ minReplicas: 1, maxReplicas: 20 }), currentReplicas: 4, now: 0 };
    expect(decideFrom('keda', { valid: true, desiredReplicas: 2, reason: 'r' }, { ...ctx, partialData: true })).toMatchObject({
      held: false,
      rawDesiredReplicas: 2,
      desiredReplicas: 4,
      reason: expect.stringMatching(/scale-down to 2 held at 4: CPU\/memory metrics missing$/),
    });
    expect(
      decideFrom(
        'keda',
        { valid: true, desiredReplicas: 9, reason: 'r' },
        { ...ctx, platformRange: { min: 1, max: 5, name: 'OpenFaaS CE' } },
      ),
    ).toMatchObject({
      held: false,
      rawDesiredReplicas: 9,
      desiredReplicas: 5,
      limitedBy: 'openfaas-ce',
      reason: expect.stringMatching(/limited to 5 by OpenFaaS CE, which keeps every function within 1\.\.5 replicas \(wanted 9\)$/),
    });
  });
});

describe("the operator's own limits (after the rails, before the platform range)", () => {
  const limits = { maxReplicas: 500, maxScaleUpFactor: 10 };
  // Each row: current replicas, what the policy wants (bounds 1..5000) → what is applied, and why.
  test.each([
    [1, 3000, 10, 'operator-scale-up'],
    [10, 3000, 100, 'operator-scale-up'],
    [100, 3000, 500, 'operator-max-replicas'],
    [500, 3000, 500, 'operator-max-replicas'],
    [600, 600, 500, 'operator-max-replicas'], // set above the ceiling by someone else: brought down to it
    [4, 40, 40, 'none'],
    [0, 7, 7, 'none'], // from zero, ×10 of one
    [3, 1, 1, 'none'], // scale-downs are never limited by the factor
  ])('%i replicas, %i wanted → %i (%s)', (current, wanted, applied, limitedBy) => {
    const rails = new Rails({ minReplicas: 0, maxReplicas: 5000 });
    const d = decideFrom(
      'static',
      { valid: true, desiredReplicas: wanted, reason: 'r' },
      { rails, currentReplicas: current, now: 0, operatorLimits: limits },
    );
    expect({ applied: d.desiredReplicas, limitedBy: d.limitedBy }).toEqual({ applied, limitedBy });
    if (limitedBy !== 'none') expect(d.reason).toMatch(new RegExp(`limited to ${applied} by the operator's .*\\(wanted ${wanted}\\)$`));
  });
});

// 20 minutes: quiet, a burst, quiet again — the rails' stabilization has something to hold.
const fn = traceFn([...constant(120, 6), ...constant(1500, 4), ...constant(60, 10)]);
const SIM = { serviceTime: { kind: 'lognormal', mu: Math.log(300), sigma: 0.5 } as const };

describe('the simulator and training decide through it', () => {
  test('runEpisode: replaying its observations through decisionStep gives its decisions', async () => {
    const deps = { minReplicas: 1, maxReplicas: 12, sloP95Ms: 600, intervalSeconds: 30 };
    const records: IntervalRecord[] = [];
    runEpisode({
      fn,
      binSeconds: 60,
      policy: await createPolicy({ name: 'hpa' }, deps),
      rails: new Rails(RAILS),
      intervalSeconds: 30,
      seed: 2,
      sloP95Ms: 600,
      sim: SIM,
      onInterval: (r) => records.push(r),
    });
    const policy = await createPolicy({ name: 'hpa' }, deps);
    const rails = new Rails(RAILS);
    const decided = records.slice(0, -1).map((r) => r.replicasAfter);
    const replayed = records
      .slice(0, -1)
      .map(
        (r) => decisionStep(policy, r.observation, { rails, currentReplicas: r.replicasBefore, now: r.endSeconds * 1000 }).desiredReplicas,
      );
    expect(replayed).toEqual(decided);
    expect(Math.max(...decided)).toBeGreaterThan(2);
    // The stabilization window held at least one scale-down.
    expect(records.some((r) => r.decision?.limitedBy === 'scale-down-stabilization')).toBe(true);
  });

  test('SimEnv: each applied count is what decideFrom gives for the same request and rails state', () => {
    const config: EnvConfig = {
      pool: [{ fn, binSeconds: 60, rateScale: 1, sloP95Ms: 600 }],
      intervalSeconds: 30,
      episodeIntervals: 30,
      minReplicas: RAILS.minReplicas,
      maxReplicas: RAILS.maxReplicas,
      features: 'extended',
      actions: 'utilisation5',
      reward: { name: 'slo-cost', violationWeight: 4 },
      behavior: RAILS.behavior,
      sim: SIM,
    };
    const env = new SimEnv(config, new Rng(3));
    env.reset(0);
    const rails = new Rails(RAILS);
    const rng = new Rng(9);
    const applied: number[] = [];
    const expected: number[] = [];
    for (let t = 0; t < config.episodeIntervals - 1; t++) {
      const current = env.observation.replicas;
      const asked = 1 + rng.int(12);
      expected.push(
        decideFrom(
          'network',
          { valid: true, desiredReplicas: asked, reason: '' },
          { rails, currentReplicas: current, now: (t + 1) * 30_000 },
        ).desiredReplicas,
      );
      env.actDesired(asked);
      applied.push(env.observation.replicas);
    }
    expect(applied).toEqual(expected);
    // Stabilization made some applied counts differ from the asked ones.
    expect(new Set(applied).size).toBeGreaterThan(2);
  });
});
