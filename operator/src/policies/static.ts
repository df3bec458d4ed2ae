/**
 * `static`: a fixed replica count, the provisioning baseline every autoscaler should beat on cost
 * or on latency. `replicas` defaults to the function's `minReplicas` (what faas-netes starts a
 * function at, `com.openfaas.scale.min`), so the result does not depend on where an episode starts.
 * A count outside [minReplicas, maxReplicas] is a config error rather than a value rails would
 * silently clamp. It declares no behaviour: the count is reached in one step, within the bounds.
 */
import { PolicyParams } from './params.js';
import type { Observation } from '../metrics/types.js';
import type { PolicyDeps, PolicyFactory, PolicySpec, Recommendation, ScalingPolicy } from './policy.js';

export class StaticPolicy implements ScalingPolicy {
  readonly name = 'static';

  constructor(private readonly replicas: number) {}

  recommend(_obs: Observation, _now: number): Recommendation {
    return { valid: true, desiredReplicas: this.replicas, reason: `static: ${this.replicas} replicas` };
  }

  reset(): void {}

  dispose(): void {}
}

export const createStaticPolicy: PolicyFactory = async (spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> => {
  const params = new PolicyParams('static', spec.params);
  const replicas = params.integer('replicas', { min: 0, max: Infinity, default: deps.minReplicas });
  params.finish();
  if (replicas < deps.minReplicas || replicas > deps.maxReplicas) {
    throw params.error(
      `param "replicas" must be within minReplicas..maxReplicas (${deps.minReplicas}..${deps.maxReplicas}), got ${replicas}`,
    );
  }
  return new StaticPolicy(replicas);
};
