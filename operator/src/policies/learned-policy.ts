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
 *
 * A model is loaded once per process and shared by every instance that names the same files (the
 * LSTM-PPO+ network is megabytes; one copy per FunctionAutoscaler would not fit thousands), and
 * instances sharing it can stage their steps to run as one batch: one forward pass for every
 * function due at the same tick (`stage`, `recommendAll` in decision/step.ts).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Observation } from '../metrics/types.js';
import { actionSpace, DECISION_RULES, type ActionSpace, type DecisionRule } from '../model/actions.js';
import { decideFromLogits } from '../model/decide.js';
import { initTfBackend } from '../model/backend.js';
import { FeatureTracker } from '../model/feature-tracker.js';
import { rawFeatures, standardise, type FeatureConfig } from '../model/features.js';
import { loadModel, METADATA_FILE, WEIGHTS_FILE, type LoadedModel, type ModelMetadata } from '../model/model-io.js';
import type { ActorCritic, Algo, LstmState } from '../model/networks.js';
import { Rng } from '../model/random.js';
import type { ScalingBehavior } from '../rails/types.js';
import { PolicyParams } from './params.js';
import {
  PolicyConfigError,
  type PolicyDeps,
  type PolicySpec,
  type Recommendation,
  type ScalingPolicy,
  type StagedStep,
  type StepBatch,
} from './policy.js';
import { packagePath } from '../package-root.js';

interface FunctionMemory {
  state: LstmState | null;
  tracker: FeatureTracker;
}

/** A staged step of one function: its standardised input and state, and what to do with the output. */
interface NetworkStep extends StagedStep {
  readonly input: Float32Array;
  readonly state: LstmState | null;
  finish(logits: Float32Array, state: LstmState | null): void;
}

/** Runs the staged steps of one network as a single forward pass of batch size B. */
export class NetworkBatch implements StepBatch {
  constructor(private readonly network: ActorCritic) {}

  run(staged: readonly StagedStep[]): void {
    const steps = staged as readonly NetworkStep[];
    const { inputSize, actionCount, lstmUnits } = this.network.arch;
    const b = steps.length;
    const features = b === 1 ? steps[0].input : new Float32Array(b * inputSize);
    if (b > 1) steps.forEach((s, i) => features.set(s.input, i * inputSize));
    let state: LstmState | null = null;
    if (this.network.recurrent) {
      if (b === 1) state = steps[0].state;
      else {
        state = { h: new Float32Array(b * lstmUnits), c: new Float32Array(b * lstmUnits) };
        steps.forEach((s, i) => {
          state!.h.set(s.state!.h, i * lstmUnits);
          state!.c.set(s.state!.c, i * lstmUnits);
        });
      }
    }
    const out = this.network.step(features, b, state);
    steps.forEach((s, i) => {
      const row = (a: Float32Array, width: number): Float32Array => (b === 1 ? a : a.slice(i * width, (i + 1) * width));
      s.finish(row(out.logits, actionCount), out.state ? { h: row(out.state.h, lstmUnits), c: row(out.state.c, lstmUnits) } : null);
    });
  }
}

/** A model loaded once, with the instances using it counted; disposed when the last one goes. */
interface SharedModel {
  model: LoadedModel;
  batch: NetworkBatch;
  users: number;
  disposed: boolean;
}

const sharedModels = new Map<string, Promise<SharedModel>>();

/**
 * The model in `dir`, loaded at the first request and shared until its last user releases it. The
 * files' size, time and inode are part of the key: a model replaced on disk is loaded anew.
 */
