/**
 * `faas-loadgen generate`: synthetic traces for users without one, written in the Azure 2019
 * layout (invocations.csv + durations.csv + memory.csv in one folder) so that every tool that
 * reads a trace reads these too.
 *
 * The model, per function f and minute t (all draws from one seeded stream):
 *   meanPerMinute_f  ~ lognormal with median `meanPerMinute` and log-sd `spread`
 *   diurnal_f(t)     = 1 + amplitude · cos(2π (t − peak_f) / 1440), peak_f = peakMinute ± N(0, 60)
 *   burst_f(t)       = burstFactor while a burst is on, else 1; bursts start as a Poisson process
 *                      of `burstsPerDay` per day and last `burstMinutes`
 *   count_f(t)       ~ Poisson(meanPerMinute_f · diurnal_f(t) · burst_f(t))
 * Execution times are lognormal (median log-uniform in 20 ms … 2 s, log-sd 0.6) and the durations
 * file holds its exact quantiles (0 % and 100 % are the 0.1 % and 99.9 % quantiles); memory is
 * lognormal around 128 MB. They are plausible, not fitted to anything.
 */
import { makeDirs } from '#kernel/output.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '#kernel/rng.js';
import type { Trace, TraceFunction } from '#kernel/traces/types.js';

export interface SyntheticOptions {
  functions: number;
  minutes: number;
  seed: string;
  /** Median over functions of the mean invocations per minute. */
  meanPerMinute: number;
  /** Log-sd of the per-function means (0: all functions equally busy). */
  spread: number;
  /** 0 … 1: depth of the daily cycle. */
  diurnalAmplitude: number;
  /** Minute of the day (0 … 1439) of the busiest time. */
  peakMinute: number;
  burstsPerDay: number;
  burstFactor: number;
  burstMinutes: number;
  /** 1-based minute label of the first column (the 2019 dataset's labels run 1 … 1440). */
  startMinute: number;
}

export const SYNTHETIC_DEFAULTS: Omit<SyntheticOptions, 'seed'> = {
  functions: 10,
  minutes: 1440,
  meanPerMinute: 60,
  spread: 1,
  diurnalAmplitude: 0.5,
  peakMinute: 840,
  burstsPerDay: 4,
  burstFactor: 8,
  burstMinutes: 5,
  startMinute: 1,
};

const DURATION_PERCENTILES = [0, 1, 25, 50, 75, 99, 100];
const MEMORY_PERCENTILES = [1, 5, 25, 50, 75, 95, 99, 100];

export function generateTrace(opts: SyntheticOptions): Trace {
  const rng = new Rng(`synthetic\u0000${opts.seed}`);
  const functions: TraceFunction[] = [];
  for (let f = 0; f < opts.functions; f++) {
    const owner = hex64(rng);
    const app = hex64(rng);
    const id = hex64(rng);
    const mean = opts.meanPerMinute * Math.exp(opts.spread * rng.normal());
    const peak = opts.peakMinute + 60 * rng.normal();
    const counts = new Array<number>(opts.minutes);
    let burstLeft = 0;
    const burstStartPerMinute = opts.burstsPerDay / 1440;
    let total = 0;
    for (let i = 0; i < opts.minutes; i++) {
      const minuteOfDay = (opts.startMinute - 1 + i) % 1440;
      if (burstLeft === 0 && burstStartPerMinute > 0 && rng.next() < burstStartPerMinute) burstLeft = opts.burstMinutes;
      const burst = burstLeft > 0 ? opts.burstFactor : 1;
      if (burstLeft > 0) burstLeft--;
      const diurnal = 1 + opts.diurnalAmplitude * Math.cos((2 * Math.PI * (minuteOfDay - peak)) / 1440);
      counts[i] = rng.poisson(mean * diurnal * burst);
      total += counts[i];
    }
    const medianMs = 20 * Math.pow(100, rng.next());
    const sigma = 0.6;
    const q = (p: number): number => medianMs * Math.exp(sigma * inverseNormalCdf(p));
    const memoryMb = 128 * Math.exp(0.5 * rng.normal());
    functions.push({
      id,
      row: f + 1,
      owner,
      app,
      trigger: 'http',
      counts,
      profile: {
        durations: {
          averageMs: medianMs * Math.exp((sigma * sigma) / 2),
          count: total,
          minimumMs: q(0.001),
          maximumMs: q(0.999),
          percentilesMs: Object.fromEntries(DURATION_PERCENTILES.map((p) => [p, q(Math.min(0.999, Math.max(0.001, p / 100)))])),
        },
        memory: {
          averageAllocatedMb: memoryMb,
          sampleCount: opts.minutes,
          percentilesMb: Object.fromEntries(
            MEMORY_PERCENTILES.map((p) => [p, memoryMb * Math.exp(0.1 * inverseNormalCdf(p === 100 ? 0.999 : p / 100))]),
          ),
        },
      },
    });
  }
  return {
    format: 'synthetic',
    source: `synthetic(seed=${opts.seed})`,
    binSeconds: 60,
    startOffsetSeconds: (opts.startMinute - 1) * 60,
    functions,
  };
}

