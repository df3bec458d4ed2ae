import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFunction, loadTrace, parseFunctionSelector, selectFunction, totalInvocations, type Trace } from '#kernel/traces/index.js';
import {
  APP_MEMORY_HEADER, DURATIONS_HEADER, SLICE_2019, csvRows, hash, invocationsCsv, removeFixtures, writeFixture,
} from './fixtures.js';

afterAll(removeFixtures);

describe('Azure 2019 in-vitro slice (traces/azure2019/invitro_sample250_min480-959)', () => {
  let trace: Trace;
  const rows = csvRows(readFileSync(join(SLICE_2019, 'invocations.csv'), 'utf8'));
  const durationRows = csvRows(readFileSync(join(SLICE_2019, 'durations.csv'), 'utf8'));
  const memoryRows = csvRows(readFileSync(join(SLICE_2019, 'memory.csv'), 'utf8'));

  beforeAll(async () => {
    trace = await loadTrace({ trace: SLICE_2019 });
  });

  it('reads every row and minute, starting at minute label 480 (479 min after midnight)', () => {
    expect({ format: trace.format, functions: trace.functions.length, bins: trace.functions[0].counts.length, binSeconds: trace.binSeconds, start: trace.startOffsetSeconds })
      .toEqual({ format: 'azure2019', functions: rows.length, bins: 480, binSeconds: 60, start: 479 * 60 });
    // Every count equals the file's, row by row (the CSV split here is the oracle).
    trace.functions.forEach((fn, i) => {
      expect({ id: fn.id, row: fn.row, counts: fn.counts }).toEqual({ id: rows[i][2], row: i + 1, counts: rows[i].slice(4).map(Number) });
    });
    expect(trace.functions.reduce((sum, fn) => sum + totalInvocations(fn), 0)).toBe(567_403); // PROVENANCE.md
  });

  it('rank:1 is the queue function 1fa06535 on row 73 with 273,379 invocations (PROVENANCE.md)', () => {
    const busiest = selectFunction(trace, parseFunctionSelector('rank:1'));
    expect({ prefix: busiest.id.slice(0, 8), row: busiest.row, trigger: busiest.trigger, total: totalInvocations(busiest), label: describeFunction(busiest) })
      .toEqual({ prefix: '1fa06535', row: 73, trigger: 'queue', total: 273_379, label: 'rank:1 1fa06535 (queue)' });
    expect(selectFunction(trace, parseFunctionSelector('row:73'))).toBe(busiest);
    expect(selectFunction(trace, parseFunctionSelector('1fa06535'))).toBe(busiest);
  });

  it('joins durations and memory onto every function by (owner, app, function)', () => {
    const key = (r: string[], fn: number, owner: number, app: number): string => `${r[owner]}/${r[app]}/${r[fn]}`;
    const durations = new Map(durationRows.map((r) => [key(r, 2, 0, 1), r.slice(3).map(Number)]));
    const memory = new Map(memoryRows.map((r) => [key(r, 0, 1, 2), r.slice(3).map(Number)]));
    expect(trace.profileFiles).toEqual({ durations: join(SLICE_2019, 'durations.csv'), memory: join(SLICE_2019, 'memory.csv') });
    for (const fn of trace.functions) {
      const d = fn.profile.durations!;
      const m = fn.profile.memory!;
      const k = `${fn.owner}/${fn.app}/${fn.id}`;
      expect([d.averageMs, d.count, d.minimumMs, d.maximumMs, ...[0, 1, 25, 50, 75, 99, 100].map((p) => d.percentilesMs[p])]).toEqual(durations.get(k));
      expect([m.sampleCount, m.averageAllocatedMb, ...[1, 5, 25, 50, 75, 95, 99, 100].map((p) => m.percentilesMb[p])]).toEqual(memory.get(k));
    }
  });

  it('reads the same trace from the invocations file as from its folder', async () => {
    const fromFile = await loadTrace({ trace: join(SLICE_2019, 'invocations.csv') });
    expect(fromFile.functions).toEqual(trace.functions);
    expect(fromFile.source).toBe(join(SLICE_2019, 'invocations.csv'));
  });
});

