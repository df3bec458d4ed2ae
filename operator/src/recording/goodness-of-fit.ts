/**
 * Goodness of fit of a calibrated profile: replay the recorded load through the simulator and
 * compare what it emits with what was recorded.
 *
 *   arrivals  the recorded `started` of each step (`requests` where started is null, interpolated
 *             in gaps: `arrivalCounts`), exactly that many per step, evenly spaced (the counts are
 *             known; only their order inside a step is not)
 *   replicas  the recorded spec.replicas, applied in the middle of the step in which it was first
 *             seen (it changed somewhere inside the step; the middle is the unbiased guess)
 *   compared  per window of `windowSteps` steps: P95 from the summed latency buckets (the same
 *             histogram_quantile interpolation on both sides) and mean CPU cores (without the
 *             steps where the recorded CPU is known to be short: pods ended, counters restarted)
 *
 * Errors are stated as the median absolute percentage error over windows, the fraction of windows
 * within 10 %, the mean signed error (bias), and the error over the whole recording. A second
 * replay with another seed gives the noise floor: the error the simulator makes against itself on
 * windows this short, below which no calibration can go.
 */
import { byCodeAscending, type FunctionMetricsWindow, type HistogramBucket } from '../metrics/types.js';
import { histogramQuantile } from '../metrics/observation.js';
import type { SimConfig } from '../sim/config.js';
import { FunctionSimulator } from '../sim/simulator.js';
import type { RecordingRecord } from './format.js';

export interface ErrorStats {
  /** Windows compared. */
  windows: number;
  /** Median absolute percentage error (0.05 = 5 %). */
  medianApe: number | null;
  /** Fraction of windows with an absolute error ≤ 10 %. */
  within10: number | null;
  /** Mean signed relative error (simulated − recorded) / recorded. */
  bias: number | null;
  /** Recorded and simulated value over the whole recording (P95 of all buckets; mean CPU). */
  wholeRecorded: number | null;
  wholeSimulated: number | null;
  /** (simulated − recorded) / recorded over the whole recording. */
  wholeError: number | null;
}

export interface GoodnessOfFit {
  windowSteps: number;
  windowSeconds: number;
  p95: ErrorStats;
  cpu: ErrorStats;
  /** The simulator against itself (another seed), same windows. */
  noiseFloor: { p95: ErrorStats; cpu: ErrorStats };
  /** Steps whose arrivals were unknown (both started and requests null), interpolated for the replay. */
  stepsWithoutArrivals: number;
  /** Steps left out of the CPU comparison (pods ended in them, or the gateway's counters restarted). */
  cpuStepsLeftOut: number;
}

/** Windows with fewer completed requests than this have no meaningful P95 and are skipped. */
export const MIN_REQUESTS_FOR_P95 = 20;

export interface ReplayOptions {
  records: readonly RecordingRecord[];
  stepSeconds: number;
  sim: Partial<SimConfig>;
  seed: number;
}

/**
 * Arrivals per step for a replay or for training: `started` (requests that reached the gateway),
 * else `requests` (completions), else, in a gap, interpolated linearly between the nearest known
 * steps (the first/last known value at the ends). `filled` counts the interpolated steps.
 */
export function arrivalCounts(records: readonly RecordingRecord[]): { counts: number[]; filled: number } {
  const known = records.map((r) => r.started ?? r.requests);
  const counts: number[] = [];
  let filled = 0;
  for (let i = 0; i < known.length; i++) {
    const v = known[i];
    if (v !== null) {
      counts.push(v);
      continue;
    }
    filled++;
    let before = i - 1;
    while (before >= 0 && known[before] === null) before--;
    let after = i + 1;
    while (after < known.length && known[after] === null) after++;
    const a = before >= 0 ? known[before]! : null;
    const b = after < known.length ? known[after]! : null;
    if (a !== null && b !== null) counts.push(a + ((b - a) * (i - before)) / (after - before));
    else counts.push(a ?? b ?? 0);
  }
  return { counts, filled };
}

