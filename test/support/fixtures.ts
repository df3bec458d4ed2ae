/**
 * Fixtures several tests share: a small synthetic function to train and simulate on, and a model
 * with random weights written the way `train` writes one.
 */
import type { TraceFunction } from '#kernel/traces/types.js';
import type { ActionSpaceName, DecisionRule } from '../../operator/src/model/actions.js';
import { featureColumns, featureCount, type FeatureSetName } from '../../operator/src/model/features.js';
import { saveModel, type ModelMetadataInput } from '../../operator/src/model/model-io.js';
import { ActorCritic, defaultArchitecture, initialWeights, type Algo } from '../../operator/src/model/networks.js';

/** A square wave between 2 and 8 RPS (120 and 480 a minute, 5 minutes each), 200 ms mean service: a few replicas' worth. */
export const SQUARE_WAVE: TraceFunction = {
  id: 'synthetic-square',
  row: 1,
  counts: Array.from({ length: 60 }, (_, i) => (Math.floor(i / 5) % 2 === 0 ? 120 : 480)),
  profile: {
    durations: {
      averageMs: 200,
      count: 1000,
      minimumMs: 50,
      maximumMs: 900,
      percentilesMs: { 0: 50, 1: 80, 25: 150, 50: 190, 75: 240, 99: 500, 100: 900 },
    },
  },
};

export interface RandomModel {
  algo: Algo;
  set: FeatureSetName;
  seed: number;
  space?: ActionSpaceName;
  decision?: DecisionRule;
  lstmUnits?: number;
  /** Standardisation written into the metadata (every feature alike). */
  mean?: number;
  std?: number;
}

/**
 * Writes a model with random weights to `dir`. The output layers are scaled up from their initial
 * 0.01, so that the actions differ from step to step.
 */
export async function writeRandomModel(dir: string, m: RandomModel): Promise<void> {
  const n = featureCount(m.set);
  const base = defaultArchitecture(m.algo, n, 5);
  const arch = m.lstmUnits !== undefined ? { ...base, lstmUnits: m.lstmUnits } : base;
  const weights = initialWeights(arch, m.seed);
  for (const [name, w] of weights) if (name.endsWith('.out.kernel')) w.forEach((v, i) => (w[i] = v * 300));
  const net = new ActorCritic(arch, weights);
  await saveModel(dir, net, {
    ...testModelMetadata(m.set, { mean: m.mean ?? 1, std: m.std ?? 2 }),
    actions: { space: m.space ?? 'delta5', ...(m.decision ? { decision: m.decision } : {}) },
  });
  net.dispose();
}

/** Metadata of a model no training wrote: standardisation `mean`/`std` for every feature of `set`. */
export function testModelMetadata(set: FeatureSetName, norm: { mean: number; std: number }): ModelMetadataInput {
  const n = featureCount(set);
  return {
    features: { set, columns: featureColumns(set), mean: new Array(n).fill(norm.mean), std: new Array(n).fill(norm.std), clip: 10 },
    actions: { space: 'delta5' },
    reward: { name: 'gaussian' },
    training: { args: {}, environmentSteps: 0, updates: 0, wallSeconds: 0, backend: 'wasm' },
    trace: null,
    packageVersion: '0.0.0-test',
    gitCommit: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}
