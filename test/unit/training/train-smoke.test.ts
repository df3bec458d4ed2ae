/**
 * Smoke test of the whole training path on a tiny budget (seconds): environments over a synthetic
 * function, rollouts, GAE, PPO updates, validation, checkpoint, resume, and the saved model
 * driving `runEpisode` through the registered policy. Long training is never part of the tests.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTfBackend } from '../../../operator/src/model/backend.js';
import { loadModel, saveModel } from '../../../operator/src/model/model-io.js';
import { createPolicy } from '../../../operator/src/policies/registry.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import { runEpisode } from '../../../operator/src/sim/episode.js';
import {
  algoDefaults,
  DEFAULT_TRAIN_ARGS,
  metadataFor,
  train,
  writeCurves,
  type TrainArgs,
  type TrainInput,
} from '../../../operator/src/training/ppo.js';
import type { EnvFunction } from '../../../operator/src/training/sim-env.js';
import { SQUARE_WAVE } from '../../support/fixtures.js';

const fn = SQUARE_WAVE;
const pool: EnvFunction[] = [
  { fn, binSeconds: 60, rateScale: 1, sloP95Ms: 600 },
  { fn, binSeconds: 60, rateScale: 2, sloP95Ms: 600 },
];

let out: string;
beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'train-smoke-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

function input(args: Partial<TrainArgs>, resume = false): TrainInput {
  return {
    args: {
      ...DEFAULT_TRAIN_ARGS,
      ...algoDefaults('lstm-ppo-plus'),
      algo: 'lstm-ppo-plus',
      totalSteps: 256,
      numEnvs: 4,
      numSteps: 32,
      numMinibatches: 2,
      updateEpochs: 1,
      lstmUnits: 32,
      episodeIntervals: 20,
      evalEvery: 1,
      checkpointEvery: 1,
      ...args,
    },
    pool,
    validation: [pool[0]],
    out,
    trace: null,
    packageVersion: '0.0.0-test',
    gitCommit: null,
    backend: 'wasm',
    resume,
  };
}

describe('train (smoke)', () => {
  test.each([
    { name: 'LSTM-PPO+ as published (delta5, Gaussian)', args: algoDefaults('lstm-ppo-plus', { paper: true }) },
    { name: 'LSTM-PPO+ as shipped (extended, utilisation5, slo-cost, 120 s stabilization)', args: {} },
    { name: 'LSTM-PPO (agarwal features and reward)', args: { ...algoDefaults('lstm-ppo'), algo: 'lstm-ppo' } },
    { name: 'PPO', args: { algo: 'ppo' } },
  ] as { name: string; args: Partial<TrainArgs> }[])('$name: 256 steps train, save, load and drive runEpisode', async ({ args }) => {
    const run = input(args);
    const result = await train(run);
    // 256 steps of 4 envs × 32 = 2 updates, each with finite losses and a validation.
    expect(result.updates).toBe(2);
    expect(result.environmentSteps).toBe(256);
    for (const row of result.curves) {
      expect(Number.isFinite(row.policyLoss) && Number.isFinite(row.valueLoss) && Number.isFinite(row.entropy)).toBe(true);
      expect(row.evalReplicaSeconds).toBeGreaterThan(0);
    }
    await saveModel(
      out,
      result.network,
      metadataFor(run, result.features, {
        environmentSteps: result.environmentSteps,
        updates: result.updates,
        wallSeconds: result.wallSeconds,
      }),
    );
    await writeCurves(out, result.curves);
    expect((await readFile(join(out, 'curves.csv'), 'utf8')).split('\n')[0]).toMatch(/^update,globalStep,/);
    result.network.dispose();

    const algo = run.args.algo;
    const deps = { minReplicas: 1, maxReplicas: 20, sloP95Ms: 600, intervalSeconds: 30 };
    const policy = await createPolicy({ name: algo, model: out }, deps);
    const episode = runEpisode({
      fn,
      binSeconds: 60,
      policy,
      rails: new Rails({ minReplicas: 1, maxReplicas: 20 }),
      intervalSeconds: 30,
      seed: 3,
      sloP95Ms: 600,
      durationSeconds: 600,
    });
    expect(episode.result.intervals).toBe(20);
    // Every decision but the last is a valid recommendation from the network.
    expect(episode.intervals.slice(0, -1).every((r) => r.recommendation?.valid)).toBe(true);
    policy.dispose();
  });

  test('resume continues from the checkpoint: same update count, curves kept', async () => {
    const first = await train(input({ totalSteps: 128 }));
    first.network.dispose();
    const resumed = await train(input({ totalSteps: 256 }, true));
    expect(resumed.curves.map((r) => r.update)).toEqual([1, 2]);
    expect(resumed.curves[0]).toEqual(first.curves[0]);
    const { metadata, network } = await loadModel(join(out, 'checkpoint'));
    expect(metadata.training.updates).toBe(2);
    network.dispose();
    resumed.network.dispose();
  });
});