/** The simulator's window for each recorded step. */
export function replayRecording(opts: ReplayOptions): FunctionMetricsWindow[] {
  const { records, stepSeconds } = opts;
  const { counts } = arrivalCounts(records);
  const firstReplicas = records.find((r) => r.replicas !== null)?.replicas ?? 1;
  const sim = new FunctionSimulator({
    fn: { id: records[0]?.fn ?? 'recording', row: 1, counts, profile: {} },
    binSeconds: stepSeconds,
    seed: opts.seed,
    config: {
      ...opts.sim,
      functionName: records[0]?.fn,
      arrivals: 'exact',
      initialReplicas: firstReplicas,
      allowScaleToZero: records.some((r) => r.replicas === 0) || opts.sim.allowScaleToZero,
    },
  });
  const out: FunctionMetricsWindow[] = [];
  for (const r of records) {
    const first = sim.advance(stepSeconds / 2).window;
    if (r.replicas !== null && r.replicas !== sim.replicaCount) sim.setReplicas(r.replicas);
    out.push(mergeWindows(first, sim.advance(stepSeconds / 2).window));
  }
  return out;
}

/** Two consecutive windows as one: counts add, time means average, end-of-window values from the second. */
export function mergeWindows(a: FunctionMetricsWindow, b: FunctionMetricsWindow): FunctionMetricsWindow {
  const add = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : x + y);
  const mean = (x: number | null, y: number | null): number | null =>
    x === null || y === null ? null : (x * a.windowSeconds + y * b.windowSeconds) / (a.windowSeconds + b.windowSeconds);
  const byCode = new Map(a.invocationsByCode ?? []);
  for (const [code, n] of b.invocationsByCode ?? []) byCode.set(code, (byCode.get(code) ?? 0) + n);
  return {
    ...b,
    windowSeconds: a.windowSeconds + b.windowSeconds,
    invocationsByCode: a.invocationsByCode && b.invocationsByCode ? byCodeAscending(byCode) : null,
    invocationsStarted: add(a.invocationsStarted, b.invocationsStarted),
    latencyBuckets: a.latencyBuckets && b.latencyBuckets ? addBuckets(a.latencyBuckets, b.latencyBuckets) : null,
    latencySumSeconds: add(a.latencySumSeconds, b.latencySumSeconds),
    latencyCount: add(a.latencyCount, b.latencyCount),
    inflight: mean(a.inflight, b.inflight),
    cpuCores: mean(a.cpuCores, b.cpuCores),
    problems: [...a.problems, ...b.problems],
  };
}

/** Sum of two cumulative histograms with the same bounds. */
export function addBuckets(a: readonly HistogramBucket[], b: readonly HistogramBucket[]): HistogramBucket[] {
  const byLe = new Map<number, number>();
  for (const x of [...a, ...b]) byLe.set(x.le, (byLe.get(x.le) ?? 0) + x.count);
  return [...byLe.entries()].sort((x, y) => x[0] - y[0]).map(([le, count]) => ({ le, count }));
}

interface Side {
  buckets: (readonly HistogramBucket[] | null)[];
  cpu: (number | null)[];
}

