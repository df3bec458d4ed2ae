import { InputError } from '#kernel/input-error.js';
import { loadTrace, parseTimeSeconds, type LoadTraceOptions, type Trace } from '#kernel/traces/index.js';
import { FILE_2021, FSCODE_RAW, SLICE_2019 } from './fixtures.js';

describe('parseTimeSeconds', () => {
  it.each([
    ['90s', 90], ['30m', 1800], ['2h', 7200], ['1.5h', 5400], ['5400', 5400], ['0', 0], [' 45s ', 45],
  ])('%j is %d s', (text, want) => {
    expect(parseTimeSeconds(text, '--from')).toBe(want);
  });

  it.each(['', 'abc', '-5m', '1d', '1h30m', '2 h'])('%j is refused, naming the field and the forms', (text) => {
    expect(() => parseTimeSeconds(text, '--to')).toThrow(new InputError(`--to ${JSON.stringify(text)}: expected a time such as 90s, 30m, 2h or plain seconds`));
  });
});

describe('time windows and rate scale', () => {
  let full2019: Trace;
  let fullJson: Trace;
  beforeAll(async () => {
    [full2019, fullJson] = await Promise.all([loadTrace({ trace: SLICE_2019 }), loadTrace({ trace: FSCODE_RAW })]);
  });

  it.each([
    // source, options, first bin kept, bins kept; windows are relative to the file's first bin
    ['2019', { from: '1h' }, 60, 420],
    ['2019', { to: '30m' }, 0, 30],
    ['2019', { from: '120', to: '3h' }, 2, 178],
    ['2019', { from: '479m', to: '8h' }, 479, 1],
    ['json', { from: '90s', to: '5m' }, 3, 7],
    ['json', { to: '24h' }, 0, 2880],
    // float noise must not make an aligned time look misaligned: 0.55 × 3600 = 1980.0000000000002
    ['json', { from: '0.55h', to: '1h' }, 66, 54],
  ] as Array<[string, Partial<LoadTraceOptions>, number, number]>)('%s %j keeps bins [%d, +%d)', async (source, window, firstBin, bins) => {
    const full = source === '2019' ? full2019 : fullJson;
    const trace = await loadTrace({ trace: source === '2019' ? SLICE_2019 : FSCODE_RAW, ...window });
    expect(trace.startOffsetSeconds).toBe(full.startOffsetSeconds + firstBin * full.binSeconds);
    trace.functions.forEach((fn, i) => {
      expect(fn.counts).toEqual(full.functions[i].counts.slice(firstBin, firstBin + bins));
    });
  });

  it('ranks over the loaded window: the busiest function of a quiet hour can differ from the day\'s', async () => {
    // Ranks are recomputed after the window; the oracle sorts the window's totals itself.
    const trace = await loadTrace({ trace: SLICE_2019, from: '2h', to: '3h' });
    const want = trace.functions
      .map((fn) => ({ row: fn.row, total: fn.counts.reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total || a.row - b.row)
      .map((x) => x.row);
    expect([...trace.functions].sort((a, b) => a.rank! - b.rank!).map((fn) => fn.row)).toEqual(want);
  });

  it.each([
    // rate scale: counts are multiplied and may become fractional (a count is a Poisson mean)
    [2], [0.5], [0.01], [1.25],
  ])('--rate-scale %d multiplies every count, keeping fractions', async (rateScale) => {
    const trace = await loadTrace({ trace: SLICE_2019, rateScale, to: '10m' });
    trace.functions.forEach((fn, i) => {
      expect(fn.counts).toEqual(full2019.functions[i].counts.slice(0, 10).map((c) => c * rateScale));
    });
    expect(trace.functions.map((fn) => fn.rank)).toEqual((await loadTrace({ trace: SLICE_2019, to: '10m' })).functions.map((fn) => fn.rank));
  });

  it.each([
    // options, message
    [{ trace: SLICE_2019, rateScale: 0 }, '--rate-scale must be a positive number, got 0'],
    [{ trace: SLICE_2019, rateScale: -1 }, '--rate-scale must be a positive number, got -1'],
    [{ trace: SLICE_2019, rateScale: Number.NaN }, '--rate-scale must be a positive number, got NaN'],
    [{ trace: SLICE_2019, from: '45s' }, '--from 45s (45 s) is not a multiple of the trace\'s 60 s bins'],
    [{ trace: FSCODE_RAW, to: '0.01h' }, '--to 0.01h (36 s) is not a multiple of the trace\'s 30 s bins'],
    [{ trace: SLICE_2019, to: '9h' }, '--to 9h is past the end of the trace (28800 s = 480 bins of 60 s)'],
    [{ trace: SLICE_2019, from: '8h' }, '--from 8h must be before --to the end (28800 s = 480 bins of 60 s): the window would be empty'],
    [{ trace: SLICE_2019, from: '2h', to: '1h' }, '--from 2h must be before --to 1h: the window would be empty'],
    [{ trace: SLICE_2019, from: 'soon' }, '--from "soon": expected a time such as 90s, 30m, 2h or plain seconds'],
    [{ trace: FILE_2021, binSeconds: 0 }, '--bin-seconds must be a positive whole number of seconds, got 0'],
    [{ trace: FILE_2021, binSeconds: 1.5 }, '--bin-seconds must be a positive whole number of seconds, got 1.5'],
    [{ trace: SLICE_2019, binSeconds: 30 }, `--bin-seconds applies to Azure 2021 traces only; ${SLICE_2019}/invocations.csv is an Azure 2019 trace with fixed 60 s bins`],
    [{ trace: FSCODE_RAW, binSeconds: 60 }, `--bin-seconds applies to Azure 2021 traces only; ${FSCODE_RAW} is a JSON counts trace with fixed 30 s bins`],
  ] as Array<[LoadTraceOptions, string]>)('%j is refused: %s', async (opts, want) => {
    await expect(loadTrace(opts)).rejects.toThrow(new InputError(want));
  });

  it('accepts --bin-seconds equal to a fixed bin width', async () => {
    expect((await loadTrace({ trace: FSCODE_RAW, binSeconds: 30 })).functions[0].counts).toEqual(fullJson.functions[0].counts);
  });
});
