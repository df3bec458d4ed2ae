/**
 * `openfaas-pro`: the OpenFaaS Pro autoscaler (closed source; from its documentation and labels).
 *
 *   desired = ⌈ready × (mean load per pod / (target × targetProportion))⌉, clamped to [min, max]
 *
 * with `com.openfaas.scale.type` choosing the load:
 *  - rps:      sum(rate(gateway_function_invocation_total[30s]))  → the Observation's `rps`
 *  - capacity: max_over_time(gateway_function_invocation_inflight[45s:5s]) → `inflight` (the
 *              window *mean*: the Observation has no peak, so bursts inside a window count less)
 *  - cpu:      irate(pod_cpu_usage_seconds_total[1m]) × 1000 per pod, millicores →
 *              `cpuPerReplica` × the CPU request (from `deps.resourceRequests`; see below)
 * For rps and capacity the load is a function total, so ready × (total / ready) = total and the
 * formula needs no ready count (it also holds at 0 ready pods).
 *
 * Labels: `.target` 50, `.target-proportion` 0.90, `.min` 1, `.max` 20, `com.openfaas.scale.down.window`
 * (≤ 5 m, off by default): scale down only to the highest recommendation in the window — exactly
 * a scale-down stabilization window, so it is declared as `defaultBehavior` and rails carry it out.
 * Pro has no rate limits. `.min`/`.max` are Pro's own labels and clamp here; the custom resource's
 * minReplicas/maxReplicas still bound the result in rails (the tighter wins). Scale to zero
 * (`.zero`, `.zero-duration`) is not modelled.
 *
 * Why the CPU request comes from `deps` and not from a param or a new Observation field: the
 * Observation keeps every policy in the same units (fractions of the request), and the request is
 * a property of the function already in the custom resource (`spec.resources.requests.cpu`) and
 * used to build the Observation; a param would be a second copy that can drift from it.
 */
import { UNLIMITED_RULES } from '../rails/behavior.js';
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

export const PRO_SCALE_TYPES = ['rps', 'capacity', 'cpu'] as const;
export type ProScaleType = (typeof PRO_SCALE_TYPES)[number];

export interface OpenFaasProConfig {
  type: ProScaleType;
  /** Load per replica: rps, in-flight requests, or CPU millicores. */
  target: number;
  targetProportion: number;
  scaleMin: number;
  scaleMax: number;
  scaleDownWindowSeconds: number;
  /** Needed for type cpu only. */
  cpuRequestMillicores: number | null;
}

export class OpenFaasProPolicy implements ScalingPolicy {
  readonly name = 'openfaas-pro';
  readonly defaultBehavior: ScalingBehavior;

  constructor(private readonly config: OpenFaasProConfig) {
    this.defaultBehavior = {
      scaleUp: UNLIMITED_RULES,
      scaleDown: { ...UNLIMITED_RULES, stabilizationWindowSeconds: config.scaleDownWindowSeconds },
    };
  }

  recommend(obs: Observation, _now: number): Recommendation {
    const { type, target, targetProportion, scaleMin, scaleMax } = this.config;
    const perReplica = target * targetProportion;
    let rawDesired: number;
    let load: string;
    switch (type) {
      case 'rps':
        if (obs.rps === null) return { valid: false, reason: 'request rate missing' };
        rawDesired = Math.ceil(obs.rps / perReplica);
        load = `${obs.rps.toFixed(2)} rps`;
        break;
      case 'capacity':
        if (obs.inflight === null) return { valid: false, reason: 'in-flight requests missing (OpenFaaS CE exports none)' };
        rawDesired = Math.ceil(obs.inflight / perReplica);
        load = `${obs.inflight.toFixed(2)} in flight`;
        break;
      case 'cpu': {
        if (obs.cpuPerReplica === null) return { valid: false, reason: 'CPU usage missing' };
        if (obs.readyReplicas === null) return { valid: false, reason: 'ready replicas unknown' };
        const millicoresPerPod = obs.cpuPerReplica * (this.config.cpuRequestMillicores as number);
        rawDesired = Math.ceil((obs.readyReplicas * millicoresPerPod) / perReplica);
        load = `${obs.readyReplicas} ready × ${millicoresPerPod.toFixed(0)}m CPU`;
        break;
      }
    }
    const desired = Math.min(Math.max(rawDesired, scaleMin), scaleMax);
    const clamp = desired !== rawDesired ? ` (${rawDesired} clamped to ${scaleMin}..${scaleMax})` : '';
    return {
      valid: true,
      desiredReplicas: desired,
      reason: `${type}: ${load} / (${target} × ${targetProportion} per replica) → ${desired}${clamp}`,
    };
  }

  reset(): void {}

  dispose(): void {}
}

export const createOpenFaasProPolicy: PolicyFactory = async (spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('openfaas-pro', spec.params);
  const type = params.oneOf('type', { values: PRO_SCALE_TYPES, default: 'rps' });
  const target = params.number('target', { min: 0, minExclusive: true, max: Infinity, default: 50 });
  const targetProportion = params.number('targetProportion', { min: 0, minExclusive: true, max: 1, default: 0.9 });
  const scaleMin = params.integer('scaleMin', { min: 1, max: Infinity, default: 1 });
  const scaleMax = params.integer('scaleMax', { min: 1, max: Infinity, default: 20 });
  // com.openfaas.scale.down.window: at most 5 minutes; 0 = off (the default).
  const scaleDownWindowSeconds = params.integer('scaleDownWindowSeconds', { min: 0, max: 300, default: 0 });
  params.finish();
  if (scaleMin > scaleMax) throw params.error(`param "scaleMin" (${scaleMin}) must be <= "scaleMax" (${scaleMax})`);
  let cpuRequestMillicores: number | null = null;
  if (type === 'cpu') {
    const cpuCores = deps.resourceRequests?.cpuCores;
    if (cpuCores === undefined || !(cpuCores > 0)) {
      throw params.error('type "cpu" needs the function\'s CPU request (spec.resources.requests.cpu), which is not set');
    }
    cpuRequestMillicores = cpuCores * 1000;
  }
  return new OpenFaasProPolicy({ type, target, targetProportion, scaleMin, scaleMax, scaleDownWindowSeconds, cpuRequestMillicores });
};
