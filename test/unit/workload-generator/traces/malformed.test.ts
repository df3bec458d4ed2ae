/**
 * Bad trace input: every case must be an InputError with one line naming file:line:column (or the
 * option) and what was expected. `<dir>` in a wanted message stands for the fixture's folder.
 */
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { loadTrace, type LoadTraceOptions } from '#kernel/traces/index.js';
import { DURATIONS_HEADER, removeFixtures, writeFixture } from './fixtures.js';

afterAll(removeFixtures);

// Columns of a good row: o1 @1, a1 @4, f1 @7, http @10, minute 1 @15, minute 2 @17, minute 3 @19.
const HEADER = 'HashOwner,HashApp,HashFunction,Trigger,1,2,3';
const ROW = 'o1,a1,f1,http,1,2,3';
const inv = (...lines: string[]): Record<string, string> => ({ 'invocations.csv': [HEADER, ...lines].join('\n') });
const DURATIONS_ROW = 'o1,a1,f1,100,30,10,300,10,11,50,90,150,280,300';
const TRIGGERS = 'http, timer, event, queue, storage, orchestration, others';
const KNOWN = 'an Azure 2019 invocations CSV (header HashOwner,HashApp,HashFunction,Trigger,<minutes>), an Azure 2021 CSV (header app,func,end_timestamp,duration) or a JSON array of counts per 30 s (LSTM-PPO+ paper)';

type Case = [name: string, files: Record<string, string>, opts: Omit<LoadTraceOptions, 'trace'> & { trace: string }, want: string];

