/**
 * Which functions, at which rate scales, the environments train on. The Azure slice is mostly
 * small functions (below 1 RPS), so each training function is rate-scaled to a few target loads,
 * in "replicas' worth" of mean work (mean RPS × mean service time / concurrency): the network then
 * sees 2-replica and 30-replica functions, short and long service times, steady and bursty shapes.
 * Held-out functions are excluded here and judged only by `evaluate`.
 */
import { rankFunctions } from '#kernel/traces/select.js';
import type { Trace, TraceFunction } from '#kernel/traces/types.js';
import { DEFAULT_SIM_CONFIG, type SimConfig } from '../sim/config.js';
import { resolveServiceTime, serviceTimeP95Ms } from '../sim/service-time.js';
import type { EnvFunction } from './sim-env.js';

export interface PoolOptions {
  /** Target mean loads in replicas; one pool entry per function and load. */
  targetLoads: readonly number[];
  /** Cap on the scaled mean RPS (simulation cost grows with requests). */
  maxMeanRps: number;
  /** Functions with a mean service time below this are skipped (their load is all overhead). */
  minServiceMs: number;
  /**
   * SLO of each function: `sloFactor` × the P95 of its service time (the lognormal fit), at least
   * `minSloMs`, rounded to 10 ms. Relative to the service time's own P95 so that the SLO is
   * reachable with enough replicas whatever the spread (a multiple of the mean is not, for a
   * long-tailed function), and leaves queueing head-room to trade against replicas.
   */
  sloFactor: number;
  minSloMs: number;
  /** One SLO for every function instead of the rule above (`train --slo-ms`). */
  sloMs?: number;
  sim?: Partial<SimConfig>;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = {
  targetLoads: [2, 6, 16],
  maxMeanRps: 150,
  minServiceMs: 20,
  sloFactor: 1.5,
  minSloMs: 100,
};

export function meanServiceMs(fn: TraceFunction, sim?: Partial<SimConfig>): number {
  const config = { ...DEFAULT_SIM_CONFIG, ...sim };
  return resolveServiceTime(config.serviceTime, fn.profile.durations, config.minServiceMs).meanMs;
}

/** P95 of one request's service time under the simulator's model of the function. */
export function serviceP95Ms(fn: TraceFunction, sim?: Partial<SimConfig>): number {
  const config = { ...DEFAULT_SIM_CONFIG, ...sim };
  return serviceTimeP95Ms(resolveServiceTime(config.serviceTime, fn.profile.durations, config.minServiceMs));
}

/** The SLO rule for one function (used for training and stated for evaluation). */
export function sloForFunction(fn: TraceFunction, options: Pick<PoolOptions, 'sloFactor' | 'minSloMs' | 'sloMs' | 'sim'>): number {
  if (options.sloMs !== undefined) return options.sloMs;
  return Math.max(options.minSloMs, 10 * Math.round((options.sloFactor * serviceP95Ms(fn, options.sim)) / 10));
}

export function meanRps(fn: TraceFunction, binSeconds: number): number {
  return fn.counts.reduce((a, b) => a + b, 0) / (fn.counts.length * binSeconds);
}

/**
 * Pool entries for `functions` (already selected, held-out ones removed). Entries whose scaled
 * rate would exceed `maxMeanRps` are dropped; so are functions without traffic.
 */
export function buildPool(trace: Trace, functions: readonly TraceFunction[], options: PoolOptions): EnvFunction[] {
  const pool: EnvFunction[] = [];
  const concurrency = options.sim?.concurrencyPerReplica ?? DEFAULT_SIM_CONFIG.concurrencyPerReplica;
  for (const fn of functions) {
    const rps = meanRps(fn, trace.binSeconds);
    const serviceMs = meanServiceMs(fn, options.sim);
    if (rps <= 0 || serviceMs < options.minServiceMs) continue;
    const load = (rps * serviceMs) / 1000 / concurrency;
    for (const target of options.targetLoads) {
      const rateScale = target / load;
      if (rps * rateScale > options.maxMeanRps) continue;
      pool.push({ fn, binSeconds: trace.binSeconds, rateScale, sloP95Ms: sloForFunction(fn, options) });
    }
  }
  return pool;
}

/** Functions ranked by invocations (busiest first), without those in `exclude`. */
export function rankedWithout(trace: Trace, exclude: readonly TraceFunction[]): TraceFunction[] {
  const held = new Set(exclude.map((f) => f.id));
  return rankFunctions(trace).filter((f) => !held.has(f.id));
}
