/**
 * `oracle` (simulator only): sees the coming arrivals and service demands through the simulator's
 * `Lookahead` and asks for the fewest replicas that keep the SLO, allowing for cold starts (the
 * horizon is explained in sim/lookahead.ts). Its replica-seconds are the lower bound every policy
 * is measured against at that SLO. When even `maxReplicas` cannot keep the SLO it asks for
 * `maxReplicas`. It declares no stabilization and no rate limit, so the rails apply only the bounds:
 * a smoothed oracle would no longer be a bound.
 */
import type { Observation } from '../metrics/types.js';
import type { ScalingBehavior } from '../rails/types.js';
import {
  PolicyConfigError,
  type Lookahead,
  type PolicyDeps,
  type PolicyFactory,
  type PolicySpec,
  type Recommendation,
  type ScalingPolicy,
} from './policy.js';

const UNLIMITED = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [] } as const;

export class OraclePolicy implements ScalingPolicy {
  readonly name = 'oracle';
  readonly defaultBehavior: ScalingBehavior = { scaleUp: UNLIMITED, scaleDown: UNLIMITED };

  constructor(
    private readonly lookahead: Lookahead,
    private readonly deps: Pick<PolicyDeps, 'minReplicas' | 'maxReplicas' | 'sloP95Ms'>,
  ) {}

  recommend(_obs: Observation, _now: number): Recommendation {
    const { minReplicas, maxReplicas, sloP95Ms } = this.deps;
    const fewest = this.lookahead.fewestReplicasMeetingSlo({ floor: minReplicas, ceiling: maxReplicas, sloP95Ms });
    if (fewest === null) {
      return {
        valid: true,
        desiredReplicas: maxReplicas,
        reason: `oracle: even ${maxReplicas} replicas miss the ${sloP95Ms} ms P95 SLO ahead; asking for the maximum`,
      };
    }
    return {
      valid: true,
      desiredReplicas: fewest,
      reason: `oracle: ${fewest} replicas are the fewest that keep P95 <= ${sloP95Ms} ms ahead`,
    };
  }

  reset(): void {}

  dispose(): void {}
}

export const createOraclePolicy: PolicyFactory = async (spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> => {
  const keys = Object.keys(spec.params ?? {});
  if (keys.length > 0) throw new PolicyConfigError(`policy "oracle": takes no params, got ${keys.map((k) => `"${k}"`).join(', ')}`);
  if (deps.lookahead === undefined) {
    throw new PolicyConfigError(
      'policy "oracle": runs only in the simulator (evaluate, train), which gives it a lookahead of the coming arrivals; it cannot run in the operator',
    );
  }
  return new OraclePolicy(deps.lookahead, deps);
};
