/**
 * `knative`: the Knative Pod Autoscaler (KPA), from Knative Serving `pkg/autoscaler/scaling/autoscaler.go`
 * (`Scale`) and `pkg/autoscaler/aggregation` (windowed averages).
 *
 *   target = max(0.01, total × utilization), total = containerConcurrency (0 → 100) or 200 rps
 *   stable = average of the metric over the stable window (60 s); panic = over the panic window
 *            (10 % of it, 6 s)
 *   desiredStable = ⌈stable / target⌉, desiredPanic = ⌈panic / target⌉
 *   panic starts when desiredPanic / max(1, ready) ≥ 2 (200 %); every tick still over the
 *   threshold moves the panic time forward; panic ends at the first tick under the threshold a
 *   full stable window after the last one over it. In panic the count is max(desiredStable,
 *   desiredPanic) and never goes down (the highest count of this panic is kept).
 *
 * The rates (at most ×1000 up, ÷2 down per evaluation) are not applied here: `defaultBehavior`
 * declares them as Percent policies (+99 900 %, −50 %) over Knative's 2-s tick, and rails apply
 * them relative to the current count (Knative: relative to max(1, ready pods); the same once pods
 * are ready). Scale-down delay, scale-to-zero grace (30 s) and the activator are not modelled.
 *
 * Granularity: the KPA evaluates every 2 s on per-second buckets; here one Observation per
 * interval (30 s) covers [now − window, now]. Averages weigh each observation by its overlap with
 * the averaging window and divide by the time covered since the first observation (Knative's
 * `WindowAverage`, where an idle gap counts as zero). The 6-s panic window lies inside the latest
 * 30-s observation, so the panic value is that observation's mean: a burst shorter than an
 * interval is averaged over the whole interval. That is the limit of 30-s observations.
 *
 * Metric "concurrency" reads `inflight` (mean requests in flight); where the gateway does not
 * export it (OpenFaaS CE) it uses Little's law, rps × mean latency. A missing metric keeps the
 * scale (Knative's ErrNoData) and is not recorded.
 */
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

export const KNATIVE_METRICS = ['concurrency', 'rps'] as const;
export type KnativeMetric = (typeof KNATIVE_METRICS)[number];

/** config-autoscaler defaults. */
export const KNATIVE_CONTAINER_CONCURRENCY_TARGET_DEFAULT = 100;
export const KNATIVE_RPS_TARGET_DEFAULT = 200;
/** autoscaling.TargetMin */
const TARGET_MIN = 0.01;
/** The KPA's evaluation tick; the period of the scale rates. */
export const KNATIVE_TICK_SECONDS = 2;

export interface KnativeConfig {
  metric: KnativeMetric;
  /** Per-pod target before utilization: containerConcurrency (0 → 100), or 200 rps, or the `target` param. */
  totalTarget: number;
  targetUtilization: number;
  stableWindowSeconds: number;
  panicWindowPercentage: number;
  panicThresholdPercentage: number;
  maxScaleUpRate: number;
  maxScaleDownRate: number;
}

interface WindowedValue {
  startMs: number;
  endMs: number;
  value: number;
}

/** Knative's scale rates as rails policies, per 2-s tick (so one step per decision here). */
export function knativeBehavior(maxScaleUpRate: number, maxScaleDownRate: number): ScalingBehavior {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: (maxScaleUpRate - 1) * 100, periodSeconds: KNATIVE_TICK_SECONDS }],
    },
    scaleDown: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: (1 - 1 / maxScaleDownRate) * 100, periodSeconds: KNATIVE_TICK_SECONDS }],
    },
  };
}

export class KnativePolicy implements ScalingPolicy {
  readonly name = 'knative';
  readonly defaultBehavior: ScalingBehavior;
  private readonly target: number;
  private history: WindowedValue[] = [];
  private firstWriteMs: number | null = null;
  /** Zero-time in Knative: 0 = not panicking. */
  private panicTimeMs: number | null = null;
  private maxPanicPods = 0;

  constructor(private readonly config: KnativeConfig) {
    this.target = Math.max(TARGET_MIN, config.totalTarget * config.targetUtilization);
    this.defaultBehavior = knativeBehavior(config.maxScaleUpRate, config.maxScaleDownRate);
  }

