/**
 * The `evaluate --json` schema (issue "Foundation", one object per policy; rates are fractions)
 * and the per-interval series the HTML report draws.
 */

export interface PolicyResult {
  policy: string;
  requests: number;
  errors: number;
  intervals: number;
  /** Intervals whose P95 (of the requests completed in it; errors count as +Inf) exceeds the SLO. */
  sloViolationRate: number;
  /** Requests slower than the SLO; errors and timeouts count as over. */
  requestsOverSloRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  replicaSeconds: number;
  meanReplicas: number;
  maxReplicas: number;
  scaleActions: number;
  coldStarts: number;
}

export interface EvaluationRun {
  trace: string;
  function: string;
  sloP95Ms: number;
  intervalSeconds: number;
  simulatedSeconds: number;
  seed: number;
  results: PolicyResult[];
}

/** One interval of one policy's run, as the report draws it. */
export interface SeriesPoint {
  /** Seconds since the start of the run, at the end of the interval. */
  timeSeconds: number;
  /** Offered load: arrivals in the interval divided by its length. */
  rps: number;
  replicas: number;
  readyReplicas: number;
  /** Exact P95 of requests completed in the interval (ms); null when none completed; +Inf when errors dominate. */
  p95Ms: number | null;
}

export interface PolicySeries {
  policy: string;
  points: SeriesPoint[];
}
