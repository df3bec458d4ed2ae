/**
 * Service-time distributions: how long one request keeps one replica slot busy.
 *
 * The default fits a lognormal to the function's Azure duration profile (see `fitLognormal` for
 * the method and its caveats). Tests use an exponential (M/M/c), and calibration from recorded
 * metrics will give explicit lognormal parameters.
 */
import type { DurationProfileMs } from '#kernel/traces/types.js';
import type { Random } from './random.js';

export type ServiceTimeSpec =
  /** Fit a lognormal to the trace's duration profile (the default). */
  | { kind: 'profile' }
  /** Lognormal with `mu`, `sigma` of ln(service time in ms): median e^mu ms. */
  | { kind: 'lognormal'; mu: number; sigma: number }
  /** Exponential with the given mean (for M/M/c checks). */
  | { kind: 'exponential'; meanMs: number }
  /** Every request takes exactly `ms`. */
  | { kind: 'deterministic'; ms: number };

/** A resolved distribution with its provenance, for the README, the logs and the tests. */
export interface ServiceTimeModel {
  kind: 'lognormal' | 'exponential' | 'deterministic';
  /** Lognormal parameters of ln(ms); for the other kinds mu = ln(mean), sigma = 0. */
  mu: number;
  sigma: number;
  meanMs: number;
  /** Where the numbers came from, one line (e.g. "profile p1..p99, mean matched to Average 928 ms"). */
  source: string;
}

/**
 * Used when a function has no duration profile: the median of the whole-day average execution
 * times of the 250-function Azure 2019 slice is 604 ms (traces/PROVENANCE.md), and sigma 1 is a
 * moderate per-request spread (p99/p50 ≈ 10).
 */
export const DEFAULT_MISSING_PROFILE = { meanMs: 600, sigma: 1 } as const;

/** Standard normal quantiles of the percentiles the Azure 2019 profile gives (1, 25, 50, 75, 99). */
const PROFILE_Z: ReadonlyArray<readonly [percent: number, z: number]> = [
  [1, -2.3263478740408408],
  [25, -0.6744897501960817],
  [50, 0],
  [75, 0.6744897501960817],
  [99, 2.3263478740408408],
];

/**
 * Lognormal fitted to a duration profile:
 *
 *  1. sigma: ordinary least squares of ln(q_p) on the normal score z_p over p = 1, 25, 50, 75, 99.
 *     Five quantiles weigh the body and both tails; a two-point fit (p50, p99) rests everything on
 *     the p99 of 30-second averages, the noisiest number in the row. p0 and p100 are left out (the
 *     minimum and maximum of a day, and p0 is often 0).
 *  2. mu: chosen so that the mean e^(mu + sigma²/2) equals the profile's `Average`, because the
 *     mean service time sets the offered load (arrival rate × mean) and so the replicas needed; the
 *     trace's Average is the per-invocation mean, the best number for it. Without an Average, mu is
 *     the regression's intercept.
 *
 * Zeros: many functions report 0 ms percentiles (sub-millisecond work rounded down); every
 * quantile and the mean are floored at `minServiceMs` before taking logs.
 *
 * Caveat (say it wherever results are reported): the 2019 percentiles are of 30-second *averages*
 * of the execution time, not of single requests, so the spread of single requests is understated
 * (averaging n requests shrinks it) and cold starts are excluded. Calibration from recorded
 * metrics replaces this fit where it matters.
 */
