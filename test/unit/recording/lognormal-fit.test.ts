/** Maximum likelihood on bucket counts: exact on expected counts, within its standard error on samples. */
import { GATEWAY_LATENCY_BUCKETS_SECONDS } from '../../../operator/src/metrics/observation.js';
import type { HistogramBucket } from '../../../operator/src/metrics/types.js';
import { erfc, fitLognormalToBuckets, intervalProbability, normalCdf } from '../../../operator/src/recording/lognormal-fit.js';
import { Random } from '../../../operator/src/sim/random.js';

const BOUNDS = [...GATEWAY_LATENCY_BUCKETS_SECONDS, Number.POSITIVE_INFINITY];

/** Cumulative gateway buckets of `n` requests, expected (exact) counts of a lognormal (mu, sigma of ln ms). */
function expectedBuckets(n: number, muMs: number, sigma: number): HistogramBucket[] {
  const mu = muMs - Math.log(1000);
  return BOUNDS.map((le) => ({ le, count: n * normalCdf(le === Number.POSITIVE_INFINITY ? Infinity : (Math.log(le) - mu) / sigma) }));
}

function sampledBuckets(n: number, muMs: number, sigma: number, seed: number): HistogramBucket[] {
  const rng = new Random(seed, 1, 1);
  const counts = new Array<number>(BOUNDS.length).fill(0);
  for (let i = 0; i < n; i++) {
    const seconds = Math.exp(muMs + sigma * rng.normal()) / 1000;
    counts[BOUNDS.findIndex((le) => seconds <= le)]++;
  }
  let cumulative = 0;
  return BOUNDS.map((le, i) => ({ le, count: (cumulative += counts[i]) }));
}

it('erfc and Φ match reference values to 1e-7', () => {
  // [x, erfc(x)] from tables.
  for (const [x, want] of [
    [0, 1],
    [0.5, 0.4795001222],
    [1, 0.1572992071],
    [2, 0.004677735],
    [-1, 1.8427007929],
  ])
    expect(erfc(x)).toBeCloseTo(want, 7);
  expect(normalCdf(1.6448536269514722)).toBeCloseTo(0.95, 7);
  // The buckets' probabilities cover everything once.
  const total = BOUNDS.reduce((s, le, i) => s + intervalProbability(i === 0 ? 0 : BOUNDS[i - 1], le, Math.log(0.2), 0.5), 0);
  expect(total).toBeCloseTo(1, 9);
});

describe('fitLognormalToBuckets', () => {
  it.each([
    // [median ms, sigma]: the round trip's profile, a fast narrow one, a slow wide one
    [200, 0.5],
    [12, 0.3],
    [900, 1.2],
  ])('recovers median %d ms, sigma %d from expected counts exactly', (medianMs, sigma) => {
    const fit = fitLognormalToBuckets(expectedBuckets(10_000, Math.log(medianMs), sigma))!;
    expect(Math.exp(fit.mu)).toBeCloseTo(medianMs, 1);
    expect(fit.sigma).toBeCloseTo(sigma, 4);
  });

  it('on 1,000 sampled requests lands within 3 standard errors, and the errors are sane', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const fit = fitLognormalToBuckets(sampledBuckets(1000, Math.log(200), 0.5, seed))!;
      expect(Math.abs(fit.mu - Math.log(200))).toBeLessThan(3 * fit.muStdErr);
      expect(Math.abs(fit.sigma - 0.5)).toBeLessThan(3 * fit.sigmaStdErr);
      // Coarse buckets cost information: the error is above the uncensored σ/√(2n), not far above.
      expect(fit.sigmaStdErr).toBeGreaterThan(0.5 / Math.sqrt(2000));
      expect(fit.sigmaStdErr).toBeLessThan(3 * (0.5 / Math.sqrt(2000)));
    }
  });

  it('refuses data that fills a single bucket (it only says "between two bounds")', () => {
    expect(fitLognormalToBuckets(BOUNDS.map((le) => ({ le, count: le >= 0.25 ? 50 : 0 })))).toBeNull();
    expect(fitLognormalToBuckets(BOUNDS.map((le) => ({ le, count: 0 })))).toBeNull();
  });
});
