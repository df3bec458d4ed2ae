/**
 * `hpa`: the Kubernetes HorizontalPodAutoscaler on CPU utilisation (autoscaling/v2, Resource
 * metric, target type Utilization), from `pkg/controller/podautoscaler/replica_calculator.go`.
 *
 * The maths (`hpaResourceReplicas`) is `GetResourceReplicas` over pod groups: ready pods with
 * metrics, unready pods, pods with no metrics. utilization = ⌊100 × Σusage / Σrequest⌋ over the
 * pods with metrics (integer, as Go's int64 division); ratio = utilization / target; within the
 * tolerance (|1 − ratio| ≤ 0.1) nothing changes; else desired = ⌈ratio × ready pods⌉. When pods
 * are unready (and the ratio says scale up) or missing, the ratio is recomputed with unready pods
 * at 0 % and missing pods at 0 % (scale up) or max(100 %, target) (scale down), and if that flips
 * the direction or lands within the tolerance the count is kept.
 *
 * What the Observation allows (approximations, see docs/policies.md):
 *  - current pods = `replicas`; unready pods = replicas − readyReplicas; `cpuPerReplica` (mean over
 *    reporting pods) stands for the ready pods' mean, because the Observation does not split usage
 *    per pod. Pods still starting report little CPU, so this errs towards scaling up less, as the
 *    HPA's own unready rule does.
 *  - missing pods: the Observation has no per-pod coverage, so the policy passes none; all pods
 *    missing (`cpuPerReplica` null) is the HPA's "did not receive metrics" → invalid.
 *  - the 5-minute CPU initialization period and 30-s readiness delay need pod start times the
 *    Observation does not carry; an unready pod is simply unready.
 *
 * Default target 80 %: what `kubectl autoscale` without `--cpu-percent` (and autoscaling/v1's
 * defaulting) gives. Sync period 15 s in the HPA; here one decision per interval.
 * Rails apply the HPA's default behaviour (`HPA_DEFAULT_BEHAVIOR`).
 */
import { HPA_DEFAULT_BEHAVIOR } from '../rails/behavior.js';
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

/** kube-controller-manager `--horizontal-pod-autoscaler-tolerance`. */
export const HPA_TOLERANCE = 0.1;
/** `kubectl autoscale` without `--cpu-percent`; autoscaling/v1 defaulting. */
export const HPA_DEFAULT_TARGET_CPU_UTILIZATION_PERCENTAGE = 80;

export interface HpaResourceInput {
  /** scale.spec.replicas. */
  currentReplicas: number;
  /** Ready pods that reported a metric. */
  readyPodCount: number;
  /** Mean usage of those pods as a fraction of their request (1.0 = at request). */
  readyUsageFraction: number;
  /** Pods pending or not ready. */
  unreadyPodCount: number;
  /** Pods with no metric sample. */
  missingPodCount: number;
  targetUtilizationPercent: number;
  tolerance: number;
}

export type HpaResult =
  { valid: true; desiredReplicas: number; utilizationPercent: number; rule: string } | { valid: false; reason: string };

