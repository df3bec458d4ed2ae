/** Small hand-written fakes for policy tests: an Observation with the fields a case sets, and deps. */
import { OBSERVATION_FIELDS } from '../../../operator/src/metrics/types.js';
import type { Observation } from '../../../operator/src/metrics/types.js';
import type { PolicyDeps, Recommendation, ScalingPolicy } from '../../../operator/src/policies/policy.js';

/** One 30-s window of `fn.openfaas-fn`; fields left out are quiet (0) but known; `missing` follows the nulls. */
export function observation(fields: Partial<Observation>): Observation {
  const obs: Observation = {
    functionName: 'fn.openfaas-fn',
    windowSeconds: 30,
    rps: 0,
    requests: 0,
    p95LatencyMs: null,
    meanExecutionMs: null,
    errorRate: null,
    replicas: 1,
    readyReplicas: 1,
    cpuPerReplica: 0,
    memoryPerReplica: 0,
    inflight: 0,
    missing: [],
    problems: [],
    ...fields,
  };
  return { ...obs, missing: OBSERVATION_FIELDS.filter((field) => obs[field] === null) };
}

export function deps(overrides: Partial<PolicyDeps> = {}): PolicyDeps {
  return { minReplicas: 1, maxReplicas: 20, sloP95Ms: 500, intervalSeconds: 30, ...overrides };
}

/** The desired count, or "invalid: <reason>", so a table's want reads in one column. */
export function outcome(rec: Recommendation): number | string {
  return rec.valid ? rec.desiredReplicas : `invalid: ${rec.reason}`;
}

/** One scripted decision of a stateful policy: at `atSeconds`, this observation, want this outcome. */
export interface Step {
  atSeconds: number;
  obs: Partial<Observation>;
  /** The desired count, or a pattern the invalid reason must match. */
  want: number | RegExp;
  /** A fragment the reason must contain. */
  wantReason?: string;
}

/** Feeds `steps` to `policy` in order (time scripted), checking each outcome. */
export function runSteps(policy: ScalingPolicy, steps: readonly Step[]): void {
  for (const step of steps) {
    const got = policy.recommend(observation(step.obs), step.atSeconds * 1000);
    const at = `t=${step.atSeconds}s`;
    if (typeof step.want === 'number') {
      expect({ at, desired: got.valid ? got.desiredReplicas : got.reason }).toEqual({ at, desired: step.want });
    } else {
      expect({ at, got }).toEqual({ at, got: { valid: false, reason: expect.stringMatching(step.want) } });
    }
    if (step.wantReason) expect({ at, reason: got.reason }).toEqual({ at, reason: expect.stringContaining(step.wantReason) });
  }
}
