/**
 * Open-loop arrival schedules from per-bin invocation counts.
 *
 * Two processes, chosen by `--arrivals`:
 * - `poisson` (default): inside each bin a function's arrivals form a Poisson process of rate
 *   count / binSeconds, drawn as exponential gaps from the bin start. The number in a bin is then
 *   Poisson with mean `count`, so fractional counts (after `--rate-scale`) need no rounding: they
 *   are the mean.
 * - `exact`: exactly the bin's count, evenly spaced at the centres of `count` equal slots. After
 *   rate scaling a count may be fractional; the integer sent in bin k is
 *   round(C_k) − round(C_{k−1}) where C_k is the running total, so every prefix of the run is within
 *   half a request of the scaled trace and the total is round(total) ("rounding with carry").
 *
 * The schedule is produced one bin at a time (a day of 250 functions does not need to sit in
 * memory), merged over all functions in time order, and repeats the trace for `passes` passes.
 * Times are trace seconds from the start of the replay; the replay divides by `--speedup`.
 */
import { Rng } from '#kernel/rng.js';

export type ArrivalMode = 'poisson' | 'exact';
export const ARRIVAL_MODES: readonly ArrivalMode[] = ['poisson', 'exact'];

export interface ScheduleFunction {
  /** Trace id, used to key the function's random stream. */
  id: string;
  /** Invocations per bin (may be fractional after rate scaling). */
  counts: readonly number[];
}

export interface ScheduleOptions {
  functions: readonly ScheduleFunction[];
  binSeconds: number;
  mode: ArrivalMode;
  seed: string | number;
  /** Passes over the trace; `Infinity` repeats until the caller stops asking. */
  passes: number;
}

/** The arrivals of one bin of the replay, all functions merged and sorted by time. */
export interface BinArrivals {
  /** Bin index over the whole replay: pass × binsPerPass + bin. */
  index: number;
  pass: number;
  /** Bin index inside the trace. */
  bin: number;
  /** Trace seconds from the replay start to the start of this bin. */
  startSeconds: number;
  /** Expected number of arrivals: the sum of the (scaled) trace counts for this bin. */
  target: number;
  /** Arrival times in trace seconds from the replay start, ascending. */
  times: Float64Array;
  /** Function index (into `functions`) of each arrival. */
  functionIndex: Uint32Array;
}

export class ArrivalSchedule {
  readonly binsPerPass: number;
  private readonly rngs: Rng[];
  /** Exact mode: running (scaled) total per function, for rounding with carry. */
  private readonly carryTarget: Float64Array;
  private nextIndex = 0;

  constructor(private readonly opts: ScheduleOptions) {
    if (!(opts.binSeconds > 0)) throw new RangeError(`binSeconds must be > 0, got ${opts.binSeconds}`);
    this.binsPerPass = opts.functions.reduce((n, f) => Math.max(n, f.counts.length), 0);
    this.rngs = opts.functions.map((f) => new Rng(`${String(opts.seed)}\u0000${f.id}`));
    this.carryTarget = new Float64Array(opts.functions.length);
  }

  /** Total bins the schedule will produce (Infinity when looping forever). */
  get totalBins(): number {
    return this.binsPerPass === 0 ? 0 : this.binsPerPass * this.opts.passes;
  }

  /** The next bin, or undefined after the last pass. Bins come strictly in order. */
  next(): BinArrivals | undefined {
    if (this.nextIndex >= this.totalBins) return undefined;
    const index = this.nextIndex++;
    const pass = Math.floor(index / this.binsPerPass);
    const bin = index - pass * this.binsPerPass;
    const binSeconds = this.opts.binSeconds;
    const startSeconds = index * binSeconds;

    const perFunctionTimes: number[][] = [];
    const owners: number[] = [];
    let target = 0;
    let total = 0;
    for (let f = 0; f < this.opts.functions.length; f++) {
      const count = this.opts.functions[f].counts[bin] ?? 0;
      if (!(count > 0)) continue;
      target += count;
      const times = this.opts.mode === 'exact' ? this.exactTimes(f, count, startSeconds) : this.poissonTimes(f, count, startSeconds);
      if (times.length > 0) {
        perFunctionTimes.push(times);
        owners.push(f);
        total += times.length;
      }
    }
    return { index, pass, bin, startSeconds, target, ...merge(perFunctionTimes, owners, total) };
  }

  private poissonTimes(f: number, count: number, startSeconds: number): number[] {
    const rng = this.rngs[f];
    const rate = count / this.opts.binSeconds;
    const out: number[] = [];
    let t = rng.exponential(rate);
    while (t < this.opts.binSeconds) {
      out.push(startSeconds + t);
      t += rng.exponential(rate);
    }
    return out;
  }

  private exactTimes(f: number, count: number, startSeconds: number): number[] {
    const before = Math.round(this.carryTarget[f]);
    this.carryTarget[f] += count;
    const n = Math.round(this.carryTarget[f]) - before;
    const slot = this.opts.binSeconds / n;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = startSeconds + (i + 0.5) * slot;
    return out;
  }
}

/** Merge per-function sorted time lists into one ascending list with owners. */
function merge(lists: number[][], owners: number[], total: number): { times: Float64Array; functionIndex: Uint32Array } {
  const times = new Float64Array(total);
  const functionIndex = new Uint32Array(total);
  if (lists.length === 1) {
    times.set(lists[0]);
    functionIndex.fill(owners[0]);
    return { times, functionIndex };
  }
  const order = new Uint32Array(total);
  const flatTimes = new Float64Array(total);
  const flatOwners = new Uint32Array(total);
  let k = 0;
  for (let l = 0; l < lists.length; l++) {
    const list = lists[l];
    for (let i = 0; i < list.length; i++) {
      flatTimes[k] = list[i];
      flatOwners[k] = owners[l];
      order[k] = k;
      k++;
    }
  }
  // Stable by construction order on ties (equal times keep function order), so runs are reproducible.
  order.sort((a, b) => flatTimes[a] - flatTimes[b] || a - b);
  for (let i = 0; i < total; i++) {
    times[i] = flatTimes[order[i]];
    functionIndex[i] = flatOwners[order[i]];
  }
  return { times, functionIndex };
}
