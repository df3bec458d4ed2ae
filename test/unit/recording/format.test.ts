/**
 * The recording file: what `record` writes reads back identically, and every malformed line is an
 * InputError naming file:line and the field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickFunction, readRecording } from '../../../operator/src/recording/format.js';
import { InputError } from '#kernel/input-error.js';
import { FN, recordingText, simRecording } from './sim-recording.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recording-format-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample = simRecording({ counts: [5, 8, 3, 0, 6], scaling: [[2.5, 3]], sim: { serviceTime: { kind: 'exponential', meanMs: 100 } } });
const text = recordingText(sample);
const [header, ...lines] = text.trimEnd().split('\n');

async function read(content: string): Promise<unknown> {
  const path = join(dir, `r-${Math.random().toString(36).slice(2)}.ndjson`);
  await writeFile(path, content);
  try {
    return await readRecording(path);
  } catch (err) {
    if (err instanceof InputError) return err.message.replace(path, 'FILE');
    throw err;
  }
}

it('reads back what it writes: every field, nulls with their reasons, +Inf buckets, numbers to 9 digits', async () => {
  const first = sample.byFunction.get(FN)![3];
  first.latencyBuckets = null;
  first.missing.latencyBuckets = 'gap: no new scrape';
  const got = (await read(recordingText(sample))) as Awaited<ReturnType<typeof readRecording>>;
  expect(got.header).toEqual(sample.header);
  expect(got.timesMs).toEqual(sample.timesMs);
  // Numbers are written to 9 significant digits (counts exactly): no float noise in the file.
  const nine = (v: unknown): unknown =>
    typeof v === 'number'
      ? Number.isInteger(v) || !Number.isFinite(v)
        ? v
        : Number(v.toPrecision(9))
      : Array.isArray(v)
        ? v.map(nine)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nine(x)]))
          : v;
  expect(got.byFunction.get(FN)).toEqual(nine(sample.byFunction.get(FN)));
  expect(got.byFunction.get(FN)![2].latencyBuckets!.at(-1)!.le).toBe(Number.POSITIVE_INFINITY);
});

describe('malformed recordings', () => {
  const replaceField = (line: string, field: string, value: unknown): string => JSON.stringify({ ...JSON.parse(line), [field]: value });
  const cases: { name: string; content: string; want: RegExp }[] = [
    { name: 'empty file', content: '', want: /^FILE:1: empty file/ },
    { name: 'header not JSON', content: 'time,requests\n', want: /^FILE:1: the first line must be the recording header/ },
    { name: 'another format', content: '{"format":"csv"}\n', want: /^FILE:1: not a faas-autoscaler recording/ },
    {
      name: 'a newer version',
      content: `${replaceField(header, 'version', 2)}\n`,
      want: /^FILE:1: recording version 2 is not supported \(this build reads version 1\)/,
    },
    { name: 'header only', content: `${header}\n`, want: /^FILE: the recording has a header but no records/ },
    { name: 'record not JSON', content: `${header}\n${lines[0]}\n{oops\n`, want: /^FILE:3: not a JSON object/ },
    {
      name: 'negative count',
      content: `${header}\n${replaceField(lines[0], 'requests', -1)}\n`,
      want: /^FILE:2: field "requests" must be a number >= 0 or null, got -1/,
    },
    {
      name: 'unknown function',
      content: `${header}\n${replaceField(lines[0], 'fn', 'other.ns')}\n`,
      want: /^FILE:2: field "fn" must be one of the header's functions \(fn\.openfaas-fn\), got "other\.ns"/,
    },
    {
      name: 'buckets out of order',
      content: `${header}\n${replaceField(lines[0], 'latencyBuckets', [
        [0.5, 1],
        [0.1, 2],
        ['+Inf', 2],
      ])}\n`,
      want: /^FILE:2: field "latencyBuckets" must be \[\[le, cumulative count\]/,
    },
    {
      name: 'a step skipped',
      content: `${header}\n${lines[0]}\n${lines[2]}\n`,
      want: /^FILE:3: field "t" is .*, expected .* \(one record per step of 1 s, in order\)/,
    },
    { name: 'a step twice', content: `${header}\n${lines[0]}\n${lines[0]}\n`, want: /^FILE:3: a second record for fn\.openfaas-fn at / },
  ];
  it.each(cases)('$name', async ({ content, want }) => {
    expect(await read(content)).toMatch(want);
  });

  it('a step without every function (an interrupted record) points at --resume', async () => {
    const two = JSON.parse(header) as { functions: string[] };
    two.functions = [FN, 'b.openfaas-fn'];
    expect(await read(`${JSON.stringify(two)}\n${lines[0]}\n`)).toMatch(
      /^FILE:2: the last step .* lacks records for b\.openfaas-fn \(an interrupted record\? run record --resume\)/,
    );
  });
});

it('picks the only function, or the one named, and lists them otherwise', async () => {
  expect(pickFunction('--function', sample, undefined)).toBe(FN);
  expect(pickFunction('--function', sample, 'fn')).toBe(FN);
  expect(() => pickFunction('--function', sample, 'figlet')).toThrow(
    '--function: figlet.openfaas-fn is not in simulated; it holds fn.openfaas-fn',
  );
  expect(() => pickFunction('--function', sample, 'Bad_Name')).toThrow(/--function: "Bad_Name" is not a function/);
});
