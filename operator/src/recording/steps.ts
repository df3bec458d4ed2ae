/**
 * From the raw per-series values of one chunk to one record per step per function. Index 0 of a
 * chunk is the step before its first one (so every step has a previous value); the records are
 * steps 1..n.
 *
 * Named outcomes for a counter series s of a function at step j (STYLE.md §6):
 *
 *   s present at j and j−1, v_j ≥ v_{j−1}   increase v_j − v_{j−1}
 *   s present at j and j−1, v_j < v_{j−1}   counter reset: increase v_j (counted from 0, as
 *                                           Prometheus' increase() does), noted
 *   s present at j only, its target had a    a series created in the step (new pod, first request
 *     fresh scrape at j−1                    with a new code, a restarted gateway): increase v_j,
 *                                           noted
 *   s present at j only, its target had no   a gap in the scrapes: the increase covers an unknown
 *     fresh scrape at j−1 (or was down)      span → the field is null ("gap")
 *   its target was not scraped again since   a gap (Prometheus stopped: it repeats the last sample
 *     j−1                                    until maxSampleAge) → null ("gap: no new scrape")
 *   NaN / ±Inf at j or j−1                   the field is null, with the series named
 *   no series of the function at j           null: "no series" (never a silent 0), or "gap" when
 *                                           the source had no scrape at all at j
 *
 * Gauges: the sum of the series present at j (memory over pods); a gauge that must be one series
 * (replicas) is null with "several series" when it is not, as in the operator's batched queries.
 */
import type { RangeSeries } from '../metrics/prometheus.js';
import type { HistogramBucket } from '../metrics/types.js';
import type { RecordField, RecordingRecord } from './format.js';
import { seriesFunction, type QueryKey, type QuerySpec } from './queries.js';

/** One series aligned to the chunk's step grid. */
export interface AlignedSeries {
  labels: Readonly<Record<string, string>>;
  present: Uint8Array;
  values: Float64Array;
}

/** Places a range query's series on the grid start, start+step, ... (n+1 points). */
export function alignSeries(series: readonly RangeSeries[], startMs: number, stepMs: number, points: number): AlignedSeries[] {
  return series.map((s) => {
    const present = new Uint8Array(points);
    const values = new Float64Array(points);
    for (let i = 0; i < s.timesMs.length; i++) {
      const j = Math.round((s.timesMs[i] - startMs) / stepMs);
      if (j < 0 || j >= points) continue;
      present[j] = 1;
      values[j] = s.values[i];
    }
    return { labels: s.labels, present, values };
  });
}

/**
 * Scrape health of the targets (job, instance) at each point of the chunk, from the time of their
 * last successful scrape (`upQuery`).
 */
export class TargetHealth {
  private readonly up = new Map<string, AlignedSeries>();
  /** Jobs whose scrape times were fetched (series from other jobs have nothing to go by). */
  private readonly jobs: Set<string>;

  constructor(
    upSeries: readonly AlignedSeries[],
    jobs: Iterable<string>,
    /** Time (ms) of point j is startMs + j × stepMs. */
    private readonly grid: { startMs: number; stepMs: number; maxSampleAgeMs: number },
  ) {
    this.jobs = new Set(jobs);
    for (const s of upSeries) this.up.set(targetKey(s.labels), s);
  }

  private known(labels: Readonly<Record<string, string>>): boolean {
    return labels.job !== undefined && this.jobs.has(labels.job);
  }

  /** Last successful scrape (ms) of the target at or before point j, if any. */
  private scrapeMs(labels: Readonly<Record<string, string>>, j: number): number | undefined {
    const s = this.up.get(targetKey(labels));
    return s !== undefined && s.present[j] === 1 ? s.values[j] * 1000 : undefined;
  }

  /**
   * Whether the target had a successful scrape no older than maxSampleAge at point j. Series
   * without a job label (federated, recording rules) have nothing to go by and count as fresh.
   */
  fresh(labels: Readonly<Record<string, string>>, j: number): boolean {
    if (!this.known(labels)) return true;
    const ms = this.scrapeMs(labels, j);
    return ms !== undefined && this.grid.startMs + j * this.grid.stepMs - ms <= this.grid.maxSampleAgeMs;
  }

  /**
   * Whether the difference of a series from point j−1 to j is new data: the target had a fresh
   * scrape at both points, and a later one at j. (After a gap, j−1 holds the value from before the
   * gap, so the difference would lump the whole gap into one step.)
   */
  advanced(labels: Readonly<Record<string, string>>, j: number): boolean {
    if (!this.known(labels)) return true;
    const now = this.scrapeMs(labels, j);
    const before = this.scrapeMs(labels, j - 1);
    return now !== undefined && before !== undefined && this.fresh(labels, j) && this.fresh(labels, j - 1) && now > before;
  }

