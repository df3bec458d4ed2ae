/**
 * Shared safety rails (min/max bounds, scale-rate limits, stabilization windows), applied to every
 * policy alike so that comparisons are fair. Shapes follow autoscaling/v2 `HorizontalPodAutoscaler`
 * `spec.behavior`, because that is what platform engineers already know.
 */

export interface ScalingRatePolicy {
  /** 'Pods': at most `value` pods per period; 'Percent': at most `value`% of the current count. */
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  /**
   * Scale-up: the lowest recommendation of the window is used; scale-down: the highest (HPA).
   * 0 disables stabilization.
   */
  stabilizationWindowSeconds: number;
  /** Which rate policy wins when several apply ('Disabled' forbids scaling in this direction). */
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  /** Empty: no rate limit. */
  policies: readonly ScalingRatePolicy[];
}

export interface ScalingBehavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface RailsConfig {
  minReplicas: number;
  maxReplicas: number;
  behavior?: ScalingBehavior;
}

/** Which rail changed the policy's recommendation (for the `ScalingLimited` condition). */
export type RailLimit =
  | 'none'
  | 'min-replicas'
  | 'max-replicas'
  | 'scale-up-stabilization'
  | 'scale-down-stabilization'
  | 'scale-up-rate'
  | 'scale-down-rate'
  | 'scale-up-disabled'
  | 'scale-down-disabled'
  /** OpenFaaS CE keeps every function within 1..5 replicas (faas-netes rewrites any other count). */
  | 'openfaas-ce'
  /** The operator's own ceiling (`--max-replicas`), which no FunctionAutoscaler can exceed. */
  | 'operator-max-replicas'
  /** The operator's own limit on one scale-up (`--max-scale-up-factor`). */
  | 'operator-scale-up';

export interface RailsDecision {
  /** What the policy asked for. */
  rawDesiredReplicas: number;
  /** After stabilization, rate limits and bounds: what is applied. */
  boundedDesiredReplicas: number;
  limitedBy: RailLimit;
  /** One line saying what happened, e.g. "scale-down stabilized at 7 (highest in 300 s)". */
  reason: string;
}