  recommend(obs: Observation, now: number): Recommendation {
    if (obs.readyReplicas === null) return { valid: false, reason: 'ready pod count unknown' };
    const metric = this.readMetric(obs);
    if (metric.value === null) return { valid: false, reason: `no data to scale on: ${metric.source}` };
    this.record(obs, metric.value, now);

    const stableWindowMs = this.config.stableWindowSeconds * 1000;
    const panicWindowMs = (stableWindowMs * this.config.panicWindowPercentage) / 100;
    const observedStable = this.windowAverage(now, stableWindowMs);
    const observedPanic = this.windowAverage(now, panicWindowMs) ?? 0;
    if (observedStable === null) return { valid: false, reason: 'no data in the stable window' };

    const readyPodsCount = Math.max(1, obs.readyReplicas);
    const desiredStable = Math.ceil(observedStable / this.target);
    const desiredPanic = Math.ceil(observedPanic / this.target);
    const isOverPanicThreshold = desiredPanic / readyPodsCount >= this.config.panicThresholdPercentage / 100;

    let transition = '';
    if (this.panicTimeMs === null && isOverPanicThreshold) {
      this.panicTimeMs = now;
      transition = 'entering panic; ';
    } else if (isOverPanicThreshold) {
      this.panicTimeMs = now;
    } else if (this.panicTimeMs !== null && this.panicTimeMs + stableWindowMs < now) {
      // The surge has made its way into the stable window.
      this.panicTimeMs = null;
      this.maxPanicPods = 0;
      transition = 'leaving panic; ';
    }

    const values = `${metric.source} stable ${fmt(observedStable)}, panic ${fmt(observedPanic)}, target ${fmt(this.target)}/pod`;
    if (this.panicTimeMs === null) {
      return { valid: true, desiredReplicas: desiredStable, reason: `${transition}stable mode: ${values} → ${desiredStable}` };
    }
    // Provision for whichever window asks more, and never scale down while panicking.
    const desired = Math.max(desiredStable, desiredPanic);
    if (desired > this.maxPanicPods) this.maxPanicPods = desired;
    const held = desired < this.maxPanicPods ? ` (holding ${this.maxPanicPods}, no scale-down in panic)` : '';
    return { valid: true, desiredReplicas: this.maxPanicPods, reason: `${transition}panic mode: ${values} → ${this.maxPanicPods}${held}` };
  }

  reset(): void {
    this.history = [];
    this.firstWriteMs = null;
    this.panicTimeMs = null;
    this.maxPanicPods = 0;
  }

  dispose(): void {}

  private readMetric(obs: Observation): { value: number | null; source: string } {
    if (this.config.metric === 'rps') return { value: obs.rps, source: 'rps' };
    if (obs.inflight !== null) return { value: obs.inflight, source: 'concurrency' };
    if (obs.rps === 0) return { value: 0, source: 'concurrency (no requests)' };
    if (obs.rps !== null && obs.meanExecutionMs !== null) {
      return { value: (obs.rps * obs.meanExecutionMs) / 1000, source: 'concurrency (rps × mean latency)' };
    }
    return { value: null, source: 'neither in-flight requests nor rate and latency' };
  }

  private record(obs: Observation, value: number, now: number): void {
    const startMs = now - obs.windowSeconds * 1000;
    if (this.firstWriteMs === null) this.firstWriteMs = startMs;
    const keepAfter = now - this.config.stableWindowSeconds * 1000;
    this.history = this.history.filter((entry) => entry.endMs > keepAfter);
    this.history.push({ startMs, endMs: now, value });
  }

  /** Time-weighted mean over [now − window, now], over the part covered since the first write. */
  private windowAverage(now: number, windowMs: number): number | null {
    const windowStart = now - windowMs;
    let weighted = 0;
    let any = false;
    for (const entry of this.history) {
      const overlap = Math.min(entry.endMs, now) - Math.max(entry.startMs, windowStart);
      if (overlap > 0) {
        weighted += entry.value * overlap;
        any = true;
      }
    }
    if (!any || this.firstWriteMs === null) return null;
    const coveredMs = now - Math.max(windowStart, this.firstWriteMs);
    return weighted / coveredMs;
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

export const createKnativePolicy: PolicyFactory = async (spec: PolicySpec, _deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('knative', spec.params);
  const metric = params.oneOf('metric', { values: KNATIVE_METRICS, default: 'concurrency' });
  // autoscaling.knative.dev/* bounds from Knative's validation.
  const containerConcurrency = params.integer('containerConcurrency', { min: 0, max: 1000, default: 0 });
  const target = params.optionalNumber('target', { min: TARGET_MIN, max: Infinity });
  const targetUtilizationPercentage = params.number('targetUtilizationPercentage', { min: 1, max: 100, default: 70 });
  const stableWindowSeconds = params.integer('stableWindowSeconds', { min: 6, max: 3600, default: 60 });
  const panicWindowPercentage = params.number('panicWindowPercentage', { min: 1, max: 100, default: 10 });
  const panicThresholdPercentage = params.number('panicThresholdPercentage', { min: 110, max: 1000, default: 200 });
  const maxScaleUpRate = params.number('maxScaleUpRate', { min: 1, minExclusive: true, max: Infinity, default: 1000 });
  const maxScaleDownRate = params.number('maxScaleDownRate', { min: 1, minExclusive: true, max: Infinity, default: 2 });
  params.finish();

  // ResolveMetricTarget: the annotation target wins, capped by a hard containerConcurrency.
  let totalTarget = metric === 'rps' ? KNATIVE_RPS_TARGET_DEFAULT : containerConcurrency || KNATIVE_CONTAINER_CONCURRENCY_TARGET_DEFAULT;
  if (target !== undefined) {
    totalTarget = metric === 'concurrency' && containerConcurrency !== 0 ? Math.min(target, containerConcurrency) : target;
  }
  return new KnativePolicy({
    metric,
    totalTarget,
    targetUtilization: targetUtilizationPercentage / 100,
    stableWindowSeconds,
    panicWindowPercentage,
    panicThresholdPercentage,
    maxScaleUpRate,
    maxScaleDownRate,
  });
};