  /** Whether any target of these jobs had a fresh scrape at point j (false: Prometheus itself was not scraping). */
  anyFreshAt(jobs: Iterable<string>, j: number): boolean {
    const wanted = new Set(jobs);
    if (wanted.size === 0 || this.jobs.size === 0) return true;
    for (const s of this.up.values()) if (wanted.has(s.labels.job) && this.fresh(s.labels, j)) return true;
    return false;
  }
}

function targetKey(labels: Readonly<Record<string, string>>): string {
  return `${labels.job ?? ''}\u0000${labels.instance ?? ''}`;
}

/** The result of one field at one step: a value, or null with the reason. */
export type FieldValue = { value: number; notes: string[] } | { value: null; reason: string };

/** Series of one query, grouped by function key. */
export class QueryData {
  readonly byFunction = new Map<string, AlignedSeries[]>();
  readonly jobs = new Set<string>();

  constructor(
    readonly spec: QuerySpec,
    series: readonly AlignedSeries[],
    /** Set when the query itself failed (the message); every field from it is then null. */
    readonly error: string | null = null,
  ) {
    for (const s of series) {
      const fn = seriesFunction(spec.key as QueryKey, s.labels);
      if (fn === undefined) continue;
      const list = this.byFunction.get(fn);
      if (list) list.push(s);
      else this.byFunction.set(fn, [s]);
      if (s.labels.job !== undefined) this.jobs.add(s.labels.job);
    }
  }

  series(fn: string, filter?: (labels: Readonly<Record<string, string>>) => boolean): AlignedSeries[] {
    const all = this.byFunction.get(fn) ?? [];
    return filter ? all.filter((s) => filter(s.labels)) : all;
  }
}

