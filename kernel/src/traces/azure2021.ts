/**
 * Azure Functions 2021 invocation trace (Zhang et al., SOSP'21): one record per invocation,
 * `app,func,end_timestamp,duration`, seconds from the start of the trace, rows in no order.
 *
 * The trace records when an invocation *ended*; it arrived at end − duration. Arrivals are
 * counted into bins of `binSeconds` starting at t = 0 of the trace clock, so bin k covers
 * [k·bin, (k+1)·bin). The function id is `app/func` because `func` ids are unique only within
 * an app. `row` is the order in which functions first appear in the file.
 *
 * The duration profile uses every record of the file (not only those in a time window), as the
 * 2019 profile is a whole-day statistic too: percentiles 0, 1, 25, 50, 75, 99, 100 in ms by
 * linear interpolation between closest ranks (numpy's default).
 */
import type { DurationProfileMs, TraceFunction } from './types.js';
import { InputError } from '../input-error.js';
import { checkWidth, columnOf, errorAt, fieldError, headerIndex, parseNonNegative, readCsvLines, type CsvLine } from './csv.js';

export const AZURE2021_HEADER = ['app', 'func', 'end_timestamp', 'duration'] as const;

/** The most bins a trace is read into (a year of minutes is 525,600). */
export const MAX_BINS = 1_000_000;

const PERCENTILES = [0, 1, 25, 50, 75, 99, 100] as const;

/**
 * Durations are written in whole milliseconds while end times keep full precision, so an
 * invocation that started at t = 0 can compute to a start a fraction of a millisecond before it.
 */
const ROUNDING_SLACK_SECONDS = 0.001;

interface FunctionRecords {
  id: string;
  app: string;
  arrivalsSeconds: number[];
  durationsMs: number[];
}

export async function readAzure2021(file: string, binSeconds: number): Promise<TraceFunction[]> {
  let header: string[] | undefined;
  let col = new Map<string, number>();
  const byId = new Map<string, FunctionRecords>();
  for await (const line of readCsvLines(file)) {
    if (header === undefined) {
      header = line.fields;
      col = headerIndex(file, header, AZURE2021_HEADER, 'an Azure 2021 trace');
      continue;
    }
    checkWidth(file, line, header);
    const h = header;
    const text = (name: string): string => {
      const index = col.get(name)!;
      if (line.fields[index] === '' || /\s/.test(line.fields[index])) throw fieldError({ file, line, header: h }, index, 'a hash (non-empty, no spaces)');
      return line.fields[index];
    };
    const seconds = (name: string): number => {
      const value = parseNonNegative(line.fields[col.get(name)!]);
      if (value === undefined) throw fieldError({ file, line, header: h }, col.get(name)!, 'a non-negative number of seconds');
      return value;
    };
    const [app, func] = [text('app'), text('func')];
    const [endSeconds, durationSeconds] = [seconds('end_timestamp'), seconds('duration')];
    const id = `${app}/${func}`;
    let records = byId.get(id);
    if (!records) {
      records = { id, app, arrivalsSeconds: [], durationsMs: [] };
      byId.set(id, records);
    }
    records.arrivalsSeconds.push(arrivalOf({ file, line, col }, endSeconds, durationSeconds));
    records.durationsMs.push(durationSeconds * 1000);
  }
  if (header === undefined) throw errorAt(file, 1, 1, `empty file; expected the header ${AZURE2021_HEADER.join(',')}`);

  let lastArrival = 0;
  for (const records of byId.values()) for (const t of records.arrivalsSeconds) lastArrival = Math.max(lastArrival, t);
  const binCount = Math.floor(lastArrival / binSeconds) + 1;
  // The published trace spans 14 days; a timestamp far beyond would allocate bins for nothing.
  if (binCount > MAX_BINS) {
    throw new InputError(
      `${file}: the last invocation is at ${lastArrival} s, ${binCount.toLocaleString('en-US')} bins of ${binSeconds} s; at most ${MAX_BINS.toLocaleString('en-US')} bins are read (a larger --bin-seconds, or a trace in seconds from its start)`,
    );
  }
  return [...byId.values()].map((records, i) => {
    const counts: number[] = new Array<number>(binCount).fill(0);
    for (const t of records.arrivalsSeconds) counts[Math.floor(t / binSeconds)] += 1;
    return { id: records.id, row: i + 1, app: records.app, counts, profile: { durations: durationProfile(records.durationsMs) } };
  });
}

function arrivalOf(at: { file: string; line: CsvLine; col: Map<string, number> }, endSeconds: number, durationSeconds: number): number {
  const { file, line, col } = at;
  const arrival = endSeconds - durationSeconds;
  if (arrival >= 0) return arrival;
  if (arrival >= -ROUNDING_SLACK_SECONDS) return 0;
  const index = col.get('duration')!;
  throw errorAt(file, line.lineNumber, columnOf(line, index),
    `duration ${durationSeconds} s is longer than end_timestamp ${endSeconds} s: the invocation would start before the trace`);
}

/** Linear interpolation between closest ranks (numpy.percentile's default), on sorted values. */
export function percentile(sorted: readonly number[], percent: number): number {
  const rank = (percent / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

function durationProfile(durationsMs: number[]): DurationProfileMs {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  return {
    averageMs: sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length,
    count: sorted.length,
    minimumMs: sorted[0],
    maximumMs: sorted[sorted.length - 1],
    percentilesMs: Object.fromEntries(PERCENTILES.map((p) => [p, percentile(sorted, p)])),
  };
}
