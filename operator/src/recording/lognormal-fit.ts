/**
 * Maximum-likelihood lognormal from histogram bucket counts (interval-censored data).
 *
 * The gateway's histogram says only how many requests fell between two bucket bounds
 * (.005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 s). Fitting a lognormal to quantiles interpolated from
 * those buckets (histogram_quantile) would fit the interpolation, not the data: inside a bucket
 * the interpolation is linear, so the P50 of a 200 ms median function comes out wherever the
 * bucket's counts put it between 100 and 250 ms. The likelihood of interval-censored data uses the
 * counts exactly:
 *
 *   log L(μ, σ) = Σ_k n_k · ln( Φ((ln b_k − μ)/σ) − Φ((ln b_{k−1} − μ)/σ) )
 *
 * with n_k the count in (b_{k−1}, b_k], b_{−1} = 0 (Φ = 0) and b_K = +Inf (Φ = 1), μ and σ of the
 * natural log of the latency in seconds. It is maximised by Nelder–Mead over (μ, ln σ) from the
 * quantile-based start; standard errors come from the observed information (numerical Hessian).
 */
import type { HistogramBucket } from '../metrics/types.js';
import { histogramQuantile } from '../metrics/observation.js';

export interface LognormalFit {
  /** Of ln(latency in ms), as the simulator's `serviceTime: {kind: 'lognormal', mu, sigma}` wants. */
  mu: number;
  sigma: number;
  /** Standard errors of mu and sigma (observed information); NaN when not estimable. */
  muStdErr: number;
  sigmaStdErr: number;
  observations: number;
  logLikelihood: number;
}

/** Per-bucket (non-cumulative) counts from cumulative buckets ending with +Inf. */
export function bucketCounts(buckets: readonly HistogramBucket[]): { upper: number; count: number }[] {
  const out: { upper: number; count: number }[] = [];
  let previous = 0;
  for (const b of buckets) {
    out.push({ upper: b.le, count: Math.max(0, b.count - previous) });
    previous = Math.max(previous, b.count);
  }
  return out;
}

/**
 * Fits a lognormal to cumulative bucket counts (summed over the intervals chosen by the caller).
 * Returns null with fewer than 2 non-empty buckets' worth of information (all counts in one bucket
 * say only that the latency lies between two bounds).
 */
export function fitLognormalToBuckets(buckets: readonly HistogramBucket[]): LognormalFit | null {
  const bins = bucketCounts(buckets);
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (total <= 0 || bins.filter((b) => b.count > 0).length < 2) return null;
  const lower = bins.map((_, i) => (i === 0 ? 0 : bins[i - 1].upper));
  const negLogLik = (mu: number, sigma: number): number => {
    if (!(sigma > 0)) return Number.POSITIVE_INFINITY;
    let ll = 0;
    for (let i = 0; i < bins.length; i++) {
      const n = bins[i].count;
      if (n === 0) continue;
      const p = intervalProbability(lower[i], bins[i].upper, mu, sigma);
      ll += n * Math.log(Math.max(p, 1e-300));
    }
    return -ll;
  };
  // Start from the interpolated quartiles (in seconds, natural log).
  const q = (p: number): number => histogramQuantile(p, buckets);
  const q25 = q(0.25);
  const q50 = q(0.5);
  const q75 = q(0.75);
  const mu0 = Math.log(q50 > 0 ? q50 : 0.001);
  const sigma0 = q25 > 0 && q75 > q25 ? (Math.log(q75) - Math.log(q25)) / 1.3489795003921634 : 0.5;
  const best = nelderMead(([m, ls]) => negLogLik(m, Math.exp(ls)), [mu0, Math.log(Math.max(sigma0, 0.05))]);
  const mu = best.x[0];
  const sigma = Math.exp(best.x[1]);
  const [muVar, sigmaVar] = inverseHessianDiagonal((m, s) => negLogLik(m, s), mu, sigma);
  return {
    mu: mu + Math.log(1000),
    sigma,
    muStdErr: Math.sqrt(muVar),
    sigmaStdErr: Math.sqrt(sigmaVar),
    observations: total,
    logLikelihood: -best.value,
  };
}

/** P(lower < X ≤ upper) for ln X ~ N(mu, sigma²), computed on the side of the median that keeps precision. */
export function intervalProbability(lower: number, upper: number, mu: number, sigma: number): number {
  const zl = lower <= 0 ? Number.NEGATIVE_INFINITY : (Math.log(lower) - mu) / sigma;
  const zu = upper === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : (Math.log(upper) - mu) / sigma;
  // In the upper tail, 1 − Φ differences lose nothing; in the lower tail, Φ differences.
  if (zl > 0) return upperTail(zl) - upperTail(zu);
  return normalCdf(zu) - normalCdf(zl);
}

/** Φ(z). */
export function normalCdf(z: number): number {
  if (z === Number.NEGATIVE_INFINITY) return 0;
  if (z === Number.POSITIVE_INFINITY) return 1;
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** 1 − Φ(z). */
function upperTail(z: number): number {
  if (z === Number.POSITIVE_INFINITY) return 0;
  if (z === Number.NEGATIVE_INFINITY) return 1;
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function, fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Nelder–Mead minimisation (standard coefficients), for the two-parameter fits here. */
export function nelderMead(
  f: (x: number[]) => number,
  start: number[],
  opts: { step?: number; tolerance?: number; maxIterations?: number } = {},
): { x: number[]; value: number } {
  const n = start.length;
  const step = opts.step ?? 0.1;
  const tol = opts.tolerance ?? 1e-10;
  const maxIt = opts.maxIterations ?? 2000;
  let simplex = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i] += step;
    simplex.push(p);
  }
  let values = simplex.map(f);
  for (let it = 0; it < maxIt; it++) {
    const order = values
      .map((v, i) => [v, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i]) => i);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) <= tol * (Math.abs(values[0]) + tol)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let d = 0; d < n; d++) centroid[d] += simplex[i][d] / n;
    const along = (t: number): number[] => centroid.map((c, d) => c + t * (simplex[n][d] - c));
    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < values[0]) {
      const expanded = along(-2);
      const fe = f(expanded);
      if (fe < fr) [simplex[n], values[n]] = [expanded, fe];
      else [simplex[n], values[n]] = [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = f(contracted);
      if (fc < Math.min(fr, values[n])) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, d) => simplex[0][d] + 0.5 * (v - simplex[0][d]));
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { x: simplex[bestIndex], value: values[bestIndex] };
}

/** Diagonal of the inverse Hessian of f(a, b) at (a, b) by central differences: the variances. */
function inverseHessianDiagonal(f: (a: number, b: number) => number, a: number, b: number): [number, number] {
  const ha = 1e-4 * Math.max(1, Math.abs(a));
  const hb = 1e-4 * Math.max(1e-3, Math.abs(b));
  const f0 = f(a, b);
  const faa = (f(a + ha, b) - 2 * f0 + f(a - ha, b)) / (ha * ha);
  const fbb = (f(a, b + hb) - 2 * f0 + f(a, b - hb)) / (hb * hb);
  const fab = (f(a + ha, b + hb) - f(a + ha, b - hb) - f(a - ha, b + hb) + f(a - ha, b - hb)) / (4 * ha * hb);
  const det = faa * fbb - fab * fab;
  if (!(det > 0)) return [Number.NaN, Number.NaN];
  return [fbb / det, faa / det];
}
