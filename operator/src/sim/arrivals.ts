/**
 * The arrivals of one trace function, generated bin by bin from keyed random streams: bin b's
 * arrival times come from stream (seed, ARRIVALS, b) and their service demands from
 * (seed, SERVICE, b). So the i-th request of bin b has the same arrival time and the same service
 * demand whatever the policy, the replica count or the order in which bins are visited; a clone
 * of the simulator (the oracle's lookahead) sees exactly the future the simulator will see.
 */
import { Random, STREAM_ARRIVALS, STREAM_SERVICE } from './random.js';
import { drawServiceSeconds, type ServiceTimeModel } from './service-time.js';

export interface BinArrivals {
  /** Absolute arrival times in seconds, ascending. */
  times: Float64Array;
  /** Service demand of each arrival in seconds. */
  services: Float64Array;
}

export interface ArrivalSourceOptions {
  counts: readonly number[];
  binSeconds: number;
  seed: number;
  mode: 'poisson' | 'exact';
  service: ServiceTimeModel;
  minServiceMs: number;
}

/** How many generated bins are kept for re-use (the oracle's clones read the next few bins). */
const CACHE_BINS = 16;

/** Shared (read-only from the outside) by a simulator and all its clones. */
export class ArrivalSource {
  readonly binCount: number;
  readonly binSeconds: number;
  private readonly cache = new Map<number, BinArrivals>();

  constructor(private readonly opts: ArrivalSourceOptions) {
    this.binCount = opts.counts.length;
    this.binSeconds = opts.binSeconds;
  }

  get endSeconds(): number {
    return this.binCount * this.binSeconds;
  }

  bin(b: number): BinArrivals {
    let arrivals = this.cache.get(b);
    if (arrivals === undefined) {
      arrivals = this.generate(b);
      if (this.cache.size >= CACHE_BINS) {
        // Map iterates in insertion order: drop the oldest generated bin.
        this.cache.delete(this.cache.keys().next().value as number);
      }
      this.cache.set(b, arrivals);
    }
    return arrivals;
  }

  private generate(b: number): BinArrivals {
    const { counts, binSeconds, seed, mode, service, minServiceMs } = this.opts;
    const count = counts[b];
    const start = b * binSeconds;
    let times: Float64Array;
    if (mode === 'exact') {
      const n = Math.max(0, Math.round(count));
      times = new Float64Array(n);
      for (let i = 0; i < n; i++) times[i] = start + ((i + 0.5) / n) * binSeconds;
    } else {
      // A Poisson process conditioned on its count in an interval is that many uniform points.
      const rng = new Random(seed, STREAM_ARRIVALS, b);
      const n = rng.poisson(count);
      times = new Float64Array(n);
      for (let i = 0; i < n; i++) times[i] = start + rng.uniform() * binSeconds;
      times.sort();
    }
    const serviceRng = new Random(seed, STREAM_SERVICE, b);
    const services = new Float64Array(times.length);
    for (let i = 0; i < times.length; i++) services[i] = drawServiceSeconds(service, serviceRng, minServiceMs);
    return { times, services };
  }
}