/** Compares recorded and simulated windows (the module header says how). */
export function goodnessOfFit(args: {
  records: readonly RecordingRecord[];
  stepSeconds: number;
  sim: Partial<SimConfig>;
  seed: number;
  windowSteps: number;
}): GoodnessOfFit {
  const { records, stepSeconds, windowSteps } = args;
  const simulated = replayRecording({ records, stepSeconds, sim: args.sim, seed: args.seed });
  const again = replayRecording({ records, stepSeconds, sim: args.sim, seed: args.seed + 1 });
  // Steps whose recorded CPU is known to be short are not compared: where pods ended, their series
  // ended with them and their CPU since the last scrape is lost; where the gateway's counters
  // restarted, the replayed arrivals miss the requests in flight at that moment.
  const cpuComparable = records.map((r, i) => {
    const podsEnded = i > 0 && r.pods !== null && records[i - 1].pods !== null && r.pods < records[i - 1].pods!;
    const restarted = r.notes.some((n) => /gateway_function_invocation_(total|started)/.test(n));
    return !podsEnded && !restarted;
  });
  const recordedCpu = records.map((r, i) => (cpuComparable[i] ? r.cpuCores : null));
  const recorded: Side = { buckets: records.map((r) => r.latencyBuckets), cpu: recordedCpu };
  const sim: Side = { buckets: simulated.map((w) => w.latencyBuckets), cpu: simulated.map((w) => w.cpuCores) };
  const sim2: Side = {
    buckets: again.map((w) => w.latencyBuckets),
    cpu: again.map((w, i) => (recordedCpu[i] === null ? null : w.cpuCores)),
  };
  return {
    windowSteps,
    windowSeconds: windowSteps * stepSeconds,
    p95: compareP95(recorded, sim, windowSteps),
    cpu: compareCpu(recorded, sim, windowSteps),
    noiseFloor: { p95: compareP95(sim2, sim, windowSteps), cpu: compareCpu(sim2, sim, windowSteps) },
    stepsWithoutArrivals: records.filter((r) => r.started === null && r.requests === null).length,
    cpuStepsLeftOut: cpuComparable.filter((ok) => !ok).length,
  };
}

function windows(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s + size <= n; s += size) out.push([s, s + size]);
  return out;
}

/** P95 (ms) of the steps in [from, to) that the reference side has buckets for; null below MIN_REQUESTS_FOR_P95. */
function p95Of(ref: Side, other: Side, from: number, to: number): [number, number] | null {
  let a: HistogramBucket[] | null = null;
  let b: HistogramBucket[] | null = null;
  for (let i = from; i < to; i++) {
    const x = ref.buckets[i];
    const y = other.buckets[i];
    if (!x || !y) continue;
    a = a ? addBuckets(a, x) : [...x];
    b = b ? addBuckets(b, y) : [...y];
  }
  if (!a || !b || a[a.length - 1].count < MIN_REQUESTS_FOR_P95 || b[b.length - 1].count === 0) return null;
  return [histogramQuantile(0.95, a) * 1000, histogramQuantile(0.95, b) * 1000];
}

function cpuOf(ref: Side, other: Side, from: number, to: number): [number, number] | null {
  let sa = 0;
  let sb = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const x = ref.cpu[i];
    const y = other.cpu[i];
    if (x === null || y === null) continue;
    sa += x;
    sb += y;
    n++;
  }
  return n === 0 || sa <= 0 ? null : [sa / n, sb / n];
}

function compareP95(ref: Side, other: Side, size: number): ErrorStats {
  return stats(
    windows(ref.buckets.length, size).map(([a, b]) => p95Of(ref, other, a, b)),
    p95Of(ref, other, 0, ref.buckets.length),
  );
}

function compareCpu(ref: Side, other: Side, size: number): ErrorStats {
  return stats(
    windows(ref.cpu.length, size).map(([a, b]) => cpuOf(ref, other, a, b)),
    cpuOf(ref, other, 0, ref.cpu.length),
  );
}

function stats(pairs: ([number, number] | null)[], whole: [number, number] | null): ErrorStats {
  const rel = pairs
    .filter((p): p is [number, number] => p !== null && Number.isFinite(p[0]) && Number.isFinite(p[1]) && p[0] > 0)
    .map(([r, s]) => (s - r) / r);
  const abs = rel.map(Math.abs).sort((x, y) => x - y);
  return {
    windows: rel.length,
    medianApe: abs.length ? median(abs) : null,
    within10: abs.length ? abs.filter((e) => e <= 0.1).length / abs.length : null,
    bias: rel.length ? rel.reduce((s, e) => s + e, 0) / rel.length : null,
    wholeRecorded: whole ? whole[0] : null,
    wholeSimulated: whole ? whole[1] : null,
    wholeError: whole && whole[0] > 0 ? (whole[1] - whole[0]) / whole[0] : null,
  };
}

/** Median of sorted values. */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
