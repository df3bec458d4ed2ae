import { ArrivalSchedule } from '../../../workload-generator/src/arrivals.js';
import type { ArrivalMode, BinArrivals, ScheduleFunction } from '../../../workload-generator/src/arrivals.js';
import { chiSquareCells, chiSquareFit, poissonPmf } from './chi-square.js';

function allBins(
  functions: ScheduleFunction[],
  mode: ArrivalMode,
  opts: { binSeconds?: number; seed?: string; passes?: number } = {},
): BinArrivals[] {
  const s = new ArrivalSchedule({
    functions,
    binSeconds: opts.binSeconds ?? 60,
    mode,
    seed: opts.seed ?? 'test',
    passes: opts.passes ?? 1,
  });
  const out: BinArrivals[] = [];
  for (let b = s.next(); b !== undefined; b = s.next()) out.push(b);
  return out;
}

function perFunctionCounts(bin: BinArrivals, functions: number): number[] {
  const counts = new Array<number>(functions).fill(0);
  for (const f of bin.functionIndex) counts[f]++;
  return counts;
}

describe('exact arrivals', () => {
  const cases: { name: string; counts: number[][]; want: number[][] }[] = [
    // One function, integer counts: exactly the count in each bin, zero bins stay empty.
    { name: 'integer counts', counts: [[3, 0, 1, 7]], want: [[3], [0], [1], [7]] },
    // Two functions in the same bins are counted separately.
    {
      name: 'two functions',
      counts: [
        [2, 5],
        [4, 0],
      ],
      want: [
        [2, 4],
        [5, 0],
      ],
    },
    // 0.4 per bin (after --rate-scale): round(0.4)=0, round(0.8)=1, round(1.2)=1, round(1.6)=2, round(2.0)=2.
    { name: 'fractional counts, rounding with carry', counts: [[0.4, 0.4, 0.4, 0.4, 0.4]], want: [[0], [1], [0], [1], [0]] },
    // 2.5 then 2.5: round(2.5)=3 (half up), round(5)=5.
    { name: 'halves', counts: [[2.5, 2.5]], want: [[3], [2]] },
  ];
  it.each(cases)('$name', ({ counts, want }) => {
    const functions = counts.map((c, i) => ({ id: `f${i}`, counts: c }));
    const got = allBins(functions, 'exact').map((b) => perFunctionCounts(b, functions.length));
    expect(got).toEqual(want);
  });

  it('keeps every prefix within half a request of the scaled trace and the total at round(total)', () => {
    const counts = [0.3, 1.7, 0.05, 2.2, 0.9, 0.9, 0.9, 3.33, 0, 0.5];
    let target = 0;
    let sent = 0;
    for (const [k, bin] of allBins([{ id: 'x', counts }], 'exact').entries()) {
      target += counts[k];
      sent += bin.times.length;
      expect({ bin: k, within: Math.abs(sent - target) <= 0.5 + 1e-9 }).toEqual({ bin: k, within: true });
    }
    expect(sent).toBe(Math.round(counts.reduce((a, b) => a + b, 0)));
  });

  it('spreads a bin evenly: arrivals at the centres of equal slots', () => {
    const [b0, b1] = allBins([{ id: 'x', counts: [4, 2] }], 'exact', { binSeconds: 60 });
    expect(Array.from(b0.times)).toEqual([7.5, 22.5, 37.5, 52.5]);
    expect(Array.from(b1.times)).toEqual([75, 105]);
    expect([b0.startSeconds, b1.startSeconds]).toEqual([0, 60]);
  });

  it('merges functions in time order', () => {
    const [bin] = allBins(
      [
        { id: 'a', counts: [3] },
        { id: 'b', counts: [2] },
      ],
      'exact',
      { binSeconds: 6 },
    );
    expect(Array.from(bin.times)).toEqual([1, 1.5, 3, 4.5, 5]);
    expect(Array.from(bin.functionIndex)).toEqual([0, 1, 0, 1, 0]);
  });
});

