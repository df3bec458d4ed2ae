import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTrace, totalInvocations } from '#kernel/traces/index.js';
import { FSCODE_BOOSTED, FSCODE_RAW, removeFixtures, writeFixture } from './fixtures.js';

afterAll(removeFixtures);

describe('FsCode JSON counts (LSTM-PPO+ paper)', () => {
  it.each([
    // file, id, total requests (traces/fscode/PROVENANCE.md)
    [FSCODE_RAW, 'request_count_raw', 27_062],
    [FSCODE_BOOSTED, 'request_count_boosted', 29_392],
  ])('%s: one function, 2880 bins of 30 s (one day)', async (file, id, total) => {
    const trace = await loadTrace({ trace: file });
    expect({ format: trace.format, binSeconds: trace.binSeconds, start: trace.startOffsetSeconds, functions: trace.functions.length })
      .toEqual({ format: 'fscode-json', binSeconds: 30, start: 0, functions: 1 });
    const [fn] = trace.functions;
    expect({ id: fn.id, row: fn.row, rank: fn.rank, bins: fn.counts.length, total: totalInvocations(fn), profile: fn.profile })
      .toEqual({ id, row: 1, rank: 1, bins: 2880, total, profile: {} });
    expect(fn.counts).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });

  it.each([
    // text → counts: whitespace and line breaks anywhere JSON allows them
    ['[0,1,2]', [0, 1, 2]],
    ['\n  [ 3 ,\n 4\t]\n\n', [3, 4]],
    ['\uFEFF[7]', [7]],
  ])('reads %j', async (text, want) => {
    const trace = await loadTrace({ trace: join(writeFixture({ 'w.json': text }), 'w.json') });
    expect(trace.functions[0].counts).toEqual(want);
  });
});
