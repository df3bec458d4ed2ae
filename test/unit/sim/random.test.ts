/**
 * The simulator's random streams: Poisson counts with the right mean and variance over the whole
 * range of bin counts a trace has (fractions to hundreds per bin), keyed streams that repeat and
 * differ, and ln Γ against exact values.
 */
import { Random } from '../../../operator/src/sim/random.js';

describe('Random.poisson', () => {
  const cases: Array<{ name: string; mean: number }> = [
    { name: 'a fraction per bin (rate-scaled rare function)', mean: 0.3 },
    { name: 'a few per bin (inversion)', mean: 4 },
    { name: 'just below the PTRS switch', mean: 9.99 },
    { name: 'just at the PTRS switch', mean: 10 },
    { name: 'the busiest function per minute (PTRS)', mean: 570 },
  ];
  it.each(cases)('$name: mean and variance equal $mean', ({ mean }) => {
    const rng = new Random(42, 9, 0);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let notCounts = 0;
    for (let i = 0; i < n; i++) {
      const k = rng.poisson(mean);
      if (!Number.isInteger(k) || k < 0) notCounts++;
      sum += k;
      sumSq += k * k;
    }
    const m = sum / n;
    const v = sumSq / n - m * m;
    // Standard error of the mean is sqrt(mean / n); of the variance about mean·sqrt(2/n).
    expect({
      notCounts,
      mean: Math.abs(m - mean) / Math.sqrt(mean / n) < 5,
      variance: Math.abs(v / mean - 1) < 5 * Math.sqrt(2 / n) + 0.01,
    }).toEqual({ notCounts: 0, mean: true, variance: true });
  });

  it('gives 0 for a mean of 0 (an empty bin)', () => {
    expect(new Random(1).poisson(0)).toBe(0);
  });
});

describe('keyed streams', () => {
  const draw = (seed: number, stream: number, index: number): number[] => {
    const rng = new Random(seed, stream, index);
    return Array.from({ length: 5 }, () => rng.nextUint32());
  };
  it('repeat for the same key', () => {
    expect(draw(7, 1, 3)).toEqual(draw(7, 1, 3));
  });
  it.each([
    { name: 'seed', other: [8, 1, 3] },
    { name: 'stream', other: [7, 2, 3] },
    { name: 'bin index', other: [7, 1, 4] },
    { name: 'seed beyond 32 bits', other: [7 + 2 ** 32, 1, 3] },
  ])('differ when the $name differs', ({ other }) => {
    expect(draw(other[0], other[1], other[2])).not.toEqual(draw(7, 1, 3));
  });
  it('uniform() stays strictly inside (0, 1)', () => {
    const rng = new Random(3);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min > 0 && max < 1).toBe(true);
  });
});
