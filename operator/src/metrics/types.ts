/**
 * What one interval of one function looks like, in two forms:
 *
 *  - `FunctionMetricsWindow`: the raw numbers the batched PromQL queries return for one function
 *    over one window (increases of gateway counters and histogram buckets, cAdvisor CPU and memory,
 *    replica counts). The simulator emits exactly this shape too, so the one Observation builder
 *    (`observation.ts`) serves the operator, the simulator and the tests.
 *  - `Observation`: what a policy sees, derived from a window by `buildObservation`.
 *
 * Missing data is explicit: a field is `null` (never a silent 0) and is named in `missing`.
 */

/** One cumulative histogram bucket: observations with value <= `le` seconds (`le` may be +Inf). */
export interface HistogramBucket {
  le: number;
  count: number;
}

/**
 * Raw metrics of one function over one window, as the PromQL queries (or the simulator) give them.
 * Every field may be `null` when its series is absent, NaN or +Inf (the source decides that and
 * says why in `problems`).
 */
export interface FunctionMetricsWindow {
  /** `<name>.<namespace>`, the gateway's `function_name` label. */
  functionName: string;
  /** Window length in seconds (the range of `increase(...[w])`). */
  windowSeconds: number;
  /**
   * increase(gateway_function_invocation_total[w]) by code, codes ascending, e.g. "200" → 120,
   * "500" → 2. A Map, not a record: V8 stores a property named "200" set on an object in an array
   * of some 300 slots (2.6 KB per window).
   */
  invocationsByCode: ReadonlyMap<string, number> | null;
  /** increase(gateway_function_invocation_started[w]) — requests that entered the gateway. */
  invocationsStarted: number | null;
  /**
   * increase(gateway_functions_seconds_bucket[w]) by le, summed over codes, cumulative and sorted
   * by `le` ascending, ending with le=+Inf.
   */
  latencyBuckets: readonly HistogramBucket[] | null;
  /** increase(gateway_functions_seconds_sum{code="200"}[w]) in seconds. */
  latencySumSeconds: number | null;
  /** increase(gateway_functions_seconds_count{code="200"}[w]). */
  latencyCount: number | null;
  /** Mean of `gateway_function_invocation_inflight` over the window (OpenFaaS Pro only; CE lacks it). */
  inflight: number | null;
  /** rate(container_cpu_usage_seconds_total[w]) summed over the function's pods (by Deployment name, batched-metrics.ts), in cores. */
  cpuCores: number | null;
  /** container_memory_working_set_bytes summed over the function's pods at the end of the window. */
  memoryBytes: number | null;
  /** Number of pods that reported CPU/memory (cAdvisor series count). */
  podsReporting: number | null;
  /** Replicas the Deployment asks for (spec.replicas, or `gateway_service_count`). */
  replicas: number;
  /** Ready replicas (Deployment status.readyReplicas / gateway `availableReplicas`). */
  readyReplicas: number | null;
  /** Human-readable reasons for each null above, e.g. "prometheus-b: connection refused". */
  problems: readonly string[];
}

/** Per-replica resource requests used to turn CPU cores and bytes into fractions. */
/** Counts by status code as `FunctionMetricsWindow.invocationsByCode` holds them: codes ascending. */
export function byCodeAscending(entries: Iterable<readonly [string, number]>): Map<string, number> {
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface ResourceRequests {
  cpuCores: number;
  memoryBytes: number;
}

export const OBSERVATION_FIELDS = [
  'rps',
  'requests',
  'p95LatencyMs',
  'meanExecutionMs',
  'errorRate',
  'readyReplicas',
  'cpuPerReplica',
  'memoryPerReplica',
  'inflight',
] as const;
export type ObservationField = (typeof OBSERVATION_FIELDS)[number];

/** One interval of one function, as a policy sees it. */
export interface Observation {
  functionName: string;
  windowSeconds: number;
  /** Requests per second over the window (all status codes). */
  rps: number | null;
  /** Requests completed in the window (all status codes). */
  requests: number | null;
  /**
   * Requests per second that entered the gateway over the window
   * (`gateway_function_invocation_started`), whether or not they completed: the offered load,
   * which a saturated function's completions (`rps`) cannot show. Optional and not in
   * `OBSERVATION_FIELDS` (added later, backwards compatible): `undefined` where a builder does not
   * set it, `null` when the counter is missing (the reason is in `problems`).
   */
  startedRps?: number | null;
  /** P95 latency of the window in ms (histogram_quantile over the gateway buckets). */
  p95LatencyMs: number | null;
  /** Mean latency of successful requests in ms (sum/count of code 200), the paper's "execution time". */
  meanExecutionMs: number | null;
  /** Fraction of requests in the window with a non-2xx code. */
  errorRate: number | null;
  /** Replicas asked for; always known (the actuator's own view). */
  replicas: number;
  readyReplicas: number | null;
  /** Mean CPU per reporting replica as a fraction of the CPU request (1.0 = at request). */
  cpuPerReplica: number | null;
  /** Mean memory per reporting replica as a fraction of the memory request. */
  memoryPerReplica: number | null;
  /** Mean requests in flight (Pro gauge or simulator); null where the gateway does not export it. */
  inflight: number | null;
  /** Fields that are null, and why (from the window's problems). */
  missing: readonly ObservationField[];
  problems: readonly string[];
}