async function acquireModel(dir: string, algo: Algo): Promise<{ shared: SharedModel; release: () => void }> {
  for (;;) {
    const files = await Promise.all([METADATA_FILE, WEIGHTS_FILE].map((f) => stat(join(dir, f)).catch(() => null)));
    const key = JSON.stringify([algo, resolve(dir), ...files.map((f) => (f ? [f.size, f.mtimeMs, f.ino] : null))]);
    let loading = sharedModels.get(key);
    if (!loading) {
      loading = loadModel(dir, { expectAlgo: algo }).then((model) => ({
        model,
        batch: new NetworkBatch(model.network),
        users: 0,
        disposed: false,
      }));
      sharedModels.set(key, loading);
      // A failed load is tried again at the next request.
      loading.catch(() => sharedModels.delete(key));
    }
    const shared = await loading;
    // Released by its last user while this request waited: load it again.
    if (shared.disposed) continue;
    shared.users++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--shared.users > 0) return;
      shared.disposed = true;
      if (sharedModels.get(key) === loading) sharedModels.delete(key);
      shared.model.network.dispose();
    };
    return { shared, release };
  }
}

/** Models loaded and shared now (for tests and the benchmark). */
export function sharedModelCount(): number {
  return sharedModels.size;
}

export class LearnedPolicy implements ScalingPolicy {
  /** The rails behaviour the model was trained under (e.g. a scale-down stabilization window). */
  readonly defaultBehavior?: ScalingBehavior;
  private readonly memories = new Map<string, FunctionMemory>();
  private readonly space: ActionSpace;
  private readonly features: FeatureConfig;
  private readonly rng: Rng | null;
  private readonly decision: DecisionRule;
  private readonly network: ActorCritic;
  private readonly batch: StepBatch;
  private readonly release: () => void;

  readonly metadata: ModelMetadata;

  constructor(
    readonly name: Algo,
    /** The shared network, the batch its steps run in, and how to give it back when disposed. */
    model: { network: ActorCritic; metadata: ModelMetadata; batch: StepBatch; release: () => void },
    private readonly deps: PolicyDeps,
    options: { sampleSeed: number | null; decision: DecisionRule },
  ) {
    this.network = model.network;
    this.batch = model.batch;
    this.release = model.release;
    this.metadata = model.metadata;
    const metadata = model.metadata;
    this.decision = options.decision;
    if (metadata.behavior) this.defaultBehavior = metadata.behavior;
    this.space = actionSpace(metadata.actions.space);
    this.features = metadata.features;
    this.rng = options.sampleSeed === null ? null : new Rng(options.sampleSeed);
  }

  recommend(obs: Observation, now: number): Recommendation {
    const staged = this.stage(obs, now);
    if (!('batch' in staged)) return staged;
    staged.batch.run([staged]);
    return staged.result!;
  }

  stage(obs: Observation, _now: number): StagedStep | Recommendation {
    const memory = this.memory(obs.functionName);
    const ctx = memory.tracker.next(obs);
    const raw = rawFeatures(this.features.set, obs, ctx);
    // The network was trained on complete inputs; guessing one would feed it what it never saw.
    if (!raw.ok) return { valid: false, reason: `${raw.missing} is missing: keeping the scale` };
    const input = new Float32Array(this.network.arch.inputSize);
    standardise(this.features, raw.values, input, 0);
    const step: NetworkStep = {
      batch: this.batch,
      input,
      state: memory.state,
      finish: (logits, state) => {
        memory.state = state;
        const decision = decideFromLogits({ space: this.space, rule: this.decision, sampler: this.rng }, logits, obs, ctx);
        step.result = decision.valid
          ? { valid: true, desiredReplicas: decision.desiredReplicas, reason: `${this.name} ${decision.reason}` }
          : { valid: false, reason: `${this.name}: ${decision.reason}` };
      },
    };
    return step;
  }

  reset(): void {
    this.memories.clear();
  }

  dispose(): void {
    this.memories.clear();
    this.release();
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
    const { shared, release } = await acquireModel(dir, algo);
    try {
      const { network, metadata } = shared.model;
      const decision = decisionParam !== 'model' ? decisionParam : (metadata.actions.decision ?? 'mode');
      return new LearnedPolicy(algo, { network, metadata, batch: shared.batch, release }, deps, {
        sampleSeed: sample ? seed : null,
        decision,
      });
    } catch (err) {
      release();
      throw err;
    }
  } catch (err) {
    throw new PolicyConfigError(`policy "${algo}": ${(err as Error).message}`, { cause: err });
  }
}