describe('poisson arrivals', () => {
  it('draws bin counts that pass a chi-square test against Poisson(count) (fixed seed)', () => {
    // 400 bins of mean 12: the per-bin counts should be Poisson(12).
    const lambda = 12;
    const bins = allBins([{ id: 'p', counts: new Array(400).fill(lambda) }], 'poisson', { seed: 'chi-square-1' });
    const fit = chiSquareFit(
      bins.map((b) => b.times.length),
      poissonPmf(lambda),
    );
    expect({ pValue: fit.pValue > 0.01, df: fit.degreesOfFreedom >= 8 }).toEqual({ pValue: true, df: true });
  });

  it('the same test rejects exact arrivals (it has the power to fail)', () => {
    const bins = allBins([{ id: 'p', counts: new Array(400).fill(12) }], 'exact');
    const fit = chiSquareFit(
      bins.map((b) => b.times.length),
      poissonPmf(12),
    );
    expect(fit.pValue).toBeLessThan(1e-6);
  });

  it('places arrivals uniformly inside the bin (chi-square on tenths of the bin)', () => {
    const bins = allBins([{ id: 'u', counts: new Array(50).fill(40) }], 'poisson', { binSeconds: 10, seed: 'uniform-1' });
    const cells = new Array<number>(10).fill(0);
    let n = 0;
    for (const b of bins) {
      for (const t of b.times) {
        const offset = t - b.startSeconds;
        expect(offset >= 0 && offset < 10).toBe(true);
        cells[Math.floor(offset)]++;
        n++;
      }
    }
    expect(chiSquareCells(cells, new Array(10).fill(n / 10)).pValue).toBeGreaterThan(0.01);
  });

  it('treats a fractional count as the mean (no rounding to zero)', () => {
    const bins = allBins([{ id: 'low', counts: new Array(2000).fill(0.25) }], 'poisson', { seed: 'low' });
    const total = bins.reduce((s, b) => s + b.times.length, 0);
    // Mean 500, sd 22: within 5 sd.
    expect(Math.abs(total - 500)).toBeLessThan(5 * Math.sqrt(500));
  });

  it('is reproducible from the seed, and one function does not change another', () => {
    const alone = allBins([{ id: 'a', counts: [30, 30] }], 'poisson', { seed: 's' });
    const again = allBins([{ id: 'a', counts: [30, 30] }], 'poisson', { seed: 's' });
    const withB = allBins(
      [
        { id: 'a', counts: [30, 30] },
        { id: 'b', counts: [50, 5] },
      ],
      'poisson',
      { seed: 's' },
    );
    const otherSeed = allBins([{ id: 'a', counts: [30, 30] }], 'poisson', { seed: 't' });
    const timesOfA = (bins: BinArrivals[]): number[] => bins.flatMap((b) => Array.from(b.times).filter((_, i) => b.functionIndex[i] === 0));
    expect(timesOfA(again)).toEqual(timesOfA(alone));
    expect(timesOfA(withB)).toEqual(timesOfA(alone));
    expect(timesOfA(otherSeed)).not.toEqual(timesOfA(alone));
  });
});

describe('passes', () => {
  it('repeats the trace, continuing time and the random streams', () => {
    const bins = allBins([{ id: 'a', counts: [2, 1] }], 'exact', { passes: 3 });
    expect(bins.map((b) => [b.index, b.pass, b.bin, b.startSeconds, b.times.length])).toEqual([
      [0, 0, 0, 0, 2],
      [1, 0, 1, 60, 1],
      [2, 1, 0, 120, 2],
      [3, 1, 1, 180, 1],
      [4, 2, 0, 240, 2],
      [5, 2, 1, 300, 1],
    ]);
  });

  it('loops forever with passes = Infinity', () => {
    const s = new ArrivalSchedule({ functions: [{ id: 'a', counts: [1] }], binSeconds: 1, mode: 'exact', seed: 1, passes: Infinity });
    let last: BinArrivals | undefined;
    for (let i = 0; i < 1000; i++) last = s.next();
    expect(last?.index).toBe(999);
    expect(s.totalBins).toBe(Infinity);
  });

  it('has no bins for an empty trace', () => {
    const s = new ArrivalSchedule({ functions: [], binSeconds: 60, mode: 'poisson', seed: 1, passes: Infinity });
    expect(s.next()).toBeUndefined();
  });
});
