/**
 * Observation → network input. A feature set names the columns; each column has a fixed transform
 * (log1p for heavy-tailed rates, counts and latencies, so that one network sees a function at
 * 2 RPS and one at 2,000 RPS on the same scale and "load per replica" is a difference of inputs),
 * then a per-column standardisation whose mean and standard deviation are learned during training
 * (running statistics, CleanRL's NormalizeObservation) and frozen into the saved model's metadata.
 *
 * Missing data is decided here, once, for training and for the operator alike:
 *  - RPS or requests unknown → no features (the policy returns `valid: false`, scale kept);
 *  - P95 or mean execution time unknown while requests were 0 → 0: nothing was served, nothing waited;
 *  - mean execution time unknown while requests flowed but all failed → P95 stands in for it;
 *  - P95 unknown while requests flowed → no features;
 *  - CPU or memory unknown → no features (the network was trained with them);
 *  - started RPS unknown (`offered` set only) → no features.
 */
import type { Observation } from '../metrics/types.js';

export const FEATURE_SETS = ['lstm-ppo-plus', 'agarwal', 'extended', 'offered'] as const;
export type FeatureSetName = (typeof FEATURE_SETS)[number];

/** What the policy remembers between calls that the extended features need. */
export interface FeatureContext {
  sloP95Ms: number;
  maxReplicas: number;
  /** RPS of the previous interval (null at the start). */
  previousRps: number | null;
  /** Intervals since the replica count last changed (0 at the start). */
  intervalsSinceScale: number;
  /**
   * Requests in the system (queued or in service) at the end of the window, from the counters:
   * Σ (entered − completed) since the tracker started, floored at 0 (FeatureTracker). Optional: only
   * `capacity5-backlog` reads it.
   */
  backlog?: number;
}

interface Column {
  name: string;
  /** Raw value, or null when it cannot be known. */
  value: (obs: Observation, ctx: FeatureContext) => number | null;
}

const log1p = (v: number): number => Math.log1p(Math.max(0, v));
/** Requests were zero: latency columns mean "nothing waited". */
const idle = (obs: Observation): boolean => obs.requests === 0;
const latency = (v: number | null, obs: Observation): number | null => (v !== null ? log1p(v) : idle(obs) ? 0 : null);
/**
 * Mean execution time counts successful requests only; when every request of the window failed
 * (all timed out) it is unknown while P95 is not: use P95, the slowest view of the same window.
 */
const meanExecution = (o: Observation): number | null =>
  o.meanExecutionMs === null && o.requests !== null && o.requests > 0 && o.p95LatencyMs !== null
    ? log1p(o.p95LatencyMs)
    : latency(o.meanExecutionMs, o);
const clipFraction = (v: number | null): number | null => (v === null ? null : Math.min(Math.max(v, 0), 10));

const COLUMNS: Record<string, Column> = {
  meanExecutionMs: { name: 'log1p(mean execution ms)', value: meanExecution },
  rps: { name: 'log1p(rps)', value: (o) => (o.rps === null ? null : log1p(o.rps)) },
  requests: { name: 'log1p(requests)', value: (o) => (o.requests === null ? null : log1p(o.requests)) },
  replicas: { name: 'log1p(replicas)', value: (o) => log1p(o.replicas) },
  cpuPerReplica: { name: 'cpu per replica / request', value: (o) => clipFraction(o.cpuPerReplica) },
  memoryPerReplica: { name: 'memory per replica / request', value: (o) => clipFraction(o.memoryPerReplica) },
  p95LatencyMs: { name: 'log1p(p95 ms)', value: (o) => latency(o.p95LatencyMs, o) },
  p95OverSlo: {
    name: 'p95 / slo (capped at 10)',
    value: (o, ctx) => (o.p95LatencyMs !== null ? Math.min(o.p95LatencyMs / ctx.sloP95Ms, 10) : idle(o) ? 0 : null),
  },
  rpsTrend: {
    name: 'log1p(rps) − log1p(previous rps)',
    value: (o, ctx) => (o.rps === null ? null : ctx.previousRps === null ? 0 : log1p(o.rps) - log1p(ctx.previousRps)),
  },
  queueGrowth: {
    name: 'log1p(started rps) − log1p(rps)',
    value: (o) => (o.startedRps === null || o.startedRps === undefined || o.rps === null ? null : log1p(o.startedRps) - log1p(o.rps)),
  },
  intervalsSinceScale: { name: 'log1p(intervals since last scale)', value: (_o, ctx) => log1p(ctx.intervalsSinceScale) },
  readyFraction: {
    name: 'ready replicas / replicas',
    value: (o) => (o.readyReplicas === null ? 1 : Math.min(o.readyReplicas / Math.max(o.replicas, 1), 1)),
  },
};

