import { Rng, hash53, logFactorial } from '#kernel/rng.js';

describe('Rng', () => {
  it('gives equal streams for equal keys and different streams for different keys', () => {
    const draw = (key: string): number[] => {
      const r = new Rng(key);
      return Array.from({ length: 5 }, () => r.nextUint32());
    };
    expect(draw('seed-1')).toEqual(draw('seed-1'));
    expect(draw('seed-1')).not.toEqual(draw('seed-2'));
    expect(hash53('a')).not.toBe(hash53('b'));
  });

  it('draws uniforms in [0, 1) with the right mean and variance', () => {
    const r = new Rng(7);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u;
      sq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = sum / n;
    // Standard error of the mean is sqrt(1/12/n) ≈ 0.0009: 0.005 is more than five of them.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.003);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  const poissonCases: { mean: number; why: string }[] = [
    { mean: 0.3, why: 'fractional counts after --rate-scale' },
    { mean: 4, why: 'Knuth branch' },
    { mean: 29.5, why: 'just below the switch' },
    { mean: 30, why: 'PTRS branch from here' },
    { mean: 700, why: 'a busy minute of the 2019 trace' },
  ];
  it.each(poissonCases)('poisson($mean) has mean and variance $mean ($why)', ({ mean }) => {
    const r = new Rng(`poisson-${mean}`);
    const n = 20_000;
    const xs = Array.from({ length: n }, () => r.poisson(mean));
    const m = xs.reduce((a, b) => a + b, 0) / n;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    // Six standard errors of the mean (sqrt(mean/n)); the variance within 6 %.
    expect({ mean: Math.abs(m - mean) < 6 * Math.sqrt(mean / n), variance: Math.abs(v / mean - 1) < 0.06 }).toEqual({
      mean: true,
      variance: true,
    });
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
  });

  it('poisson(0) and poisson(negative) are 0', () => {
    const r = new Rng(1);
    expect([r.poisson(0), r.poisson(-1)]).toEqual([0, 0]);
  });

  it('exponential(rate) has mean 1/rate', () => {
    const r = new Rng('exp');
    const n = 50_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += r.exponential(4);
    expect(Math.abs(sum / n - 0.25)).toBeLessThan((6 * 0.25) / Math.sqrt(n));
  });

  it('logFactorial is exact in the table and close beyond', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(5)).toBeCloseTo(Math.log(120), 12);
    let exact = 0;
    for (let i = 2; i <= 300; i++) exact += Math.log(i);
    expect(logFactorial(300)).toBeCloseTo(exact, 8);
  });
});
