/**
 * What the three learned policies (lstm-ppo-plus, lstm-ppo, ppo) share: the async factory loads a
 * saved model (weights + metadata, verified) and `recommend` runs one synchronous network step:
 *
 *   Observation ─features (model metadata: columns + standardisation)─> network ─argmax─> action
 *              ─action space (model metadata)─> desired replicas
 *
 * Recurrent state and feature history are kept per function (keyed by `functionName`), so one
 * policy instance can serve several functions without mixing their memories; `reset()` (policy
 * switch, restart) drops them all. Decisions are deterministic by default: the most likely action
 * (`decision: mode`) or the expected replica count (`decision: mean`), whichever the model's
 * metadata names; `sample: true` draws from the distribution with a seeded generator instead.
 */
import type { Observation } from '../metrics/types.js';
import { actionSpace, DECISION_RULES, type ActionSpace, type DecisionRule } from '../model/actions.js';
import { decideFromLogits } from '../model/decide.js';
import { initTfBackend } from '../model/backend.js';
import { FeatureTracker } from '../model/feature-tracker.js';
import { rawFeatures, standardise, type FeatureConfig } from '../model/features.js';
import { loadModel, type ModelMetadata } from '../model/model-io.js';
import type { ActorCritic, Algo, LstmState } from '../model/networks.js';
import { Rng } from '../model/random.js';
import type { ScalingBehavior } from '../rails/types.js';
import { PolicyParams } from './params.js';
import { PolicyConfigError, type PolicyDeps, type PolicySpec, type Recommendation, type ScalingPolicy } from './policy.js';
import { packagePath } from '../package-root.js';

interface FunctionMemory {
  state: LstmState | null;
  tracker: FeatureTracker;
}

export class LearnedPolicy implements ScalingPolicy {
  /** The rails behaviour the model was trained under (e.g. a scale-down stabilization window). */
  readonly defaultBehavior?: ScalingBehavior;
  private readonly memories = new Map<string, FunctionMemory>();
  private readonly space: ActionSpace;
  private readonly features: FeatureConfig;
  private readonly input: Float32Array;
  private readonly rng: Rng | null;
  private readonly decision: DecisionRule;
  private readonly network: ActorCritic;

  readonly metadata: ModelMetadata;

  constructor(
    readonly name: Algo,
    model: { network: ActorCritic; metadata: ModelMetadata },
    private readonly deps: PolicyDeps,
    options: { sampleSeed: number | null; decision: DecisionRule },
  ) {
    this.network = model.network;
    this.metadata = model.metadata;
    const metadata = model.metadata;
    this.decision = options.decision;
    if (metadata.behavior) this.defaultBehavior = metadata.behavior;
    this.space = actionSpace(metadata.actions.space);
    this.features = metadata.features;
    this.input = new Float32Array(model.network.arch.inputSize);
    this.rng = options.sampleSeed === null ? null : new Rng(options.sampleSeed);
  }

  recommend(obs: Observation, _now: number): Recommendation {
    const memory = this.memory(obs.functionName);
    const ctx = memory.tracker.next(obs);
    const raw = rawFeatures(this.features.set, obs, ctx);
    // The network was trained on complete inputs; guessing one would feed it what it never saw.
    if (!raw.ok) return { valid: false, reason: `${raw.missing} is missing: keeping the scale` };
    standardise(this.features, raw.values, this.input, 0);
    const out = this.network.step(this.input, 1, memory.state);
    memory.state = out.state;
    const decision = decideFromLogits({ space: this.space, rule: this.decision, sampler: this.rng }, out.logits, obs, ctx);
    if (!decision.valid) return { valid: false, reason: `${this.name}: ${decision.reason}` };
    return { valid: true, desiredReplicas: decision.desiredReplicas, reason: `${this.name} ${decision.reason}` };
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
 * The shipped model of an algorithm: `models/<algo>/` at the package root (from the source tree
 * and from dist/ alike).
 */
export function shippedModelDir(algo: Algo): string {
  return packagePath('models', algo);
}

/** The factory body of each learned policy: params, backend, model (verified) → policy. */
export async function createLearnedPolicy(algo: Algo, spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> {
  const params = new PolicyParams(algo, spec.params);
  const sample = params.boolean('sample', { default: false });
  const seed = params.integer('seed', { min: 0, max: 2 ** 31 - 1, default: 1 });
  // 'model': whatever the model's metadata says (the rule it was selected with).
  const decisionParam = params.oneOf('decision', { values: ['model', ...DECISION_RULES] as const, default: 'model' });
  params.finish();
  await initTfBackend();
  const dir = spec.model ?? shippedModelDir(algo);
  try {
    const { network, metadata } = await loadModel(dir, { expectAlgo: algo });
    const decision = decisionParam !== 'model' ? decisionParam : (metadata.actions.decision ?? 'mode');
    return new LearnedPolicy(algo, { network, metadata }, deps, { sampleSeed: sample ? seed : null, decision });
  } catch (err) {
    throw new PolicyConfigError(`policy "${algo}": ${(err as Error).message}`, { cause: err });
  }
}
