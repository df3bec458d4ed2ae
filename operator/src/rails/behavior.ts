/**
 * Ready-made behaviours and the merge rule for user overrides. The shapes are those of
 * autoscaling/v2 `spec.behavior`; so are the defaults and the merge (a field the user sets replaces
 * the default's field, a field left out keeps the default), as the API server's defaulting does.
 */
import type { ScalingBehavior, ScalingRatePolicy, ScalingRules } from './types.js';

/**
 * The HPA's defaults (autoscaling/v2 `SetDefaults_HorizontalPodAutoscalerBehavior`): scale up
 * without stabilization by at most 4 pods or 100 % per 15 s, whichever allows more; scale down to
 * the highest recommendation of the last 300 s, by at most 100 % per 15 s.
 */
export const HPA_DEFAULT_BEHAVIOR: ScalingBehavior = Object.freeze({
  scaleUp: Object.freeze({
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: Object.freeze([
      Object.freeze({ type: 'Pods', value: 4, periodSeconds: 15 }),
      Object.freeze({ type: 'Percent', value: 100, periodSeconds: 15 }),
    ]) as readonly ScalingRatePolicy[],
  }),
  scaleDown: Object.freeze({
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: Object.freeze([Object.freeze({ type: 'Percent', value: 100, periodSeconds: 15 })]) as readonly ScalingRatePolicy[],
  }),
}) as ScalingBehavior;

/** Rules that change nothing: no stabilization, no rate limit (bounds still apply). */
export const UNLIMITED_RULES: ScalingRules = Object.freeze({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: Object.freeze([]) as readonly ScalingRatePolicy[],
}) as ScalingRules;

/** A user's partial behaviour (e.g. only `scaleDown.stabilizationWindowSeconds`). */
export interface ScalingBehaviorOverride {
  scaleUp?: Partial<ScalingRules>;
  scaleDown?: Partial<ScalingRules>;
}

/**
 * The behaviour rails should apply: the policy's declared default (its reference's behaviour)
 * with the fields the user set replacing the default's fields. A direction neither declares is
 * left out (no stabilization, no rate limit in that direction).
 */
export function mergeBehavior(base: ScalingBehavior | undefined, override: ScalingBehaviorOverride | undefined): ScalingBehavior {
  const merged: ScalingBehavior = {};
  const scaleUp = mergeRules(base?.scaleUp, override?.scaleUp);
  const scaleDown = mergeRules(base?.scaleDown, override?.scaleDown);
  if (scaleUp) merged.scaleUp = scaleUp;
  if (scaleDown) merged.scaleDown = scaleDown;
  return merged;
}

function mergeRules(base: ScalingRules | undefined, override: Partial<ScalingRules> | undefined): ScalingRules | undefined {
  if (!base && !override) return undefined;
  const from = base ?? UNLIMITED_RULES;
  return {
    stabilizationWindowSeconds: override?.stabilizationWindowSeconds ?? from.stabilizationWindowSeconds,
    selectPolicy: override?.selectPolicy ?? from.selectPolicy,
    policies: override?.policies ?? from.policies,
  };
}
