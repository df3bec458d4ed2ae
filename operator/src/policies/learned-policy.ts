/**
 * What the three learned policies (lstm-ppo-plus, lstm-ppo, ppo) share: the async factory loads a
 * saved model (weights + metadata, verified) and `recommend` runs one synchronous network step:
 *
 *   Observation ─features (model metadata: columns + standardisation)─> network ─argmax─> action
 *              ─action space (model metadata)─> desired replicas
 *
 * Recurrent state and feature history are kept per function (keyed by `functionName`), so one
 * policy instance can serve several functions without mixing their memories; `reset()` (policy
 * switch, restart) drops them all. Actions are deterministic (argmax) by default; `sample: true`
 * draws from the policy's distribution with a seeded generator instead.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Observation } from '../metrics/types.js';
import { actionSpace, type ActionSpace } from '../model/actions.js';
import { initTfBackend } from '../model/backend.js';
import { FeatureTracker } from '../model/feature-tracker.js';
import { rawFeatures, standardise, type FeatureConfig } from '../model/features.js';
import { loadModel, type ModelMetadata } from '../model/model-io.js';
import type { ActorCritic, Algo, LstmState } from '../model/networks.js';
import { Rng } from '../model/random.js';
import { PolicyParams } from './params.js';
import { PolicyConfigError, type PolicyDeps, type PolicySpec, type Recommendation, type ScalingPolicy } from './policy.js';

interface FunctionMemory {
  state: LstmState | null;
  tracker: FeatureTracker;
}

export class LearnedPolicy implements ScalingPolicy {
  private readonly memories = new Map<string, FunctionMemory>();
  private readonly space: ActionSpace;
  private readonly features: FeatureConfig;
  private readonly input: Float32Array;
  private readonly rng: Rng | null;

  constructor(
    readonly name: Algo,
    private readonly network: ActorCritic,
    readonly metadata: ModelMetadata,
    private readonly deps: PolicyDeps,
    options: { sampleSeed: number | null },
  ) {
    this.space = actionSpace(metadata.actions.space);
    this.features = metadata.features;
    this.input = new Float32Array(network.arch.inputSize);
    this.rng = options.sampleSeed === null ? null : new Rng(options.sampleSeed);
  }

  recommend(obs: Observation, _now: number): Recommendation {
    const memory = this.memory(obs.functionName);
    const raw = rawFeatures(this.features.set, obs, memory.tracker.next(obs));
    // The network was trained on complete inputs; guessing one would feed it what it never saw.
    if (!raw.ok) return { valid: false, reason: `${raw.missing} is missing: keeping the scale` };
    standardise(this.features, raw.values, this.input, 0);
    const out = this.network.step(this.input, 1, memory.state);
    memory.state = out.state;
    const probs = softmax(out.logits);
    const action = this.rng ? this.rng.categorical(probs) : argmax(probs);
    const desiredReplicas = Math.max(0, Math.round(this.space.desiredReplicas(action, obs)));
    return {
      valid: true,
      desiredReplicas,
      reason: `${this.name} action ${this.space.labels[action]} (p=${probs[action].toFixed(2)}): ${obs.replicas} → ${desiredReplicas}`,
    };
  }

  reset(): void {
    this.memories.clear();
  }

  dispose(): void {
    this.memories.clear();
    this.network.dispose();
  }

  private memory(functionName: string): FunctionMemory {
    let memory = this.memories.get(functionName);
    if (!memory) {
      memory = { state: this.network.initialState(1), tracker: new FeatureTracker(this.deps.sloP95Ms, this.deps.maxReplicas) };
      this.memories.set(functionName, memory);
    }
    return memory;
  }
}

/**
 * The shipped model of an algorithm: `models/<algo>/` at the package root, found from the source
 * tree (operator/src/policies) and from the build (dist/operator/src/policies) alike.
 */
export function shippedModelDir(algo: Algo): string {
  const candidates = ['../../../models/', '../../../../models/'].map((rel) => fileURLToPath(new URL(`${rel}${algo}`, import.meta.url)));
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0];
}

/** The factory body of each learned policy: params, backend, model (verified) → policy. */
export async function createLearnedPolicy(algo: Algo, spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> {
  const params = new PolicyParams(algo, spec.params);
  const sample = params.boolean('sample', { default: false });
  const seed = params.integer('seed', { min: 0, max: 2 ** 31 - 1, default: 1 });
  params.finish();
  await initTfBackend();
  const dir = spec.model ?? shippedModelDir(algo);
  try {
    const { network, metadata } = await loadModel(dir, { expectAlgo: algo });
    return new LearnedPolicy(algo, network, metadata, deps, { sampleSeed: sample ? seed : null });
  } catch (err) {
    throw new PolicyConfigError(`policy "${algo}": ${(err as Error).message}`, { cause: err });
  }
}

function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
