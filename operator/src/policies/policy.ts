/**
 * The policy contract (DESIGN.md §3). A policy turns one Observation into a replica count.
 * It does no I/O and takes time only from `now`, so the same code runs in the operator, the
 * simulator (`evaluate`, `train`) and the tests. Bounds, rate limits and stabilization are not
 * inside policies: `rails/` applies them to every policy alike. A policy may *declare* the default
 * behaviour of the system it reproduces (e.g. the HPA's 300 s scale-down stabilization) through
 * `defaultBehavior`; rails carry it out.
 */
import type { Observation, ResourceRequests } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import { InputError } from '#kernel/input-error.js';

/** Every policy name the custom resource accepts (kept in alphabetical order, like the registry). */
export const POLICY_NAMES = [
  'hpa',
  'keda',
  'knative',
  'lstm-ppo',
  'lstm-ppo-plus',
  'openfaas-ce',
  'openfaas-pro',
  'ppo',
  'static',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Policies that exist only inside the simulator (they need to see the future). */
export const SIMULATOR_ONLY_POLICY_NAMES = ['oracle'] as const;
export type SimulatorOnlyPolicyName = (typeof SIMULATOR_ONLY_POLICY_NAMES)[number];
export type AnyPolicyName = PolicyName | SimulatorOnlyPolicyName;

export type Recommendation = { valid: true; desiredReplicas: number; reason: string } | { valid: false; reason: string };

/** `spec.policy` of a FunctionAutoscaler. */
export interface PolicySpec {
  name: AnyPolicyName;
  /** Where RL weights come from (a directory with weights + metadata); learned policies only. */
  model?: string;
  /** Per-policy parameters, validated by the policy's factory (unknown keys are an error). */
  params?: Readonly<Record<string, unknown>>;
}

/** Coming arrivals, for the oracle. Only the simulator can provide it. */
export interface Lookahead {
  /**
   * Smallest replica count (>= floor) that keeps the P95 of the next `horizonSeconds` at or under
   * the SLO when applied now, cold starts included; `null` when even `ceiling` does not.
   */
  fewestReplicasMeetingSlo(args: { floor: number; ceiling: number; sloP95Ms: number }): number | null;
}

/** What a factory may use; everything a policy needs to know about its function's setting. */
export interface PolicyDeps {
  minReplicas: number;
  maxReplicas: number;
  sloP95Ms: number;
  intervalSeconds: number;
  /**
   * Per-replica resource requests of the function (`spec.resources.requests`, the same values the
   * Observation builder divides by). Policies that think in absolute units (OpenFaaS Pro's and
   * KEDA's CPU in millicores) need the CPU request; they refuse to start without it.
   */
  resourceRequests?: ResourceRequests;
  /** Present only in the simulator; the oracle refuses to start without it. */
  lookahead?: Lookahead;
}

/**
 * One function's decision step, staged to run together with others that share a network: every
 * step with the same `batch` runs in one `batch.run(steps)` (one forward pass), which sets each
 * step's `result`.
 */
export interface StagedStep {
  readonly batch: StepBatch;
  result?: Recommendation;
}

export interface StepBatch {
  run(steps: readonly StagedStep[]): void;
}

export interface ScalingPolicy {
  /** Equals spec.policy.name in the custom resource. */
  readonly name: AnyPolicyName;
  /** Behaviour of the reference system (stabilization, rate limits) for rails to apply. */
  readonly defaultBehavior?: ScalingBehavior;
  /** Synchronous and pure apart from the policy's own state; `now` in ms since the epoch (or sim start). */
  recommend(obs: Observation, now: number): Recommendation;
  /**
   * What `recommend` does, in two halves, for policies that can decide many functions at once:
   * a recommendation when there is nothing to run (e.g. an input missing), else a step to run
   * with its batch. `recommend(obs)` equals staging and running the step alone.
   */
  stage?(obs: Observation, now: number): StagedStep | Recommendation;
  /** Drop recurrent state (policy switch, restart). */
  reset(): void;
  /** Free resources (tensors). */
  dispose(): void;
}

/** Async work (loading a model) happens here, never in `recommend`. */
export type PolicyFactory = (spec: PolicySpec, deps: PolicyDeps) => Promise<ScalingPolicy>;

/**
 * Thrown for an unknown policy name or invalid params; the message names the field and allowed
 * values. It is bad input, so the CLIs print it as one line and exit 2.
 */
export class PolicyConfigError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyConfigError';
  }
}
