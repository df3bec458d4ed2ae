/**
 * One Observation builder for the operator, the simulator and the tests: a `FunctionMetricsWindow`
 * (what the batched PromQL, or the simulator, gives for one function over one window) becomes what
 * a policy sees. Missing inputs give `null` fields named in `missing`, never silent zeros.
 *
 * Named outcomes (STYLE.md §6):
 *   source null                  → the derived field is null (the window's problems say why)
 *   no request completed         → rps = 0 and requests = 0 are values; p95LatencyMs,
 *                                  meanExecutionMs and errorRate are null ("no requests completed
 *                                  in the window"), because a latency of nothing is undefined
 *   histogram_quantile NaN       → p95LatencyMs null (bucket layout without +Inf, or empty)
 *   no pods reporting            → cpuPerReplica and memoryPerReplica null
 *   started counter missing      → startedRps null (a problem line; not in `missing`, see types.ts)
 */
import { OBSERVATION_FIELDS } from './types.js';
import type { FunctionMetricsWindow, HistogramBucket, Observation, ObservationField, ResourceRequests } from './types.js';

/** The gateway's `gateway_functions_seconds` buckets in seconds (faas gateway/metrics/metrics.go), +Inf implied. */
export const GATEWAY_LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** The buckets by ascending `le`: the same array when they already are (as gathered), else a sorted copy. */
function sortedByLe(buckets: readonly HistogramBucket[]): readonly HistogramBucket[] {
  for (let i = 1; i < buckets.length; i++) if (buckets[i].le < buckets[i - 1].le) return [...buckets].sort((a, b) => a.le - b.le);
  return buckets;
}

/**
 * Prometheus' `histogram_quantile(q, buckets)` for one series group, with the semantics of
 * `bucketQuantile` in promql/quantile.go (checked against promtool 2.42 in the tests):
 *
 *  - q NaN → NaN; q < 0 → -Inf; q > 1 → +Inf (before any look at the buckets).
 *  - buckets are sorted by `le`; if the highest is not +Inf → NaN.
 *  - buckets with the same `le` are merged (counts added); counts that decrease are raised to the
 *    previous bucket's (forced monotonic, as after a counter reset inside a rate window).
 *  - fewer than two buckets, or no observations → NaN.
 *  - rank = q × total; the first bucket whose cumulative count ≥ rank holds the quantile, found
 *    among the finite buckets. If none does (the rank falls in the +Inf bucket), the answer is the
 *    upper bound of the highest finite bucket.
 *  - if that bucket is the first and its bound ≤ 0, the answer is its bound.
 *  - otherwise linear interpolation inside the bucket, from the previous bound (0 for the first
 *    bucket) to this one. So q = 0 with an empty first bucket gives NaN (0/0), as Prometheus does.
 */
