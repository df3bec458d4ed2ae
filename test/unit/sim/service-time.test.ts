/**
 * Service times: the lognormal fit to Azure duration profiles (method in service-time.ts), its
 * handling of zeros and missing data, and that draws follow the model.
 */
import type { DurationProfileMs } from '#kernel/traces/types.js';
import { Random } from '../../../operator/src/sim/random.js';
import { DEFAULT_MISSING_PROFILE, drawServiceSeconds, fitLognormal, resolveServiceTime } from '../../../operator/src/sim/service-time.js';

const profile = (averageMs: number, p: [number, number, number, number, number]): DurationProfileMs => ({
  averageMs,
  count: 1000,
  minimumMs: 0,
  maximumMs: p[4] * 10,
  percentilesMs: { 0: 0, 1: p[0], 25: p[1], 50: p[2], 75: p[3], 99: p[4], 100: p[4] * 10 },
});

const Z99 = 2.3263478740408408;
const Z75 = 0.6744897501960817;

describe('fitLognormal', () => {
  it('recovers an exact lognormal from its quantiles (and keeps its mean)', () => {
    const mu = Math.log(800);
    const sigma = 0.4;
    const q = (z: number): number => Math.exp(mu + sigma * z);
    const mean = Math.exp(mu + (sigma * sigma) / 2);
    const fit = fitLognormal(profile(mean, [q(-Z99), q(-Z75), q(0), q(Z75), q(Z99)]), 1);
    expect([fit.mu, fit.sigma, fit.meanMs]).toEqual([expect.closeTo(mu, 9), expect.closeTo(sigma, 9), mean]);
  });

  it('matches the mean to Average, spread from the quantiles (busiest function of the slice)', () => {
    // rank:1 of the Azure 2019 slice: Average 928, p1 550, p25 713, p50 816, p75 979, p99 2626.
    const fit = fitLognormal(profile(928, [550, 713, 816, 979, 2626]), 1);
    expect(Math.exp(fit.mu + (fit.sigma * fit.sigma) / 2)).toBeCloseTo(928, 6);
    expect(fit.sigma).toBeGreaterThan(0.2);
    expect(fit.sigma).toBeLessThan(0.5);
    expect(fit.source).toMatch(/mean matched to Average 928 ms/);
  });

  it('floors zero percentiles at minServiceMs instead of taking log(0)', () => {
    // A real row of the slice: Average 71, percentiles 0, 0, 0, 1, 1265.
    const fit = fitLognormal(profile(71, [0, 0, 0, 1, 1265]), 1);
    expect(Number.isFinite(fit.mu) && Number.isFinite(fit.sigma)).toBe(true);
    expect(fit.meanMs).toBe(71);
  });

  it('uses the regression intercept when there is no Average', () => {
    const fit = fitLognormal({ ...profile(0, [100, 100, 100, 100, 100]), averageMs: Number.NaN }, 1);
    expect([fit.mu, fit.sigma]).toEqual([expect.closeTo(Math.log(100), 12), 0]);
  });
});

describe('resolveServiceTime', () => {
  it.each([
    {
      name: 'no profile → documented default',
      spec: { kind: 'profile' } as const,
      profile: undefined,
      meanMs: DEFAULT_MISSING_PROFILE.meanMs,
      source: /default/,
    },
    {
      name: 'explicit exponential',
      spec: { kind: 'exponential', meanMs: 250 } as const,
      profile: undefined,
      meanMs: 250,
      source: /exponential/,
    },
    {
      name: 'explicit deterministic',
      spec: { kind: 'deterministic', ms: 40 } as const,
      profile: undefined,
      meanMs: 40,
      source: /deterministic/,
    },
    {
      name: 'explicit lognormal',
      spec: { kind: 'lognormal', mu: Math.log(100), sigma: 1 } as const,
      profile: undefined,
      meanMs: 100 * Math.exp(0.5),
      source: /lognormal/,
    },
  ])('$name', ({ spec, profile: p, meanMs, source }) => {
    const model = resolveServiceTime(spec, p, 1);
    expect(model.meanMs).toBeCloseTo(meanMs, 9);
    expect(model.source).toMatch(source);
  });
});

describe('drawServiceSeconds', () => {
  it.each([
    { name: 'lognormal', spec: { kind: 'lognormal', mu: Math.log(500), sigma: 0.5 } as const },
    { name: 'exponential', spec: { kind: 'exponential', meanMs: 300 } as const },
  ])('$name: sample mean matches the model mean', ({ spec }) => {
    const model = resolveServiceTime(spec, undefined, 1);
    const rng = new Random(5);
    const n = 200_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += drawServiceSeconds(model, rng, 1);
    expect(Math.abs((sum / n) * 1000 - model.meanMs) / model.meanMs).toBeLessThan(0.01);
  });

  it('never draws below minServiceMs', () => {
    const model = resolveServiceTime({ kind: 'lognormal', mu: 0, sigma: 3 }, undefined, 1);
    const rng = new Random(6);
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 10_000; i++) min = Math.min(min, drawServiceSeconds(model, rng, 1));
    expect(min).toBe(0.001);
  });
});