describe('Azure 2019 official file names and layouts (crafted)', () => {
  const [ownerA, ownerB] = [hash('a0'), hash('b0')];
  const [app1, app2] = [hash('a1'), hash('a2')];
  const [f1, f2, f3] = [hash('f1'), hash('f2'), hash('f3')];
  // Two functions in app1, one in app2; full-day labels start at minute 1.
  const invocations = invocationsCsv(1, [
    [ownerA, app1, f1, 'http', 1, 2, 3],
    [ownerA, app1, f2, 'timer', 0, 0, 1],
    [ownerB, app2, f3, 'queue', 5, 5, 5],
  ]);
  const durations = [
    DURATIONS_HEADER,
    // The same HashFunction f1 under another app must not be joined onto app1's f1.
    `${ownerB},${app2},${f1},999,9,9,9,9,9,9,9,9,9,9`,
    `${ownerA},${app1},${f1},100,30,10.0,300.0,10,11,50,90,150,280,300`,
  ].join('\n');
  const appMemory = [
    APP_MEMORY_HEADER,
    `${ownerA},${app1},1000,200,100,110,150,200,250,300,390,400`,
    `${ownerB},${app2},500,64,60,60,62,64,66,68,70,70`,
  ].join('\n') + '\n';

  it.each([
    // The dataset's own names, matched by day suffix.
    ['official names, d01', {
      'invocations_per_function_md.anon.d01.csv': invocations,
      'function_durations_percentiles.anon.d01.csv': durations,
      'app_memory_percentiles.anon.d01.csv': appMemory,
      // Another day's side files in the same folder must not be picked.
      'function_durations_percentiles.anon.d02.csv': durations.replaceAll(',100,30,', ',777,30,'),
    }, 'invocations_per_function_md.anon.d01.csv', 'function_durations_percentiles.anon.d01.csv', 'app_memory_percentiles.anon.d01.csv'],
    // An official invocations name falls back to the short side-file names.
    ['official invocations, short side files', {
      'invocations_per_function_md.anon.d01.csv': invocations, 'durations.csv': durations, 'memory.csv': appMemory,
    }, 'invocations_per_function_md.anon.d01.csv', 'durations.csv', 'memory.csv'],
  ])('%s: finds the side files, joins by (owner, app, function), splits app memory evenly', async (_name, files, invocationsName, durationsName, memoryName) => {
    const folder = writeFixture(files);
    const trace = await loadTrace({ trace: folder });
    expect(trace.profileFiles).toEqual({ durations: join(folder, durationsName), memory: join(folder, memoryName) });
    expect(trace.startOffsetSeconds).toBe(0);
    const [fn1, fn2, fn3] = trace.functions;
    expect(fn1.profile.durations).toEqual({ averageMs: 100, count: 30, minimumMs: 10, maximumMs: 300, percentilesMs: { 0: 10, 1: 11, 25: 50, 50: 90, 75: 150, 99: 280, 100: 300 } });
    expect(fn2.profile.durations).toBeUndefined(); // not in the durations file: no profile, no error
    expect(fn3.profile.durations).toBeUndefined(); // only f1 of app2 is there, not f3
    // app1 has two functions in the invocations file: each gets half of the app's memory.
    expect(fn1.profile.memory).toEqual({ averageAllocatedMb: 100, sampleCount: 1000, percentilesMb: { 1: 50, 5: 55, 25: 75, 50: 100, 75: 125, 95: 150, 99: 195, 100: 200 } });
    expect(fn2.profile.memory).toEqual(fn1.profile.memory);
    expect(fn3.profile.memory).toEqual({ averageAllocatedMb: 64, sampleCount: 500, percentilesMb: { 1: 60, 5: 60, 25: 62, 50: 64, 75: 66, 95: 68, 99: 70, 100: 70 } });
    expect((await loadTrace({ trace: join(folder, invocationsName) })).functions).toEqual(trace.functions);
  });

  it('picks the side files of the day given when a folder holds several days', async () => {
    const folder = writeFixture({
      'invocations_per_function_md.anon.d01.csv': invocations,
      'invocations_per_function_md.anon.d02.csv': invocations,
      'function_durations_percentiles.anon.d01.csv': durations,
      'function_durations_percentiles.anon.d02.csv': durations.replaceAll(',100,30,', ',777,30,'),
    });
    const trace = await loadTrace({ trace: join(folder, 'invocations_per_function_md.anon.d02.csv') });
    expect(trace.functions[0].profile.durations?.averageMs).toBe(777);
    expect(trace.profileFiles).toEqual({ durations: join(folder, 'function_durations_percentiles.anon.d02.csv'), memory: undefined });
  });

  it('uses --durations and --memory over the files found by name', async () => {
    const folder = writeFixture({
      'invocations.csv': invocations, 'durations.csv': durations, 'memory.csv': appMemory,
      'other/d.csv': durations.replaceAll(',100,30,', ',555,30,'),
      'other/m.csv': appMemory.replace(',1000,200,', ',1000,300,'),
    });
    const trace = await loadTrace({ trace: folder, durations: join(folder, 'other/d.csv'), memory: join(folder, 'other/m.csv') });
    expect([trace.functions[0].profile.durations?.averageMs, trace.functions[0].profile.memory?.averageAllocatedMb]).toEqual([555, 150]);
  });

  it('reads files without profiles, CRLF line ends, a BOM and no trailing newline', async () => {
    const text = '\uFEFF' + invocations.trimEnd().replaceAll('\n', '\r\n');
    const trace = await loadTrace({ trace: join(writeFixture({ 'invocations.csv': text }), 'invocations.csv') });
    expect(trace.functions.map((fn) => [fn.id, fn.trigger, fn.counts, fn.profile])).toEqual([
      [f1, 'http', [1, 2, 3], {}], [f2, 'timer', [0, 0, 1], {}], [f3, 'queue', [5, 5, 5], {}],
    ]);
    expect(trace.profileFiles).toEqual({ durations: undefined, memory: undefined });
  });
});
