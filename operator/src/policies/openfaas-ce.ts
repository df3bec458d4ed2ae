/**
 * `openfaas-ce`: the alert-driven autoscaler of OpenFaaS Community Edition.
 *
 * The reference is a chain: Prometheus evaluates the rule `APIHighInvocationRate`,
 *   sum(rate(gateway_function_invocation_total{code="200"}[10s])) BY (function_name) > 5, for: 5s
 * Alertmanager (group_wait 5 s, group_interval 10 s, repeat_interval 30 s, send_resolved) posts
 * the alert to the gateway's `/system/alert`, and the gateway's `CalculateReplicas` sets
 *   firing:   min(current + ⌈max / 100 × factor⌉, max)     (a step of 0 falls through to "resolved")
 *   resolved: min
 * with the function's labels `com.openfaas.scale.min` 1, `.max` 5, `.factor` 10 (gateway code;
 * the docs say 20).
 *
 * One decision per interval stands for that chain (docs/policies.md):
 *  - the 10-s rate is the window's code-200 rate, rps × (1 − errorRate): the window average, not
 *    the peak 10 s inside it;
 *  - `for: 5s` is shorter than an interval, so an interval above the threshold fires at once (the
 *    pending state collapses);
 *  - while the alert stays firing Alertmanager repeats it every 30 s (repeat_interval), i.e. one
 *    step per 30-s interval; a change of state goes out within group_wait/group_interval (≤ 10 s),
 *    i.e. inside the same interval;
 *  - the alert resolves at the first interval at or under the threshold, which sends the
 *    function to `scaleMin`; while inactive nothing is sent and the count is kept.
 * The CE gateway also clamps requests to 1..5 and rejects 0; the function's min/max bounds are
 * rails' (the custom resource's `minReplicas`/`maxReplicas`). No rate limits or stabilization:
 * the chain itself is the only pacing.
 */
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

/** The rule's threshold: requests per second of code 200. */
export const CE_ALERT_RPS_THRESHOLD = 5;
export const CE_DEFAULT_SCALE_MIN = 1;
export const CE_DEFAULT_SCALE_MAX = 5;
/** `gateway/scaling/ranges.go` DefaultScalingFactor (the docs say 20; the code says 10). */
export const CE_DEFAULT_SCALE_FACTOR = 10;

/** The gateway's `CalculateReplicas`, with Go's evaluation order (max / 100 × factor). */
export function ceCalculateReplicas(args: {
  status: 'firing' | 'resolved';
  currentReplicas: number;
  maxReplicas: number;
  minReplicas: number;
  scalingFactor: number;
}): number {
  const step = Math.ceil((args.maxReplicas / 100) * args.scalingFactor);
  if (args.status === 'firing' && step > 0) {
    return args.currentReplicas + step > args.maxReplicas ? args.maxReplicas : args.currentReplicas + step;
  }
  return args.minReplicas;
}

export class OpenFaasCePolicy implements ScalingPolicy {
  readonly name = 'openfaas-ce';
  readonly defaultBehavior: ScalingBehavior = {};
  private firing = false;

  constructor(private readonly labels: { scaleMin: number; scaleMax: number; scaleFactor: number }) {}

  recommend(obs: Observation, _now: number): Recommendation {
    const rate = successRate(obs);
    if (rate === null) {
      // Without the counter we cannot tell a quiet function from a broken scrape: keep the scale.
      return { valid: false, reason: obs.rps === null ? 'request rate missing' : 'error rate missing: code-200 rate unknown' };
    }
    const above = rate > CE_ALERT_RPS_THRESHOLD;
    const rateText = `${rate.toFixed(2)} rps of code 200 ${above ? '>' : '<='} ${CE_ALERT_RPS_THRESHOLD}`;
    if (above) {
      this.firing = true;
      const desired = ceCalculateReplicas({ status: 'firing', currentReplicas: obs.replicas, ...this.calcLabels() });
      return { valid: true, desiredReplicas: desired, reason: `APIHighInvocationRate firing (${rateText}): ${obs.replicas} → ${desired}` };
    }
    if (this.firing) {
      this.firing = false;
      const desired = ceCalculateReplicas({ status: 'resolved', currentReplicas: obs.replicas, ...this.calcLabels() });
      return { valid: true, desiredReplicas: desired, reason: `APIHighInvocationRate resolved (${rateText}): back to min ${desired}` };
    }
    return { valid: true, desiredReplicas: obs.replicas, reason: `alert inactive (${rateText}): nothing sent, keeping ${obs.replicas}` };
  }

  reset(): void {
    this.firing = false;
  }

  dispose(): void {}

  private calcLabels(): { maxReplicas: number; minReplicas: number; scalingFactor: number } {
    return { maxReplicas: this.labels.scaleMax, minReplicas: this.labels.scaleMin, scalingFactor: this.labels.scaleFactor };
  }
}

/** The code-200 rate of the window. With no requests, 0 (the error rate of nothing is undefined). */
function successRate(obs: Observation): number | null {
  if (obs.rps === null) return null;
  if (obs.rps === 0) return 0;
  if (obs.errorRate === null) return null;
  return obs.rps * (1 - obs.errorRate);
}

export const createOpenFaasCePolicy: PolicyFactory = async (spec: PolicySpec, _deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('openfaas-ce', spec.params);
  // CE rejects 0 replicas ("replicas cannot be set to 0 in OpenFaaS CE").
  const scaleMin = params.integer('scaleMin', { min: 1, max: Infinity, default: CE_DEFAULT_SCALE_MIN });
  const scaleMax = params.integer('scaleMax', { min: 1, max: Infinity, default: CE_DEFAULT_SCALE_MAX });
  // faas-netes accepts factors 0..100 (0 disables the step; a firing alert then acts as resolved).
  const scaleFactor = params.integer('scaleFactor', { min: 0, max: 100, default: CE_DEFAULT_SCALE_FACTOR });
  params.finish();
  if (scaleMin > scaleMax) throw params.error(`param "scaleMin" (${scaleMin}) must be <= "scaleMax" (${scaleMax})`);
  return new OpenFaasCePolicy({ scaleMin, scaleMax, scaleFactor });
};