export function fitLognormal(profile: DurationProfileMs, minServiceMs: number): ServiceTimeModel {
  const points: Array<[z: number, logMs: number]> = [];
  for (const [percent, z] of PROFILE_Z) {
    const q = profile.percentilesMs[percent];
    if (typeof q === 'number' && Number.isFinite(q)) points.push([z, Math.log(Math.max(q, minServiceMs))]);
  }
  const hasAverage = Number.isFinite(profile.averageMs) && profile.averageMs > 0;
  if (points.length < 2) {
    if (!hasAverage) return defaultModel('profile has neither percentiles nor an average');
    const meanMs = Math.max(profile.averageMs, minServiceMs);
    const sigma = DEFAULT_MISSING_PROFILE.sigma;
    return {
      kind: 'lognormal',
      mu: Math.log(meanMs) - (sigma * sigma) / 2,
      sigma,
      meanMs,
      source: `profile Average ${meanMs} ms, default sigma ${sigma}`,
    };
  }
  const zMean = points.reduce((s, [z]) => s + z, 0) / points.length;
  const yMean = points.reduce((s, [, y]) => s + y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [z, y] of points) {
    sxy += (z - zMean) * (y - yMean);
    sxx += (z - zMean) * (z - zMean);
  }
  const sigma = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const interceptMu = yMean - sigma * zMean;
  if (hasAverage) {
    const meanMs = Math.max(profile.averageMs, minServiceMs);
    const mu = Math.log(meanMs) - (sigma * sigma) / 2;
    return {
      kind: 'lognormal',
      mu,
      sigma,
      meanMs,
      source: `least squares on ln p1..p99 (sigma ${round3(sigma)}), mean matched to Average ${meanMs} ms`,
    };
  }
  const meanMs = Math.exp(interceptMu + (sigma * sigma) / 2);
  return { kind: 'lognormal', mu: interceptMu, sigma, meanMs, source: `least squares on ln p1..p99 (sigma ${round3(sigma)}), no Average` };
}

function defaultModel(why: string): ServiceTimeModel {
  const { meanMs, sigma } = DEFAULT_MISSING_PROFILE;
  return {
    kind: 'lognormal',
    mu: Math.log(meanMs) - (sigma * sigma) / 2,
    sigma,
    meanMs,
    source: `default (${why}): mean ${meanMs} ms, sigma ${sigma}`,
  };
}

/** The model a spec stands for, given the function's profile (if any). */
export function resolveServiceTime(spec: ServiceTimeSpec, profile: DurationProfileMs | undefined, minServiceMs: number): ServiceTimeModel {
  switch (spec.kind) {
    case 'profile':
      return profile ? fitLognormal(profile, minServiceMs) : defaultModel('function has no duration profile');
    case 'lognormal':
      return {
        kind: 'lognormal',
        mu: spec.mu,
        sigma: spec.sigma,
        meanMs: Math.exp(spec.mu + (spec.sigma * spec.sigma) / 2),
        source: 'explicit lognormal',
      };
    case 'exponential':
      return { kind: 'exponential', mu: Math.log(spec.meanMs), sigma: 0, meanMs: spec.meanMs, source: 'explicit exponential' };
    case 'deterministic':
      return { kind: 'deterministic', mu: Math.log(spec.ms), sigma: 0, meanMs: spec.ms, source: 'explicit deterministic' };
  }
}

/**
 * P95 of one request's service time under `model`: what one idle replica delivers at best. An SLO
 * below it cannot be met by any number of replicas.
 */
export function serviceTimeP95Ms(model: ServiceTimeModel): number {
  switch (model.kind) {
    case 'lognormal':
      return Math.exp(model.mu + 1.6448536269514722 * model.sigma);
    case 'exponential':
      return model.meanMs * Math.log(20);
    case 'deterministic':
      return model.meanMs;
  }
}

/** Draws one service time in seconds. `minServiceMs` floors lognormal draws (a request is never free). */
export function drawServiceSeconds(model: ServiceTimeModel, rng: Random, minServiceMs: number): number {
  switch (model.kind) {
    case 'lognormal':
      return Math.max(Math.exp(model.mu + model.sigma * rng.normal()), minServiceMs) / 1000;
    case 'exponential':
      return rng.exponential(model.meanMs) / 1000;
    case 'deterministic':
      return model.meanMs / 1000;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