const cases: Case[] = [
  // --- Azure 2019 invocations
  ['count is not a number', inv('o1,a1,f1,http,1,abc,3'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:17: expected a non-negative integer invocation count in column "2", got "abc"'],
  ['negative count', inv(ROW, 'o2,a2,f2,http,-1,0,0'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:3:15: expected a non-negative integer invocation count in column "1", got "-1"'],
  ['fractional count', inv('o1,a1,f1,http,1,2,2.5'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:19: expected a non-negative integer invocation count in column "3", got "2.5"'],
  ['bad count outside the --to window: still checked', inv('o1,a1,f1,http,1,2,x'), { trace: 'invocations.csv', to: '1m' },
    '<dir>/invocations.csv:2:19: expected a non-negative integer invocation count in column "3", got "x"'],
  ['empty count', inv('o1,a1,f1,http,1,,3'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:17: expected a non-negative integer invocation count in column "2", got ""'],
  ['row one field short (cut line): column just past its end', inv('o1,a1,f1,http,1,2'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:18: expected 7 columns as in the header, got 6'],
  ['row one field long: column of the extra field', inv('o1,a1,f1,http,1,2,3,4'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:21: expected 7 columns as in the header, got 8'],
  ['unknown trigger', inv('o1,a1,f1,web,1,2,3'), { trace: 'invocations.csv' },
    `<dir>/invocations.csv:2:10: expected a trigger (one of ${TRIGGERS}) in column "Trigger", got "web"`],
  ['empty app hash', inv('o1,,f1,http,1,2,3'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:2:4: expected a hash (non-empty, no spaces) in column "HashApp", got ""'],
  ['duplicate function id names both lines', inv(ROW, 'o9,a9,f1,timer,0,0,0'), { trace: 'invocations.csv' },
    '<dir>/invocations.csv:3:7: duplicate function "f1" (first on line 2); function ids must be unique'],
  ['minute labels skip one', { 'invocations.csv': `HashOwner,HashApp,HashFunction,Trigger,1,3,4\n${ROW}` }, { trace: 'invocations.csv' },
    '<dir>/invocations.csv:1:42: expected the minute label 2 (labels must be consecutive) in column "3", got "3"'],
  ['minute labels are 1-based', { 'invocations.csv': `HashOwner,HashApp,HashFunction,Trigger,0,1\n${ROW}` }, { trace: 'invocations.csv' },
    '<dir>/invocations.csv:1:40: expected a 1-based minute label in column "0", got "0"'],
  ['no minute columns', { 'invocations.csv': `HashOwner,HashApp,HashFunction,Trigger\no1,a1,f1,http` }, { trace: 'invocations.csv' },
    '<dir>/invocations.csv:1:39: expected minute columns after Trigger, got none'],
  ['header only', inv(), { trace: 'invocations.csv' },
    '<dir>/invocations.csv: empty trace: a header but no data rows'],
  // --- format detection and paths
  ['empty file', { 'x.csv': '\n' }, { trace: 'x.csv' }, `<dir>/x.csv:1:1: empty file; expected ${KNOWN}`],
  ['unknown header', { 'x.csv': 'time,count\n0,1' }, { trace: 'x.csv' }, `<dir>/x.csv:1:1: unknown trace format; expected ${KNOWN}`],
  ['durations file given as the trace', { 'd.csv': `${DURATIONS_HEADER}\n${DURATIONS_ROW}` }, { trace: 'd.csv' },
    '<dir>/d.csv:1:1: this is an Azure 2019 durations file; give the invocations file (or its folder) as --trace, and this one as --durations if it is not found by name'],
  ['missing trace file', {}, { trace: 'nope.csv' }, '--trace <dir>/nope.csv: no such file or directory'],
  ['folder without an invocations file', { 'a.json': '[1]' }, { trace: '' },
    '--trace <dir>/: no invocations file in this folder (looked for invocations.csv and invocations_per_function_md.anon.dNN.csv); for other formats give the file itself'],
  ['folder with two days', { 'invocations_per_function_md.anon.d01.csv': `${HEADER}\n${ROW}`, 'invocations_per_function_md.anon.d02.csv': `${HEADER}\n${ROW}` }, { trace: '' },
    '--trace <dir>/: 2 invocations files in this folder (invocations_per_function_md.anon.d01.csv, invocations_per_function_md.anon.d02.csv); give one of them as --trace'],
  ['missing --durations file', inv(ROW), { trace: 'invocations.csv', durations: 'nope.csv' }, '--durations <dir>/nope.csv: no such file or directory'],
  ['--memory is a folder', { ...inv(ROW), 'sub/x': '' }, { trace: 'invocations.csv', memory: 'sub' }, '--memory <dir>/sub: is a folder, expected a file'],
  // --- Azure 2019 side files
  ['durations: bad number', { ...inv(ROW), 'durations.csv': `${DURATIONS_HEADER}\no1,a1,f1,100,30,10,x,10,11,50,90,150,280,300` }, { trace: '' },
    '<dir>/durations.csv:2:20: expected a non-negative number in column "Maximum", got "x"'],
  ['durations: count must be whole', { ...inv(ROW), 'durations.csv': `${DURATIONS_HEADER}\no1,a1,f1,100,30.5,10,300,10,11,50,90,150,280,300` }, { trace: '' },
    '<dir>/durations.csv:2:14: expected a non-negative integer in column "Count", got "30.5"'],
  ['durations: missing column', { ...inv(ROW), 'durations.csv': 'HashFunction,Average\nf1,100' }, { trace: '' },
    '<dir>/durations.csv:1:1: missing column "Count" in the header of an Azure 2019 durations file (expected columns HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100)'],
  ['durations: duplicate function', { ...inv(ROW), 'durations.csv': `${DURATIONS_HEADER}\n${DURATIONS_ROW}\n${DURATIONS_ROW}` }, { trace: '' },
    '<dir>/durations.csv:3:1: duplicate function "o1/a1/f1" (first on line 2)'],
  ['durations: ragged row', { ...inv(ROW), 'durations.csv': `${DURATIONS_HEADER}\no1,a1,f1,100` }, { trace: '' },
    '<dir>/durations.csv:2:13: expected 14 columns as in the header, got 4'],
  ['memory: negative value', { ...inv(ROW), 'memory.csv': 'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\no1,a1,10,-5,1,1,1,1,1,1,1,1' }, { trace: '' },
    '<dir>/memory.csv:2:10: expected a non-negative number in column "AverageAllocatedMb", got "-5"'],
  ['memory: duplicate app', { ...inv(ROW), 'memory.csv': 'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\no1,a1,10,5,1,1,1,1,1,1,1,1\no1,a1,10,5,1,1,1,1,1,1,1,1' }, { trace: '' },
    '<dir>/memory.csv:3:1: duplicate app "o1/a1" (first on line 2)'],
  ['durations given for a 2021 trace', { 't.csv': 'app,func,end_timestamp,duration\na,f,1,1' }, { trace: 't.csv', durations: 't.csv' },
    '--durations applies to Azure 2019 traces only; <dir>/t.csv is an Azure 2021 trace'],
  // --- Azure 2021
  ['2021: end time not a number', { 't.csv': 'app,func,end_timestamp,duration\na,f,1,1\na,f,x,1' }, { trace: 't.csv' },
    '<dir>/t.csv:3:5: expected a non-negative number of seconds in column "end_timestamp", got "x"'],
  ['2021: duration longer than the end time', { 't.csv': 'app,func,end_timestamp,duration\na,f,1.5,2' }, { trace: 't.csv' },
    '<dir>/t.csv:2:9: duration 2 s is longer than end_timestamp 1.5 s: the invocation would start before the trace'],
  ['2021: ragged row', { 't.csv': 'app,func,end_timestamp,duration\na,f,1' }, { trace: 't.csv' },
    '<dir>/t.csv:2:6: expected 4 columns as in the header, got 3'],
  ['2021: empty func', { 't.csv': 'app,func,end_timestamp,duration\na,,1,1' }, { trace: 't.csv' },
    '<dir>/t.csv:2:3: expected a hash (non-empty, no spaces) in column "func", got ""'],
  // --- FsCode JSON
  ['json: negative count', { 'w.json': '[1,2,-3]' }, { trace: 'w.json' }, '<dir>/w.json:1:6: expected a non-negative integer request count, got "-3"'],
  ['json: fractional count', { 'w.json': '[1, 2.5]' }, { trace: 'w.json' }, '<dir>/w.json:1:5: expected a non-negative integer request count, got "2.5"'],
  ['json: bad value on line 3', { 'w.json': '[1,\n2,\n  "x"]' }, { trace: 'w.json' }, '<dir>/w.json:3:3: expected a non-negative integer request count, got "\\"x\\""'],
  ['json: missing comma', { 'w.json': '[1 2]' }, { trace: 'w.json' }, '<dir>/w.json:1:4: expected "," or "]" after a count, got "2"'],
  ['json: cut short', { 'w.json': '[1,' }, { trace: 'w.json' }, '<dir>/w.json:1:4: expected a non-negative integer request count, got the end of the file'],
  ['json: trailing text', { 'w.json': '[1,2] x' }, { trace: 'w.json' }, '<dir>/w.json:1:7: expected the end of the file after the array, got "x"'],
  ['json: empty array', { 'w.json': '[ ]' }, { trace: 'w.json' }, '<dir>/w.json:1:1: empty trace: the array has no bins'],
];

describe('malformed input', () => {
  it.each(cases)('%s', async (_name, files, opts, want) => {
    const dir = writeFixture(files);
    const at = (p: string | undefined): string | undefined => (p === undefined ? undefined : join(dir, p) + (p === '' ? '/' : ''));
    const err = await loadTrace({ ...opts, trace: at(opts.trace)!, durations: at(opts.durations), memory: at(opts.memory) }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(want.replaceAll('<dir>', dir));
    expect((err as Error).message).not.toContain('\n');
  });
});
