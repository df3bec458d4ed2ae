/**
 * The FunctionAutoscaler custom resource as TypeScript sees it. The schema in
 * `crds/functionautoscalers.faas-autoscaler.dev.yaml` is the source of truth; these types must agree
 * with it field by field (test/unit/api/drift.test.ts walks both and fails on any difference).
 *
 * The types describe a stored object, i.e. after the API server applied the CRD defaults: a field
 * with a default in the CRD is not optional here. `FunctionAutoscalerSpecInput` is what a user may
 * write.
 */
import type { ObservationField } from '../metrics/types.js';
import type { PolicyName } from '../policies/policy.js';
import type { RailLimit } from '../rails/types.js';

export const GROUP = 'faas-autoscaler.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'FunctionAutoscaler';
export const LIST_KIND = 'FunctionAutoscalerList';
export const PLURAL = 'functionautoscalers';
export const SHORT_NAME = 'fas';
export const CRD_NAME = `${PLURAL}.${GROUP}`;

export const ACTUATOR_NAMES = ['deployment-scale', 'gateway'] as const;
export type ActuatorName = (typeof ACTUATOR_NAMES)[number];

export const CONDITION_TYPES = ['Ready', 'MetricsAvailable', 'PolicyLoaded', 'ScalingLimited', 'ExternalChange'] as const;
export type FunctionAutoscalerConditionType = (typeof CONDITION_TYPES)[number];

/** The subset of metav1.ObjectMeta the operator reads and writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface SloSpec {
  /** Target P95 latency at the gateway, ms. */
  p95LatencyMs: number;
}

export interface FunctionAutoscalerPolicySpec {
  name: PolicyName;
  /** Directory with the weights of a learned policy; absent means the shipped model. */
  model?: string;
  /** Free-form, validated by the policy's factory. */
  params?: Record<string, unknown>;
  /** Used while `name` cannot be loaded. */
  fallback: PolicyName;
}

export interface ScalingRatePolicySpec {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/**
 * One direction of `spec.behavior`. Unlike rails' `ScalingRules`, every field is optional: what is
 * left out comes from the policy's `defaultBehavior` (or the HPA defaults).
 */
export interface ScalingRulesSpec {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingRatePolicySpec[];
}

export interface ScalingBehaviorSpec {
  scaleUp?: ScalingRulesSpec;
  scaleDown?: ScalingRulesSpec;
}

export interface ResourceRequestsSpec {
  requests?: {
    /** Quantity, e.g. "100m", "0.5" or 1. */
    cpu?: string | number;
    /** Quantity, e.g. "128Mi". */
    memory?: string | number;
  };
}

export interface FunctionAutoscalerSpec {
  functionName: string;
  functionNamespace: string;
  /** Unset: the function's com.openfaas.scale.min label, else 1 (controller/spec.ts `resolveBounds`). */
  minReplicas?: number;
  /** Unset: the function's com.openfaas.scale.max label, else 20. */
  maxReplicas?: number;
  intervalSeconds: number;
  slo: SloSpec;
  policy: FunctionAutoscalerPolicySpec;
  behavior?: ScalingBehaviorSpec;
  actuator: ActuatorName;
  dryRun: boolean;
  resources?: ResourceRequestsSpec;
}

/** A spec whose replica bounds are resolved (spec, the function's labels, or the defaults). */
export type BoundedSpec = Omit<FunctionAutoscalerSpec, 'minReplicas' | 'maxReplicas'> & { minReplicas: number; maxReplicas: number };

/** status.bounds: the bounds in force and where each comes from. */
export interface BoundsStatus {
  minReplicas: number;
  maxReplicas: number;
  minFrom: string;
  maxFrom: string;
}

/** What a user writes: every defaulted field may be left out. */
export type FunctionAutoscalerSpecInput = Omit<
  FunctionAutoscalerSpec,
  'functionNamespace' | 'intervalSeconds' | 'policy' | 'actuator' | 'dryRun'
> &
  Partial<Pick<FunctionAutoscalerSpec, 'functionNamespace' | 'intervalSeconds' | 'actuator' | 'dryRun'>> & {
    policy?: Partial<FunctionAutoscalerPolicySpec>;
  };

/** metav1.Condition. */
export interface Condition {
  type: FunctionAutoscalerConditionType | (string & {});
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  /** RFC 3339. */
  lastTransitionTime: string;
  /** CamelCase. */
  reason: string;
  message: string;
}

/** `status.lastObservation`: an Observation (metrics/types.ts) with its time, without the function name. */
export interface ObservationStatus {
  /** RFC 3339, end of the window. */
  time?: string;
  windowSeconds?: number;
  rps?: number | null;
  requests?: number | null;
  p95LatencyMs?: number | null;
  meanExecutionMs?: number | null;
  errorRate?: number | null;
  replicas?: number;
  readyReplicas?: number | null;
  cpuPerReplica?: number | null;
  memoryPerReplica?: number | null;
  inflight?: number | null;
  /** Share of the window's requests slower than the SLO or failed, from the gateway histogram (metrics/observation.ts `missRatio`). */
  missRatio?: number | null;
  missing?: ObservationField[];
  problems?: string[];
}

export interface DecisionStatus {
  /** RFC 3339. */
  time?: string;
  /** Absent when the policy could not decide. */
  rawDesiredReplicas?: number;
  desiredReplicas?: number;
  reason?: string;
  limitedBy?: RailLimit;
}

export interface FunctionAutoscalerStatus {
  observedGeneration?: number;
  replicas?: number;
  desiredReplicas?: number;
  activePolicy?: PolicyName;
  bounds?: BoundsStatus;
  lastObservation?: ObservationStatus;
  lastDecision?: DecisionStatus;
  conditions?: Condition[];
}

export interface FunctionAutoscaler {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: FunctionAutoscalerSpec;
  status?: FunctionAutoscalerStatus;
}

export interface FunctionAutoscalerList {
  apiVersion: typeof API_VERSION;
  kind: typeof LIST_KIND;
  metadata: { resourceVersion?: string; continue?: string };
  items: FunctionAutoscaler[];
}
