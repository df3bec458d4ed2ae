import { LatencyHistogram } from '../../../workload-generator/src/histogram.js';
import { Rng } from '#kernel/rng.js';

describe('LatencyHistogram', () => {
  it('reports nulls when empty', () => {
    expect(new LatencyHistogram().summary()).toEqual({
      count: 0,
      mean: null,
      min: null,
      p50: null,
      p90: null,
      p95: null,
      p99: null,
      p999: null,
      max: null,
    });
  });

  it('gives quantiles within 0.5 % of the exact nearest-rank values, and exact min, max, mean', () => {
    const rng = new Rng('hist');
    const h = new LatencyHistogram();
    // Lognormal latencies around 20 ms with a heavy tail, as a gateway would show.
    const xs = Array.from({ length: 20_000 }, () => 20 * Math.exp(1.2 * rng.normal()));
    for (const x of xs) h.record(x);
    const sorted = [...xs].sort((a, b) => a - b);
    const exact = (q: number): number => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const got = h.quantile(q)!;
      expect({ q, relErrorOk: Math.abs(got / exact(q) - 1) <= 0.005 }).toEqual({ q, relErrorOk: true });
    }
    const s = h.summary();
    expect(s.min).toBeCloseTo(sorted[0], 3);
    expect(s.max).toBeCloseTo(sorted[sorted.length - 1], 3);
    expect(s.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 2);
  });

  it('clamps quantiles to the observed range and records 0 and negatives as 0', () => {
    const h = new LatencyHistogram();
    h.record(-3);
    h.record(0);
    h.record(5);
    expect([h.quantile(0.1), h.quantile(1), h.summary().min]).toEqual([0, 5, 0]);
  });
});