/** `GetResourceReplicas` with all pods requesting the same amount (one container spec per function). */
export function hpaResourceReplicas(input: HpaResourceInput): HpaResult {
  const { currentReplicas, readyPodCount, unreadyPodCount, missingPodCount, targetUtilizationPercent: target, tolerance } = input;
  if (readyPodCount + unreadyPodCount + missingPodCount === 0) {
    return { valid: false, reason: 'no pods returned by selector while calculating replica count' };
  }
  if (readyPodCount === 0) {
    return { valid: false, reason: 'did not receive metrics for targeted pods (pods might be unready)' };
  }
  // Usage in units of "percent of one pod's request": Σusage×100/Σrequest = mean×100.
  const readyUsageTotal = readyPodCount * input.readyUsageFraction * 100;
  const utilization = truncatedUtilization(readyUsageTotal, readyPodCount);
  const usageRatio = utilization / target;

  const scaleUpWithUnready = unreadyPodCount > 0 && usageRatio > 1.0;
  if (!scaleUpWithUnready && missingPodCount === 0) {
    if (Math.abs(1.0 - usageRatio) <= tolerance) {
      return { valid: true, desiredReplicas: currentReplicas, utilizationPercent: utilization, rule: 'within tolerance' };
    }
    return {
      valid: true,
      desiredReplicas: Math.ceil(usageRatio * readyPodCount),
      utilizationPercent: utilization,
      rule: `ceil(${fmt(usageRatio)} × ${readyPodCount} ready)`,
    };
  }

  let usageTotal = readyUsageTotal;
  let podsWithMetrics = readyPodCount;
  if (missingPodCount > 0) {
    if (usageRatio < 1.0) {
      // On a scale-down, missing pods count as using 100 % of their request (or the target, if higher).
      usageTotal += missingPodCount * Math.max(100, target);
      podsWithMetrics += missingPodCount;
    } else if (usageRatio > 1.0) {
      // On a scale-up, missing pods count as using 0 %.
      podsWithMetrics += missingPodCount;
    }
  }
  if (scaleUpWithUnready) podsWithMetrics += unreadyPodCount; // at 0 %

  const newUsageRatio = truncatedUtilization(usageTotal, podsWithMetrics) / target;
  const flipped = (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0);
  if (Math.abs(1.0 - newUsageRatio) <= tolerance || flipped) {
    const rule = flipped
      ? `counting unready/missing pods flips the direction (${fmt(usageRatio)} → ${fmt(newUsageRatio)})`
      : `within tolerance after counting unready/missing pods (${fmt(newUsageRatio)})`;
    return { valid: true, desiredReplicas: currentReplicas, utilizationPercent: utilization, rule };
  }
  const newReplicas = Math.ceil(newUsageRatio * podsWithMetrics);
  if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) {
    return { valid: true, desiredReplicas: currentReplicas, utilizationPercent: utilization, rule: 'pod count flips the direction' };
  }
  return {
    valid: true,
    desiredReplicas: newReplicas,
    utilizationPercent: utilization,
    rule: `ceil(${fmt(newUsageRatio)} × ${podsWithMetrics} pods, unready/missing counted)`,
  };
}

/**
 * `GetExternalPerPodMetricReplicas` (AverageValue target, as KEDA's HPA uses): the ratio is
 * total / (target × current pods); outside the tolerance, desired = ⌈total / target⌉.
 */
export function hpaAverageValueReplicas(args: {
  total: number;
  targetAverageValue: number;
  currentReplicas: number;
  tolerance: number;
}): number {
  const { total, targetAverageValue, currentReplicas, tolerance } = args;
  const usageRatio = total / (targetAverageValue * currentReplicas);
  if (Math.abs(1.0 - usageRatio) > tolerance) return Math.ceil(total / targetAverageValue);
  return currentReplicas;
}

/** ⌊Σusage×100/Σrequest⌋ as Go's integer division; the 1e-9 absorbs float noise like 0.29×100 = 28.999…. */
function truncatedUtilization(usageTotalPercent: number, pods: number): number {
  return Math.floor(usageTotalPercent / pods + 1e-9);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}

export class HpaPolicy implements ScalingPolicy {
  readonly name = 'hpa';
  readonly defaultBehavior: ScalingBehavior = HPA_DEFAULT_BEHAVIOR;

  constructor(
    private readonly targetUtilizationPercent: number,
    private readonly tolerance: number,
  ) {}

  recommend(obs: Observation, _now: number): Recommendation {
    const current = obs.replicas;
    if (current === 0) {
      return { valid: false, reason: 'scaling is disabled since the replica count of the target is zero' };
    }
    if (obs.readyReplicas === null) return { valid: false, reason: 'ready replicas unknown: cannot tell ready pods from unready' };
    if (obs.cpuPerReplica === null) return { valid: false, reason: 'did not receive CPU metrics for targeted pods' };
    const ready = Math.min(obs.readyReplicas, current);
    const result = hpaResourceReplicas({
      currentReplicas: current,
      readyPodCount: ready,
      readyUsageFraction: obs.cpuPerReplica,
      unreadyPodCount: current - ready,
      missingPodCount: 0,
      targetUtilizationPercent: this.targetUtilizationPercent,
      tolerance: this.tolerance,
    });
    if (!result.valid) return result;
    return {
      valid: true,
      desiredReplicas: result.desiredReplicas,
      reason: `CPU ${result.utilizationPercent}% of request vs target ${this.targetUtilizationPercent}%: ${result.rule} → ${result.desiredReplicas}`,
    };
  }

  reset(): void {}

  dispose(): void {}
}

export const createHpaPolicy: PolicyFactory = async (spec: PolicySpec, _deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('hpa', spec.params);
  const target = params.integer('targetCPUUtilizationPercentage', {
    min: 1,
    max: 1000,
    default: HPA_DEFAULT_TARGET_CPU_UTILIZATION_PERCENTAGE,
  });
  const tolerance = params.number('tolerance', { min: 0, max: 1, minExclusive: false, default: HPA_TOLERANCE });
  params.finish();
  return new HpaPolicy(target, tolerance);
};