export function histogramQuantile(q: number, buckets: readonly HistogramBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (buckets.length === 0) return Number.NaN;
  const sorted = sortedByLe(buckets);
  if (sorted[sorted.length - 1].le !== Number.POSITIVE_INFINITY) return Number.NaN;

  const merged: HistogramBucket[] = [];
  for (const bucket of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.le === bucket.le) last.count += bucket.count;
    else merged.push({ le: bucket.le, count: bucket.count });
  }
  for (let i = 1; i < merged.length; i++) {
    if (merged[i].count < merged[i - 1].count) merged[i].count = merged[i - 1].count;
  }
  if (merged.length < 2) return Number.NaN;
  const observations = merged[merged.length - 1].count;
  if (observations === 0) return Number.NaN;

  let rank = q * observations;
  let b = 0;
  while (b < merged.length - 1 && !(merged[b].count >= rank)) b++;
  if (b === merged.length - 1) return merged[merged.length - 2].le;
  if (b === 0 && merged[0].le <= 0) return merged[0].le;
  let bucketStart = 0;
  const bucketEnd = merged[b].le;
  let count = merged[b].count;
  if (b > 0) {
    bucketStart = merged[b - 1].le;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * The share of a window's requests slower than `sloMs` or failed, as far as the gateway's metrics
 * can tell: the histogram's share above the SLO — interpolated linearly inside the bucket that holds
 * it, as `histogram_quantile` does, with the +Inf bucket counted as above — or the share of non-200
 * responses when that is larger (a fast error is a miss the histogram puts below the SLO). So a
 * lower bound when slow successes and fast errors come together. Null without requests or
 * histogram.
 */
export function missRatio(window: Pick<FunctionMetricsWindow, 'latencyBuckets' | 'invocationsByCode'>, sloMs: number): number | null {
  const buckets = sortedByLe(window.latencyBuckets ?? []);
  const total = buckets.length > 0 ? buckets[buckets.length - 1].count : 0;
  if (!(total > 0)) return null;
  const slo = sloMs / 1000;
  let below = 0;
  let previous = { le: 0, count: 0 };
  for (const b of buckets) {
    if (b.le >= slo) {
      below =
        b.le === Number.POSITIVE_INFINITY
          ? previous.count
          : previous.count + (b.count - previous.count) * ((slo - previous.le) / (b.le - previous.le));
      break;
    }
    previous = b;
  }
  const histogramShare = Math.min(1, Math.max(0, (total - below) / total));
  let all = 0;
  for (const n of window.invocationsByCode?.values() ?? []) all += n;
  const errors = all - (window.invocationsByCode?.get('200') ?? 0);
  return Math.max(histogramShare, all > 0 ? errors / all : 0);
}

const NO_REQUESTS = 'no requests completed in the window';

/** The Observation a policy sees for one window; `requests` are the per-replica resource requests. */
export function buildObservation(window: FunctionMetricsWindow, requests: ResourceRequests): Observation {
  const problems: string[] = [...window.problems];
  const note = (field: ObservationField, why: string): void => {
    problems.push(`${field}: ${why}`);
  };

  let requestsDone: number | null = null;
  let errors: number | null = null;
  if (window.invocationsByCode !== null) {
    requestsDone = 0;
    errors = 0;
    for (const [code, n] of window.invocationsByCode) {
      requestsDone += n;
      if (!code.startsWith('2')) errors += n;
    }
  } else {
    note('rps', 'invocation counters missing');
    note('requests', 'invocation counters missing');
    note('errorRate', 'invocation counters missing');
  }
  const rps = requestsDone !== null && window.windowSeconds > 0 ? requestsDone / window.windowSeconds : null;
  if (requestsDone !== null && rps === null) note('rps', `window length ${window.windowSeconds} s`);
  let startedRps: number | null = null;
  if (window.invocationsStarted === null) problems.push('startedRps: invocation started counter missing');
  else if (!(window.windowSeconds > 0)) problems.push(`startedRps: window length ${window.windowSeconds} s`);
  else startedRps = window.invocationsStarted / window.windowSeconds;

  let errorRate: number | null = null;
  if (requestsDone !== null && errors !== null) {
    if (requestsDone > 0) errorRate = errors / requestsDone;
    else note('errorRate', NO_REQUESTS);
  }

  let p95LatencyMs: number | null = null;
  if (window.latencyBuckets === null) {
    note('p95LatencyMs', 'latency histogram missing');
  } else {
    const p95 = histogramQuantile(0.95, window.latencyBuckets);
    if (Number.isFinite(p95)) p95LatencyMs = p95 * 1000;
    else note('p95LatencyMs', totalObservations(window.latencyBuckets) === 0 ? NO_REQUESTS : `histogram_quantile gave ${p95}`);
  }

  let meanExecutionMs: number | null = null;
  if (window.latencySumSeconds === null || window.latencyCount === null) {
    note('meanExecutionMs', 'latency sum or count missing');
  } else if (window.latencyCount > 0) {
    meanExecutionMs = (window.latencySumSeconds / window.latencyCount) * 1000;
  } else {
    note('meanExecutionMs', 'no successful requests in the window');
  }

  const pods = window.podsReporting;
  const perPod = (value: number | null, request: number, field: ObservationField, what: string): number | null => {
    if (value === null) {
      note(field, `${what} missing`);
      return null;
    }
    if (pods === null || pods <= 0) {
      note(field, pods === null ? 'pods reporting unknown' : 'no pods reporting');
      return null;
    }
    return value / pods / request;
  };
  const cpuPerReplica = perPod(window.cpuCores, requests.cpuCores, 'cpuPerReplica', 'CPU usage');
  const memoryPerReplica = perPod(window.memoryBytes, requests.memoryBytes, 'memoryPerReplica', 'memory working set');

  if (window.readyReplicas === null) note('readyReplicas', 'ready replicas unknown');
  if (window.inflight === null) note('inflight', 'no inflight gauge (OpenFaaS CE has none)');

  const observation: Omit<Observation, 'missing' | 'problems'> = {
    functionName: window.functionName,
    windowSeconds: window.windowSeconds,
    rps,
    requests: requestsDone,
    startedRps,
    p95LatencyMs,
    meanExecutionMs,
    errorRate,
    replicas: window.replicas,
    readyReplicas: window.readyReplicas,
    cpuPerReplica,
    memoryPerReplica,
    inflight: window.inflight,
  };
  const missing = OBSERVATION_FIELDS.filter((field) => observation[field] === null);
  return { ...observation, missing, problems };
}

function totalObservations(buckets: readonly HistogramBucket[]): number {
  let max = 0;
  for (const b of buckets) if (b.count > max) max = b.count;
  return max;
}
