import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTHETIC_DEFAULTS, generateTrace, inverseNormalCdf, writeAzure2019Folder } from '../../../workload-generator/src/synthetic.js';
import type { SyntheticOptions } from '../../../workload-generator/src/synthetic.js';
import { loadTrace } from '#kernel/traces/index.js';

const base: SyntheticOptions = { ...SYNTHETIC_DEFAULTS, seed: 'unit', functions: 4, minutes: 1440 };

describe('generateTrace', () => {
  it('is reproducible from its seed', () => {
    expect(generateTrace(base)).toEqual(generateTrace(base));
    expect(generateTrace({ ...base, seed: 'other' }).functions[0].counts).not.toEqual(generateTrace(base).functions[0].counts);
  });

  it('has a daily cycle: the peak hours are busier than the trough by about (1+a)/(1−a)', () => {
    const t = generateTrace({ ...base, functions: 20, spread: 0, burstsPerDay: 0, diurnalAmplitude: 0.6, peakMinute: 720 });
    const sumOver = (from: number, to: number): number =>
      t.functions.reduce((s, f) => s + f.counts.slice(from, to).reduce((a, b) => a + b, 0), 0);
    const peak = sumOver(660, 780); // 11:00–13:00 around the noon peak
    const trough = sumOver(0, 60) + sumOver(1380, 1440); // 23:00–01:00
    // (1 + 0.6) / (1 − 0.6) = 4 at the extremes; two-hour windows and ±1 h jitter of each peak blur it.
    expect(peak / trough).toBeGreaterThan(2.5);
    expect(peak / trough).toBeLessThan(5);
  });

  it('has bursts: with a large factor the busiest minute stands far above the flat mean', () => {
    const flat = { ...base, functions: 1, spread: 0, diurnalAmplitude: 0, meanPerMinute: 50 };
    const quiet = generateTrace({ ...flat, burstsPerDay: 0 }).functions[0].counts;
    const bursty = generateTrace({ ...flat, burstsPerDay: 6, burstFactor: 10 }).functions[0].counts;
    expect(Math.max(...quiet)).toBeLessThan(100); // Poisson(50) never reaches 2× in a day
    expect(Math.max(...bursty)).toBeGreaterThan(300);
  });

  it('matches lognormal quantiles in the durations profile', () => {
    const d = generateTrace(base).functions[0].profile.durations!;
    expect(d.percentilesMs[50]).toBeGreaterThanOrEqual(20);
    expect(d.percentilesMs[50]).toBeLessThanOrEqual(2000);
    expect(d.percentilesMs[75] / d.percentilesMs[50]).toBeCloseTo(Math.exp(0.6 * 0.6744897501960817), 6);
  });

  it('inverseNormalCdf matches known quantiles', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963985, 7);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232306, 7);
  });
});

describe('writeAzure2019Folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loadgen-synthetic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a complete folder that loadTrace reads back unchanged', async () => {
    const written = generateTrace({ ...base, minutes: 120, startMinute: 481 });
    await writeAzure2019Folder(written, dir);
    const read = await loadTrace({ trace: dir });
    expect(read.format).toBe('azure2019');
    expect(read.binSeconds).toBe(60);
    expect(read.startOffsetSeconds).toBe(480 * 60);
    expect(read.functions.map((f) => [f.id, f.owner, f.app, f.trigger, f.counts])).toEqual(
      written.functions.map((f) => [f.id, f.owner, f.app, f.trigger, f.counts]),
    );
    for (const [i, f] of read.functions.entries()) {
      const want = written.functions[i].profile;
      // The files hold whole milliseconds and MB to 3 decimals, as the dataset does.
      expect(f.profile.durations?.count).toBe(want.durations!.count);
      expect(Math.abs(f.profile.durations!.percentilesMs[50] - want.durations!.percentilesMs[50])).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.profile.memory!.averageAllocatedMb - want.memory!.averageAllocatedMb)).toBeLessThanOrEqual(0.0005);
    }
  });
});
