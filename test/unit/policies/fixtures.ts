/** Small hand-written fakes for policy tests: an Observation with the fields a case sets, and deps. */
import { OBSERVATION_FIELDS } from '../../../operator/src/metrics/types.js';
import type { Observation } from '../../../operator/src/metrics/types.js';
import type { PolicyDeps, Recommendation } from '../../../operator/src/policies/policy.js';

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
