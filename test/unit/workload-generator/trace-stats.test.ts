import { formatStatsTable, quantile, rateStats, traceStats } from '../../../workload-generator/src/trace-stats.js';
import type { Trace } from '#kernel/traces/types.js';

describe('rateStats', () => {
  it('computes rates, burstiness and idleness by hand-checked example', () => {
    // Counts per 60 s bin: total 24, mean 4, variance (16+16+4+64+16+4)/6 = 20.
    const s = rateStats([0, 0, 6, 12, 0, 6], 60);
    expect(s.total).toBe(24);
    expect(s.meanRps).toBeCloseTo(4 / 60, 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(20) / 4, 12);
    expect(s.dispersion).toBeCloseTo(20 / 4, 12);
    expect(s.peakToMean).toBe(3);
    expect(s.idleFraction).toBe(0.5);
    expect(s.longestIdleSeconds).toBe(120);
    // Sorted 0 0 0 6 6 12: median between 0 and 6 → 3 per bin → 0.05/s; max 12/60.
    expect(s.rateRps.p50).toBeCloseTo(0.05, 12);
    expect(s.rateRps.max).toBeCloseTo(0.2, 12);
  });

  const shapes: { name: string; counts: number[]; cv: number | null; dispersion: number | null; idle: number }[] = [
    { name: 'constant rate: no burstiness', counts: [5, 5, 5, 5], cv: 0, dispersion: 0, idle: 0 },
    { name: 'never invoked: burstiness undefined', counts: [0, 0, 0], cv: null, dispersion: null, idle: 1 },
    { name: 'one burst', counts: [0, 0, 0, 40], cv: Math.sqrt(3), dispersion: 30, idle: 0.75 },
  ];
  it.each(shapes)('$name', ({ counts, cv, dispersion, idle }) => {
    const s = rateStats(counts, 30);
    expect({ cv: s.cv === null ? null : Number(s.cv.toFixed(9)), dispersion: s.dispersion, idle: s.idleFraction }).toEqual({
      cv: cv === null ? null : Number(cv.toFixed(9)),
      dispersion,
      idle,
    });
  });

  it('interpolates quantiles like numpy (type 7)', () => {
    expect([quantile([1, 2, 3, 4], 0.5), quantile([1, 2, 3, 4], 0.9), quantile([7], 0.99), quantile([], 0.5)]).toEqual([2.5, 3.7, 7, 0]);
  });
});

describe('traceStats', () => {
  const trace: Trace = {
    format: 'azure2019',
    source: 'fixture',
    binSeconds: 60,
    startOffsetSeconds: 0,
    functions: [
      { id: 'alpha-func', row: 1, rank: 2, trigger: 'http', counts: [1, 0, 1], profile: {} },
      { id: 'beta-func', row: 2, rank: 1, trigger: 'timer', counts: [2, 2, 2], profile: {} },
    ],
  };

  it('sums the selected functions bin by bin for the aggregate', () => {
    const stats = traceStats(trace, trace.functions);
    expect(stats.aggregate.total).toBe(8);
    expect(stats.aggregate.idleFraction).toBe(0);
    expect(stats.functions.map((f) => [f.id, f.rank, f.total, f.idleFraction])).toEqual([
      ['alpha-func', 2, 2, 1 / 3],
      ['beta-func', 1, 6, 0],
    ]);
  });

  it('prints one table row per function plus the aggregate', () => {
    const lines = formatStatsTable(traceStats(trace, trace.functions)).trimEnd().split('\n');
    expect(lines).toHaveLength(5); // title, header, 2 functions, aggregate
    expect(lines[2]).toMatch(/^rank:2 alpha-func\s+http\s+2\s/);
    expect(lines[4]).toMatch(/^all \(2\)/);
  });
});