/** Labels of a series for messages: `{code="200",instance="..."}` without the function label. */
export function describeSeries(metric: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .filter((k) => k !== '__name__' && k !== 'function_name')
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${metric}{${parts.join(',')}}`;
}

export interface StepContext {
  health: TargetHealth;
  /** Jobs of each source seen in this chunk (to tell "no series" from "no scrape at all"). */
  sourceJobs: { a: Set<string>; b: Set<string> };
  sourceNames: { a: string; b: string };
}

function noSeriesReason(q: QueryData, ctx: StepContext, j: number, what: string): string {
  if (q.error !== null) return q.error;
  const jobs = ctx.sourceJobs[q.spec.source];
  if (jobs.size > 0 && !ctx.health.anyFreshAt(jobs, j)) {
    return `gap: ${ctx.sourceNames[q.spec.source]} has no scrape of ${[...jobs].sort().join(', ')} at this step`;
  }
  return `no series ${what} on ${ctx.sourceNames[q.spec.source]}`;
}

/** Sum of the increases of `series` from point j−1 to j (the outcomes in the header). */
/** Where a field's value comes from: a query's data and the series of one function in it. */
export interface FieldSource {
  q: QueryData;
  series: readonly AlignedSeries[];
}

/** Which step (index into the chunk) and what it is judged against. */
export interface StepAt {
  j: number;
  ctx: StepContext;
}

export function counterIncrease({ q, series }: FieldSource, { j, ctx }: StepAt, what: string): FieldValue {
  if (q.error !== null) return { value: null, reason: q.error };
  let sum = 0;
  let any = false;
  let resets = 0;
  let created = 0;
  for (const s of series) {
    if (s.present[j] !== 1) continue;
    const v = s.values[j];
    if (!Number.isFinite(v))
      return { value: null, reason: `${Number.isNaN(v) ? 'NaN' : 'infinite'} sample in ${describeSeries(q.spec.metric, s.labels)}` };
    any = true;
    const target = `${s.labels.job ?? 'the target'}${s.labels.instance ? ` (${s.labels.instance})` : ''}`;
    if (!ctx.health.fresh(s.labels, j))
      return { value: null, reason: `gap: no recent scrape of ${target}, so the value of ${q.spec.metric} is stale` };
    if (!ctx.health.fresh(s.labels, j - 1))
      return { value: null, reason: `gap: no scrape of ${target} at the previous step, so the increase of ${q.spec.metric} is unknown` };
    if (s.present[j - 1] === 1 && !ctx.health.advanced(s.labels, j)) {
      // The value is the previous scrape's (Prometheus repeats the last sample): no new data.
      return {
        value: null,
        reason: `gap: no new scrape of ${target} since the previous step, so the increase of ${q.spec.metric} is unknown`,
      };
    }
    if (s.present[j - 1] === 1) {
      const p = s.values[j - 1];
      if (!Number.isFinite(p))
        return {
          value: null,
          reason: `${Number.isNaN(p) ? 'NaN' : 'infinite'} sample at the previous step in ${describeSeries(q.spec.metric, s.labels)}`,
        };
      if (v >= p) sum += v - p;
      else {
        sum += v;
        resets++;
      }
    } else {
      sum += v;
      created++;
    }
  }
  if (!any) return { value: null, reason: noSeriesReason(q, ctx, j, what) };
  const notes: string[] = [];
  if (resets > 0) notes.push(`counter reset in ${resets} series of ${q.spec.metric}`);
  if (created > 0) notes.push(`${created} series of ${q.spec.metric} started in this step`);
  return { value: sum, notes };
}

/** Sum of a gauge's series present at j; with `single`, more than one series is refused. */
export function gaugeValue({ q, series }: FieldSource, { j, ctx }: StepAt, what: string, single = false): FieldValue & { count?: number } {
  if (q.error !== null) return { value: null, reason: q.error };
  const here = series.filter((s) => s.present[j] === 1 && ctx.health.fresh(s.labels, j));
  if (here.length === 0) return { value: null, reason: noSeriesReason(q, ctx, j, what) };
  if (single && here.length > 1)
    return {
      value: null,
      reason: `several series ${what} (${here.map((s) => describeSeries(q.spec.metric, s.labels)).join(', ')}); refusing to guess which`,
    };
  let sum = 0;
  for (const s of here) {
    const v = s.values[j];
    if (!Number.isFinite(v))
      return { value: null, reason: `${Number.isNaN(v) ? 'NaN' : 'infinite'} sample in ${describeSeries(q.spec.metric, s.labels)}` };
    sum += v;
  }
  return { value: sum, notes: [], count: here.length };
}

export type ChunkData = Record<QueryKey, QueryData>;

/** The record of function `fn` at point j of the chunk (j ≥ 1). */
export function buildRecord(
  data: ChunkData,
  fn: string,
  step: { j: number; tMs: number; stepSeconds: number },
  ctx: StepContext,
): RecordingRecord {
  const { j, tMs, stepSeconds } = step;
  const missing: Partial<Record<RecordField, string>> = {};
  const notes = new Set<string>();
  const take = (field: RecordField, r: FieldValue): number | null => {
    if (r.value === null) {
      missing[field] ??= r.reason;
      return null;
    }
    for (const n of r.notes) notes.add(n);
    return r.value;
  };
  const sel = (name: string): string => `${name}{function_name="${fn}"}`;
  const [deployment, namespace] = splitFunction(fn);
  const kubeSel = (name: string): string => `${name}{namespace="${namespace}",deployment="${deployment}"}`;

  // Requests by status code: each code's series summed over instances.
  const inv = data.invocations;
  let requestsByCode: Record<string, number> | null = {};
  const codes = [...new Set(inv.series(fn).map((s) => s.labels.code ?? ''))].sort();
  if (codes.length === 0) requestsByCode = null;
  for (const code of codes) {
    const r = counterIncrease(
      { q: inv, series: inv.series(fn, (l) => (l.code ?? '') === code) },
      { j, ctx },
      sel('gateway_function_invocation_total'),
    );
    if (r.value === null) {
      // A code whose series ended before j (no sample now) simply had no requests.
      if (r.reason.startsWith('no series')) continue;
      requestsByCode = null;
      missing.requestsByCode = r.reason;
      break;
    }
    for (const n of r.notes) notes.add(n);
    requestsByCode![code] = r.value;
  }
  if (requestsByCode !== null && Object.keys(requestsByCode).length === 0) requestsByCode = null;
  if (requestsByCode === null) {
    missing.requestsByCode ??= noSeriesReason(inv, ctx, j, sel('gateway_function_invocation_total'));
    missing.requests = missing.requestsByCode;
    missing.rps = missing.requestsByCode;
  }
  const requests = requestsByCode === null ? null : Object.values(requestsByCode).reduce((a, b) => a + b, 0);

  const started = take(
    'started',
    counterIncrease({ q: data.started, series: data.started.series(fn) }, { j, ctx }, sel('gateway_function_invocation_started')),
  );

  // Histogram: per le, summed over codes and instances.
  let latencyBuckets: HistogramBucket[] | null = [];
  const bucketSeries = data.buckets.series(fn);
  const les = [...new Set(bucketSeries.map((s) => s.labels.le))];
  for (const le of les) {
    const leNum = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    if (le === undefined || Number.isNaN(leNum)) {
      latencyBuckets = null;
      missing.latencyBuckets = `a series of gateway_functions_seconds_bucket has no numeric le label`;
      break;
    }
    const r = counterIncrease(
      { q: data.buckets, series: bucketSeries.filter((s) => s.labels.le === le) },
      { j, ctx },
      sel('gateway_functions_seconds_bucket'),
    );
    if (r.value === null) {
      if (r.reason.startsWith('no series')) continue;
      latencyBuckets = null;
      missing.latencyBuckets = r.reason;
      break;
    }
    for (const n of r.notes) notes.add(n);
    latencyBuckets.push({ le: leNum, count: r.value });
  }
  if (latencyBuckets !== null) {
    latencyBuckets.sort((a, b) => a.le - b.le);
    if (latencyBuckets.length === 0 || latencyBuckets[latencyBuckets.length - 1].le !== Number.POSITIVE_INFINITY) {
      missing.latencyBuckets =
        latencyBuckets.length === 0 ? noSeriesReason(data.buckets, ctx, j, sel('gateway_functions_seconds_bucket')) : 'no le="+Inf" bucket';
      latencyBuckets = null;
    } else {
      // Per-le increases can break monotonicity when one le series reset and another did not.
      for (let i = 1; i < latencyBuckets.length; i++)
        latencyBuckets[i].count = Math.max(latencyBuckets[i].count, latencyBuckets[i - 1].count);
    }
  }

  const latencySumSeconds = take(
    'latencySumSeconds',
    counterIncrease(
      { q: data.latencySum, series: data.latencySum.series(fn) },
      { j, ctx },
      sel('gateway_functions_seconds_sum{code="200"}'),
    ),
  );
  const latencyCount = take(
    'latencyCount',
    counterIncrease(
      { q: data.latencyCount, series: data.latencyCount.series(fn) },
      { j, ctx },
      sel('gateway_functions_seconds_count{code="200"}'),
    ),
  );
  let meanExecutionMs: number | null = null;
  if (latencySumSeconds !== null && latencyCount !== null && latencyCount > 0) meanExecutionMs = (latencySumSeconds / latencyCount) * 1000;
  else missing.meanExecutionMs = missing.latencySumSeconds ?? missing.latencyCount ?? 'no successful request completed in the step';

  const cpuInc = take(
    'cpuCores',
    counterIncrease({ q: data.cpu, series: data.cpu.series(fn) }, { j, ctx }, `container_cpu_usage_seconds_total of the pods of ${fn}`),
  );
  const cpuCores = cpuInc === null ? null : cpuInc / stepSeconds;
  const mem = gaugeValue(
    { q: data.memory, series: data.memory.series(fn) },
    { j, ctx },
    `container_memory_working_set_bytes of the pods of ${fn}`,
  );
  const memoryBytes = take('memoryBytes', mem);
  const pods = mem.value === null ? null : (mem.count ?? null);
  if (pods === null) missing.pods = missing.memoryBytes;

  // Replicas: the Deployment's spec from kube-state-metrics (same scrape as the ready count), else the gateway's.
  const spec = gaugeValue(
    { q: data.specReplicas, series: data.specReplicas.series(fn) },
    { j, ctx },
    kubeSel('kube_deployment_spec_replicas'),
    true,
  );
  let replicas: number | null;
  if (spec.value !== null) replicas = spec.value;
  else {
    const gw = gaugeValue({ q: data.serviceCount, series: data.serviceCount.series(fn) }, { j, ctx }, sel('gateway_service_count'), true);
    if (gw.value !== null) {
      replicas = gw.value;
    } else {
      replicas = null;
      missing.replicas = `${spec.reason}; ${gw.reason}`;
    }
  }
  const readyReplicas = take(
    'readyReplicas',
    withHint(
      gaugeValue(
        { q: data.readyReplicas, series: data.readyReplicas.series(fn) },
        { j, ctx },
        kubeSel('kube_deployment_status_replicas_ready'),
        true,
      ),
      ' (is kube-state-metrics scraped by this Prometheus?)',
    ),
  );
  const inflight = take(
    'inflight',
    withHint(
      gaugeValue({ q: data.inflight, series: data.inflight.series(fn) }, { j, ctx }, sel('gateway_function_invocation_inflight')),
      ' (OpenFaaS CE has no inflight gauge)',
    ),
  );

  return {
    t: new Date(tMs).toISOString(),
    fn,
    requests,
    requestsByCode,
    started,
    rps: requests === null ? null : requests / stepSeconds,
    latencyBuckets,
    latencySumSeconds,
    latencyCount,
    meanExecutionMs,
    cpuCores,
    memoryBytes,
    pods,
    replicas,
    readyReplicas,
    inflight,
    missing,
    notes: [...notes],
  };
}

function withHint(r: FieldValue, hint: string): FieldValue {
  return r.value === null && r.reason.startsWith('no series') ? { value: null, reason: r.reason + hint } : r;
}

function splitFunction(fn: string): [string, string] {
  const dot = fn.lastIndexOf('.');
  return [fn.slice(0, dot), fn.slice(dot + 1)];
}
