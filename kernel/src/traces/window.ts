/**
 * Time windows and rate scaling, applied to every format after reading.
 *
 * Windows are relative to the first bin of the file (not to midnight): `--from 1h` on the
 * 2019 slice that starts at minute 480 keeps minutes 540 onwards. Both ends must fall on bin
 * boundaries — silently rounding would change the workload without saying so.
 */
import { InputError } from '../input-error.js';
import type { Trace } from './types.js';

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

/** Parses `90s`, `30m`, `2h`, `1.5h` or plain seconds (`5400`) into seconds. */
export function parseTimeSeconds(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(text.trim());
  if (!match) throw new InputError(`${field} ${JSON.stringify(text)}: expected a time such as 90s, 30m, 2h or plain seconds`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

/** Which bins [firstBin, endBin) a window keeps, checked against the trace's length. */
export function windowBins(opts: { from?: string; to?: string; binSeconds: number; binCount: number }): { firstBin: number; endBin: number } {
  const { binSeconds, binCount } = opts;
  const length = `${binCount * binSeconds} s = ${binCount} bins of ${binSeconds} s`;
  const toBin = (text: string, field: string): number => {
    const seconds = parseTimeSeconds(text, field);
    const bin = seconds / binSeconds;
    // Tolerate float noise such as 0.1h = 360.00000000000006 s.
    if (Math.abs(bin - Math.round(bin)) > 1e-9) {
      throw new InputError(`${field} ${text} (${seconds} s) is not a multiple of the trace's ${binSeconds} s bins`);
    }
    if (Math.round(bin) > binCount) throw new InputError(`${field} ${text} is past the end of the trace (${length})`);
    return Math.round(bin);
  };
  const firstBin = opts.from === undefined ? 0 : toBin(opts.from, '--from');
  const endBin = opts.to === undefined ? binCount : toBin(opts.to, '--to');
  if (firstBin >= endBin) {
    throw new InputError(`--from ${opts.from ?? 0} must be before --to ${opts.to ?? `the end (${length})`}: the window would be empty`);
  }
  return { firstBin, endBin };
}

/** Keeps bins [firstBin, endBin) of every function and moves `startOffsetSeconds` accordingly. */
export function applyWindow(trace: Trace, window: { firstBin: number; endBin: number }): Trace {
  return {
    ...trace,
    startOffsetSeconds: trace.startOffsetSeconds + window.firstBin * trace.binSeconds,
    functions: trace.functions.map((fn) => ({ ...fn, counts: fn.counts.slice(window.firstBin, window.endBin) })),
  };
}

/**
 * Multiplies every count by `rateScale`. Counts may become fractional (0.5 × 3 = 1.5) and stay
 * so: consumers treat a bin's count as the mean of its arrivals (the simulator draws a Poisson
 * number with that mean), so rounding here would bias low rates to zero.
 */
export function applyRateScale(trace: Trace, rateScale: number): Trace {
  if (rateScale === 1) return trace;
  return { ...trace, functions: trace.functions.map((fn) => ({ ...fn, counts: fn.counts.map((c) => c * rateScale) })) };
}