// The paper's seven plus what a person scaling by hand looks at (docs/adr, "make it win"). No
// in-flight gauge: OpenFaaS CE does not export it, and a model must run on CE too.
const EXTENDED = [
  'meanExecutionMs',
  'rps',
  'requests',
  'replicas',
  'cpuPerReplica',
  'memoryPerReplica',
  'p95LatencyMs',
  'p95OverSlo',
  'rpsTrend',
  'intervalsSinceScale',
  'readyFraction',
] as const;

const SETS: Record<FeatureSetName, readonly string[]> = {
  // DESIGN.md §4: the paper's seven, in its order.
  'lstm-ppo-plus': ['meanExecutionMs', 'rps', 'requests', 'replicas', 'cpuPerReplica', 'memoryPerReplica', 'p95LatencyMs'],
  // Agarwal et al.: the same without P95.
  agarwal: ['meanExecutionMs', 'rps', 'requests', 'replicas', 'cpuPerReplica', 'memoryPerReplica'],
  extended: EXTENDED,
  // `extended` plus the offered load against the served one (ADR 012): > 0 while a queue builds,
  // < 0 while it drains. Needs the gateway's started counter (CE exports it).
  offered: [...EXTENDED, 'queueGrowth'],
};

export function featureColumns(set: FeatureSetName): string[] {
  return SETS[set].map((key) => COLUMNS[key].name);
}

export function featureCount(set: FeatureSetName): number {
  return SETS[set].length;
}

/** Saved with a model: which columns and how they are standardised. */
export interface FeatureConfig {
  set: FeatureSetName;
  columns: string[];
  mean: number[];
  std: number[];
  /** Standardised values are clipped to ±clip (CleanRL clips at 10). */
  clip: number;
}

/** Raw (transformed, not standardised) features, or the name of the first one that is missing. */
export function rawFeatures(
  set: FeatureSetName,
  obs: Observation,
  ctx: FeatureContext,
): { ok: true; values: number[] } | { ok: false; missing: string } {
  const values: number[] = [];
  for (const key of SETS[set]) {
    const v = COLUMNS[key].value(obs, ctx);
    if (v === null || !Number.isFinite(v)) return { ok: false, missing: COLUMNS[key].name };
    values.push(v);
  }
  return { ok: true, values };
}

/** Standardises raw features into `out` at `offset` (one row of a batch). */
export function standardise(config: FeatureConfig, raw: readonly number[], out: Float32Array, offset: number): void {
  for (let i = 0; i < raw.length; i++) {
    const z = (raw[i] - config.mean[i]) / config.std[i];
    out[offset + i] = Math.min(Math.max(z, -config.clip), config.clip);
  }
}

/** Running mean and variance of raw features (parallel Welford, as CleanRL's RunningMeanStd). */
export class RunningMeanStd {
  mean: Float64Array;
  variance: Float64Array;
  count: number;

  constructor(size: number, epsilon = 1e-4) {
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  update(rows: readonly (readonly number[])[]): void {
    if (rows.length === 0) return;
    const n = rows.length;
    const size = this.mean.length;
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (const r of rows) sum += r[i];
      const batchMean = sum / n;
      let sq = 0;
      for (const r of rows) sq += (r[i] - batchMean) ** 2;
      const batchVar = sq / n;
      const delta = batchMean - this.mean[i];
      const total = this.count + n;
      this.mean[i] += (delta * n) / total;
      const m2 = this.variance[i] * this.count + batchVar * n + (delta * delta * this.count * n) / total;
      this.variance[i] = m2 / total;
    }
    this.count += n;
  }

  toConfig(set: FeatureSetName, clip = 10): FeatureConfig {
    return {
      set,
      columns: featureColumns(set),
      mean: [...this.mean],
      std: [...this.variance].map((v) => Math.sqrt(v + 1e-8)),
      clip,
    };
  }
}
