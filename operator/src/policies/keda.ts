/**
 * `keda`: a KEDA ScaledObject with one Prometheus trigger, i.e. KEDA's scale executor (activation,
 * cooldown, scale to/from zero; `pkg/scaling/executor/scale_scaledobjects.go`) in front of the HPA
 * KEDA creates (External metric, AverageValue target = threshold).
 *
 *  - The trigger's query is one of the Observation's values (`metric`): rps, inflight,
 *    p95LatencyMs, or cpu (total CPU of the function in millicores, mean per reporting pod ×
 *    ready pods × the CPU request from `deps.resourceRequests`).
 *  - ignoreNullValues (default true): an empty or NaN result counts as 0 (a null field here);
 *    false → the trigger errors and the scale is kept (invalid).
 *  - active when value > activationThreshold (default 0). Every active poll sets lastActiveTime.
 *  - HPA part (replicas > 0): desired = ⌈value / threshold⌉ unless |1 − value / (threshold ×
 *    current)| ≤ 0.1, and at least 1 (KEDA's HPA has minReplicas max(minReplicaCount, 1)).
 *  - at 0 replicas the HPA is disabled: active → activate (the HPA's first step, from 1, is folded
 *    into the same interval, since the HPA syncs twice per 30-s interval); inactive → stay at 0.
 *  - minReplicaCount is the custom resource's `minReplicas` (rails bound the result). Only when it
 *    is 0 does KEDA itself scale to zero: inactive, replicas > 0 and lastActiveTime + cooldownPeriod
 *    (300 s) in the past — or never active since the policy started (KEDA scales an idle target
 *    down at once when `LastActiveTime` is unset). With minReplicas ≥ 1 the HPA part rules.
 *  - maxReplicaCount is `maxReplicas` (rails). Rails apply the HPA's default behaviour.
 */
import { HPA_DEFAULT_BEHAVIOR } from '../rails/behavior.js';
import { HPA_TOLERANCE, hpaAverageValueReplicas } from './hpa.js';
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

export const KEDA_METRICS = ['rps', 'inflight', 'p95LatencyMs', 'cpu'] as const;
export type KedaMetric = (typeof KEDA_METRICS)[number];

/** ScaledObject default. */
export const KEDA_DEFAULT_COOLDOWN_PERIOD_SECONDS = 300;

export interface KedaConfig {
  metric: KedaMetric;
  threshold: number;
  activationThreshold: number;
  ignoreNullValues: boolean;
  cooldownPeriodSeconds: number;
  tolerance: number;
  /** ScaledObject minReplicaCount (= the custom resource's minReplicas). */
  minReplicaCount: number;
  /** Needed for metric cpu only. */
  cpuRequestMillicores: number | null;
}

export class KedaPolicy implements ScalingPolicy {
  readonly name = 'keda';
  readonly defaultBehavior: ScalingBehavior = HPA_DEFAULT_BEHAVIOR;
  private lastActiveTimeMs: number | null = null;

  constructor(private readonly config: KedaConfig) {}

  recommend(obs: Observation, now: number): Recommendation {
    const { threshold, activationThreshold, cooldownPeriodSeconds } = this.config;
    const read = this.readValue(obs);
    if (read.value === null) {
      return { valid: false, reason: `trigger error: ${this.config.metric} returned no value and ignoreNullValues is false` };
    }
    const value = read.value;
    const isActive = value > activationThreshold;
    if (isActive) this.lastActiveTimeMs = now;
    const valueText = `${this.config.metric} ${fmt(value)}${read.nullAsZero ? ' (no value: 0)' : ''}`;
    const activity = `${isActive ? 'active' : 'inactive'} (${isActive ? '>' : '<='} activation ${activationThreshold})`;
    const current = obs.replicas;

    if (current === 0) {
      if (!isActive) return { valid: true, desiredReplicas: 0, reason: `${valueText} ${activity}: staying at zero` };
      // KEDA sets 1; the HPA then steps from 1.
      const desired = Math.max(
        1,
        hpaAverageValueReplicas({ total: value, targetAverageValue: threshold, currentReplicas: 1, tolerance: this.config.tolerance }),
      );
      return { valid: true, desiredReplicas: desired, reason: `${valueText} ${activity}: activating from zero → ${desired}` };
    }
    if (!isActive && this.config.minReplicaCount === 0) {
      const cooledDown = this.lastActiveTimeMs === null || this.lastActiveTimeMs + cooldownPeriodSeconds * 1000 < now;
      if (cooledDown) {
        const since = this.lastActiveTimeMs === null ? 'never active' : `inactive for over ${cooldownPeriodSeconds} s`;
        return { valid: true, desiredReplicas: 0, reason: `${valueText} ${activity}, ${since}: scaling to zero` };
      }
    }
    const hpaDesired = hpaAverageValueReplicas({
      total: value,
      targetAverageValue: threshold,
      currentReplicas: current,
      tolerance: this.config.tolerance,
    });
    const desired = Math.max(1, hpaDesired);
    return {
      valid: true,
      desiredReplicas: desired,
      reason: `${valueText} ${activity}; HPA AverageValue ${fmt(value)} / ${threshold} per replica → ${desired}`,
    };
  }

  reset(): void {
    this.lastActiveTimeMs = null;
  }

  dispose(): void {}

  private readValue(obs: Observation): { value: number | null; nullAsZero: boolean } {
    let value: number | null;
    switch (this.config.metric) {
      case 'rps':
        value = obs.rps;
        break;
      case 'inflight':
        value = obs.inflight;
        break;
      case 'p95LatencyMs':
        value = obs.p95LatencyMs;
        break;
      case 'cpu':
        value =
          obs.cpuPerReplica === null || obs.readyReplicas === null
            ? null
            : obs.cpuPerReplica * obs.readyReplicas * (this.config.cpuRequestMillicores as number);
        break;
    }
    if (value === null && this.config.ignoreNullValues) return { value: 0, nullAsZero: true };
    return { value, nullAsZero: false };
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

export const createKedaPolicy: PolicyFactory = async (spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('keda', spec.params);
  const metric = params.oneOf('metric', { values: KEDA_METRICS, default: 'rps' });
  const threshold = params.requiredNumber('threshold', { min: 0, minExclusive: true, max: Infinity });
  const activationThreshold = params.number('activationThreshold', { min: 0, max: Infinity, default: 0 });
  const ignoreNullValues = params.boolean('ignoreNullValues', { default: true });
  const cooldownPeriodSeconds = params.integer('cooldownPeriodSeconds', {
    min: 0,
    max: Infinity,
    default: KEDA_DEFAULT_COOLDOWN_PERIOD_SECONDS,
  });
  const tolerance = params.number('tolerance', { min: 0, max: 1, default: HPA_TOLERANCE });
  params.finish();
  let cpuRequestMillicores: number | null = null;
  if (metric === 'cpu') {
    const cpuCores = deps.resourceRequests?.cpuCores;
    if (cpuCores === undefined || !(cpuCores > 0)) {
      throw params.error('metric "cpu" needs the function\'s CPU request (spec.resources.requests.cpu), which is not set');
    }
    cpuRequestMillicores = cpuCores * 1000;
  }
  return new KedaPolicy({
    metric,
    threshold,
    activationThreshold,
    ignoreNullValues,
    cooldownPeriodSeconds,
    tolerance,
    minReplicaCount: deps.minReplicas,
    cpuRequestMillicores,
  });
};
