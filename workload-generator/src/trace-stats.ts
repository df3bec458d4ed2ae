/**
 * `faas-loadgen stats`: what a trace asks of a system, per function — how fast (rate quantiles),
 * how bursty (coefficient of variation, index of dispersion, peak-to-mean) and how often idle.
 * All rates are requests per second, from per-bin counts divided by the bin width.
 */
import type { Trace, TraceFunction } from '#kernel/traces/types.js';

export interface RateStats {
  bins: number;
  total: number;
  /** Mean rate over the whole window (requests/s). */
  meanRps: number;
  /** Quantiles of the per-bin rate (requests/s), linear interpolation between order statistics. */
  rateRps: { p50: number; p90: number; p99: number; max: number };
  /** Standard deviation / mean of per-bin counts (0 for a constant rate; null when idle throughout). */
  cv: number | null;
  /** Variance / mean of per-bin counts: about 1 for Poisson arrivals at this bin width, ≫ 1 bursty. */
  dispersion: number | null;
  /** Highest bin / mean bin. */
  peakToMean: number | null;
  /** Fraction of bins with no invocations. */
  idleFraction: number;
  /** Longest run of idle bins, in seconds. */
  longestIdleSeconds: number;
}

export interface FunctionStats extends RateStats {
  id: string;
  row: number;
  rank?: number;
  trigger?: string;
}

export interface TraceStats {
  source: string;
  format: string;
  binSeconds: number;
  bins: number;
  /** All selected functions summed bin by bin. */
  aggregate: RateStats;
  functions: FunctionStats[];
}

export function rateStats(counts: readonly number[], binSeconds: number): RateStats {
  const n = counts.length;
  let total = 0;
  let idle = 0;
  let run = 0;
  let longest = 0;
  for (const c of counts) {
    total += c;
    if (c === 0) {
      idle++;
      run++;
      longest = Math.max(longest, run);
    } else {
      run = 0;
    }
  }
  const mean = n > 0 ? total / n : 0;
  let sq = 0;
  for (const c of counts) sq += (c - mean) ** 2;
  const variance = n > 0 ? sq / n : 0;
  const sorted = [...counts].sort((a, b) => a - b);
  const rate = (q: number): number => quantile(sorted, q) / binSeconds;
  return {
    bins: n,
    total,
    meanRps: n > 0 ? mean / binSeconds : 0,
    rateRps: { p50: rate(0.5), p90: rate(0.9), p99: rate(0.99), max: n > 0 ? sorted[n - 1] / binSeconds : 0 },
    cv: mean > 0 ? Math.sqrt(variance) / mean : null,
    dispersion: mean > 0 ? variance / mean : null,
    peakToMean: mean > 0 ? sorted[n - 1] / mean : null,
    idleFraction: n > 0 ? idle / n : 0,
    longestIdleSeconds: longest * binSeconds,
  };
}

/** Quantile of an ascending array, linear between order statistics (R type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function traceStats(trace: Trace, functions: readonly TraceFunction[]): TraceStats {
  const bins = functions.reduce((n, f) => Math.max(n, f.counts.length), 0);
  const sum = new Array<number>(bins).fill(0);
  for (const fn of functions) fn.counts.forEach((c, i) => (sum[i] += c));
  return {
    source: trace.source,
    format: trace.format,
    binSeconds: trace.binSeconds,
    bins,
    aggregate: rateStats(sum, trace.binSeconds),
    functions: functions.map((fn) => ({
      id: fn.id,
      row: fn.row,
      ...(fn.rank === undefined ? {} : { rank: fn.rank }),
      ...(fn.trigger === undefined ? {} : { trigger: fn.trigger }),
      ...rateStats(fn.counts, trace.binSeconds),
    })),
  };
}

/** A fixed-width table for the terminal, one row per function plus the aggregate. */
export function formatStatsTable(stats: TraceStats): string {
  const header = ['function', 'trigger', 'total', 'mean/s', 'p50/s', 'p90/s', 'p99/s', 'max/s', 'cv', 'disp', 'idle%'];
  const row = (name: string, trigger: string, s: RateStats): string[] => [
    name,
    trigger,
    num(s.total),
    num(s.meanRps),
    num(s.rateRps.p50),
    num(s.rateRps.p90),
    num(s.rateRps.p99),
    num(s.rateRps.max),
    s.cv === null ? '-' : s.cv.toFixed(2),
    s.dispersion === null ? '-' : num(s.dispersion),
    (100 * s.idleFraction).toFixed(1),
  ];
  const rows = stats.functions.map((f) => row(label(f), f.trigger ?? '-', f));
  rows.push(row(`all (${stats.functions.length})`, '-', stats.aggregate));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const title = `${stats.source} (${stats.format}): ${stats.bins} bins of ${stats.binSeconds} s; rates in requests/s over bins`;
  return [title, fmt(header), ...rows.map(fmt)].join('\n') + '\n';
}

function label(f: FunctionStats): string {
  const short = f.id
    .split('/')
    .map((p) => (/^[0-9a-f]{16,}$/i.test(p) ? p.slice(0, 8) : p))
    .join('/');
  return `${f.rank === undefined ? `row:${f.row}` : `rank:${f.rank}`} ${short}`;
}

/** Three significant digits, no exponent for ordinary magnitudes. */
function num(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}