/** Writes invocations.csv, durations.csv and memory.csv (in-vitro's per-function layout) into `dir`. */
export async function writeAzure2019Folder(trace: Trace, dir: string): Promise<string[]> {
  if (trace.binSeconds !== 60) throw new RangeError(`the Azure 2019 layout has minute bins; this trace has ${trace.binSeconds} s bins`);
  const startMinute = Math.round(trace.startOffsetSeconds / 60) + 1;
  await makeDirs(dir);
  const bins = trace.functions.reduce((n, f) => Math.max(n, f.counts.length), 0);
  const minutes = Array.from({ length: bins }, (_, i) => String(startMinute + i));
  const invocations = [['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minutes].join(',')];
  const durations = [
    [
      'HashOwner',
      'HashApp',
      'HashFunction',
      'Average',
      'Count',
      'Minimum',
      'Maximum',
      ...DURATION_PERCENTILES.map((p) => `percentile_Average_${p}`),
    ].join(','),
  ];
  const memory = [
    [
      'HashFunction',
      'HashOwner',
      'HashApp',
      'SampleCount',
      'AverageAllocatedMb',
      ...MEMORY_PERCENTILES.map((p) => `AverageAllocatedMb_pct${p}`),
    ].join(','),
  ];
  for (const fn of trace.functions) {
    invocations.push([fn.owner ?? '', fn.app ?? '', fn.id, fn.trigger ?? 'http', ...fn.counts.map((c) => String(Math.round(c)))].join(','));
    const d = fn.profile.durations;
    if (d) {
      durations.push(
        [
          fn.owner ?? '',
          fn.app ?? '',
          fn.id,
          ms(d.averageMs),
          d.count,
          ms(d.minimumMs),
          ms(d.maximumMs),
          ...DURATION_PERCENTILES.map((p) => ms(d.percentilesMs[p])),
        ].join(','),
      );
    }
    const m = fn.profile.memory;
    if (m) {
      memory.push(
        [
          fn.id,
          fn.owner ?? '',
          fn.app ?? '',
          m.sampleCount,
          mb(m.averageAllocatedMb),
          ...MEMORY_PERCENTILES.map((p) => mb(m.percentilesMb[p])),
        ].join(','),
      );
    }
  }
  const files = [join(dir, 'invocations.csv'), join(dir, 'durations.csv'), join(dir, 'memory.csv')];
  await writeFile(files[0], invocations.join('\n') + '\n');
  await writeFile(files[1], durations.join('\n') + '\n');
  await writeFile(files[2], memory.join('\n') + '\n');
  return files;
}

/** Milliseconds as written in the dataset: whole numbers. */
function ms(v: number): string {
  return String(Math.round(v));
}

function mb(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

function hex64(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += rng.nextUint32().toString(16).padStart(8, '0');
  return s;
}

/**
 * Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9), enough for quantiles
 * written as whole milliseconds.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
