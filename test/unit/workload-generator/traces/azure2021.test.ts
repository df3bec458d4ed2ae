import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTrace, totalInvocations } from '#kernel/traces/index.js';
import { FILE_2021, csvRows, removeFixtures, writeFixture } from './fixtures.js';

afterAll(removeFixtures);

/** Arrival times by function id, computed straight from the file: the oracle for the binning. */
const records = csvRows(readFileSync(FILE_2021, 'utf8')).map(([app, func, end, duration]) => ({
  id: `${app}/${func}`, arrival: Number(end) - Number(duration), durationMs: Number(duration) * 1000,
}));

describe('Azure 2021 sample (traces/azure2021/Azure2021_200.csv)', () => {
  it('has one function per (app, func), ordered by first appearance, bins from t = 0', async () => {
    const trace = await loadTrace({ trace: FILE_2021 });
    const ids = [...new Set(records.map((r) => r.id))];
    expect({ format: trace.format, binSeconds: trace.binSeconds, start: trace.startOffsetSeconds, ids: trace.functions.map((fn) => fn.id), rows: trace.functions.map((fn) => fn.row) })
      .toEqual({ format: 'azure2021', binSeconds: 60, start: 0, ids, rows: ids.map((_, i) => i + 1) });
    expect(ids).toHaveLength(31); // PROVENANCE.md: 31 (app, func) pairs
    expect(trace.functions[0].app).toBe(records[0].id.split('/')[0]);
  });

  it.each([
    // bin width, window: counts must sum to the records whose arrival falls in the window
    [60, undefined, undefined],
    [30, undefined, undefined],
    [1, undefined, undefined],
    [60, '5m', '15m'],
    [30, '90s', '600'],
    [120, '0', '20m'],
  ])('bins of %s s, window [%s, %s): each count is the number of arrivals in its bin', async (binSeconds, from, to) => {
    const trace = await loadTrace({ trace: FILE_2021, binSeconds, from, to });
    const fromSeconds = trace.startOffsetSeconds;
    const bins = trace.functions[0].counts.length;
    for (const fn of trace.functions) {
      const want = new Array<number>(bins).fill(0);
      for (const r of records.filter((rec) => rec.id === fn.id)) {
        const bin = Math.floor(r.arrival / binSeconds) - fromSeconds / binSeconds;
        if (bin >= 0 && bin < bins) want[bin] += 1;
      }
      expect({ id: fn.id, counts: fn.counts }).toEqual({ id: fn.id, counts: want });
    }
    const inWindow = records.filter((r) => r.arrival >= fromSeconds && r.arrival < fromSeconds + bins * binSeconds).length;
    expect(trace.functions.reduce((sum, fn) => sum + totalInvocations(fn), 0)).toBe(inWindow);
    if (from === undefined && to === undefined) expect(inWindow).toBe(199); // every record lands in some bin
  });

  it('profiles durations from every record of the function, in ms', async () => {
    const trace = await loadTrace({ trace: FILE_2021, from: '10m' });
    for (const fn of trace.functions) {
      const mine = records.filter((r) => r.id === fn.id).map((r) => r.durationMs);
      const d = fn.profile.durations!;
      expect({ id: fn.id, count: d.count, min: d.minimumMs, max: d.maximumMs, p0: d.percentilesMs[0], p100: d.percentilesMs[100] })
        .toEqual({ id: fn.id, count: mine.length, min: Math.min(...mine), max: Math.max(...mine), p0: Math.min(...mine), p100: Math.max(...mine) });
      expect(d.averageMs).toBeCloseTo(mine.reduce((a, b) => a + b, 0) / mine.length, 9);
    }
  });
});

describe('Azure 2021 crafted records', () => {
  const file = (rows: string[]): string =>
    join(writeFixture({ 't.csv': ['app,func,end_timestamp,duration', ...rows].join('\n') }), 't.csv');

  it('computes percentiles by linear interpolation between closest ranks (numpy default)', async () => {
    // Durations 1..5 s, unsorted: p25 lies on 2 s, p1 sits at rank 0.01 × 4 = 0.04, 4% of the way from 1 s to 2 s.
    const trace = await loadTrace({ trace: file(['a,f,10,3', 'a,f,10,1', 'a,f,10,5', 'a,f,10,2', 'a,f,10,4']) });
    expect(trace.functions[0].profile.durations).toEqual({
      averageMs: 3000, count: 5, minimumMs: 1000, maximumMs: 5000,
      percentilesMs: { 0: 1000, 1: 1040, 25: 2000, 50: 3000, 75: 4000, 99: 4960, 100: 5000 },
    });
  });

  it.each([
    // records → counts of the first function (60 s bins; the last arrival sets the length)
    ['an arrival on a bin edge belongs to the later bin', ['a,f,120.5,0.5'], [0, 0, 1]],
    ['a duration rounded to ms may start just before t = 0: counted at 0', ['a,f,0.0004,0.001'], [1]],
    ['a long invocation counts where it started, not where it ended', ['a,f,200,190', 'b,g,200,0'], [1, 0, 0, 0]],
  ])('%s', async (_name, rows, want) => {
    const trace = await loadTrace({ trace: file(rows) });
    expect(trace.functions[0].counts).toEqual(want);
  });
});
