/**
 * Azure Functions 2019 trace (Shahrad et al., ATC'20): per-minute invocation counts, plus the
 * day's execution-time percentiles and memory percentiles, joined onto each function.
 *
 * Files, by the dataset's names (NN = day 01..14) or the short names used by in-vitro samples:
 *   invocations_per_function_md.anon.dNN.csv   | invocations.csv
 *     HashOwner,HashApp,HashFunction,Trigger,<minute labels, 1-based, consecutive>
 *   function_durations_percentiles.anon.dNN.csv | durations.csv
 *     HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_{0,1,25,50,75,99,100}
 *   app_memory_percentiles.anon.dNN.csv          | memory.csv
 *     official: per app      HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct{1,...,100}
 *     in-vitro: per function HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb,...
 *
 * Joins use (owner, app, function) when the side file has owner and app columns — the dataset
 * documents HashFunction as unique only within its app — and HashFunction alone otherwise.
 * A function missing from a side file simply has no such profile (the official files do not
 * all cover the same functions); explicit side files that do not exist are an error upstream.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DurationProfileMs, MemoryProfileMb, TraceFunction } from './types.js';
import { checkWidth, columnOf, errorAt, fieldError, headerIndex, parseCount, parseNonNegative, quote, readCsvLines, type CsvLine, type CsvRow } from './csv.js';

export const INVOCATIONS_HEADER_PREFIX = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger'] as const;

/** The dataset's 7 trigger groups. */
export const TRIGGERS = ['http', 'timer', 'event', 'queue', 'storage', 'orchestration', 'others'] as const;

const DURATION_PERCENTILES = [0, 1, 25, 50, 75, 99, 100] as const;
const MEMORY_PERCENTILES = [1, 5, 25, 50, 75, 95, 99, 100] as const;

const OFFICIAL_INVOCATIONS = /^invocations_per_function_md\.anon\.(d\d+)\.csv$/;

export interface Azure2019Invocations {
  functions: TraceFunction[];
  /** The first minute label kept (1-based minute of the day). */
  firstMinute: number;
}

/** Chooses the bins [firstBin, endBin) to keep once the header says how many there are. */
export type WindowChooser = (binCount: number) => { firstBin: number; endBin: number };

/** Is `name` an invocations file name this reader looks for in a folder? */
export function isInvocationsFileName(name: string): boolean {
  return name === 'invocations.csv' || OFFICIAL_INVOCATIONS.test(name);
}

/**
 * The durations and memory files beside an invocations file: the same day's official names
 * first (`...anon.d05.csv` pairs with `...anon.d05.csv`), then the short names.
 */
export function findSideFiles(invocationsFile: string): { durations?: string; memory?: string } {
  const folder = dirname(invocationsFile);
  const day = OFFICIAL_INVOCATIONS.exec(basename(invocationsFile))?.[1];
  const first = (names: string[]): string | undefined =>
    names.map((name) => join(folder, name)).find((path) => existsSync(path));
  return {
    durations: first([...(day ? [`function_durations_percentiles.anon.${day}.csv`] : []), 'durations.csv']),
    memory: first([...(day ? [`app_memory_percentiles.anon.${day}.csv`] : []), 'memory.csv']),
  };
}

function functionKey(owner: string | undefined, app: string | undefined, fn: string): string {
  return owner === undefined || app === undefined ? fn : `${owner}/${app}/${fn}`;
}

function requireId(file: string, line: CsvLine, header: readonly string[], index: number): string {
  const value = line.fields[index];
  if (value === '' || /\s/.test(value)) throw fieldError({ file, line, header }, index, 'a hash (non-empty, no spaces)');
  return value;
}

/**
 * Reads the per-minute invocation counts. Profiles are joined later by `attachProfiles`.
 *
 * The time window is applied while reading: a full day is 50k rows × 1440 minutes, and keeping
 * only the window's minutes bounds memory by what is used. Values outside the window are still
 * checked, so a file is either valid or not whatever window is asked for.
 */
export async function readAzure2019Invocations(file: string, chooseWindow?: WindowChooser): Promise<Azure2019Invocations> {
  let header: string[] | undefined;
  let firstMinute = 0;
  let window = { firstBin: 0, endBin: 0 };
  const functions: TraceFunction[] = [];
  const seen = new Map<string, number>();
  for await (const line of readCsvLines(file)) {
    if (header === undefined) {
      header = line.fields;
      const minutes = header.length - INVOCATIONS_HEADER_PREFIX.length;
      window = chooseWindow ? chooseWindow(minutes) : { firstBin: 0, endBin: minutes };
      firstMinute = checkInvocationsHeader(file, line) + window.firstBin;
      continue;
    }
    checkWidth(file, line, header);
    const [owner, app, id] = [0, 1, 2].map((i) => requireId(file, line, header!, i));
    const trigger = line.fields[3];
    if (!(TRIGGERS as readonly string[]).includes(trigger)) {
      throw fieldError({ file, line, header }, 3, `a trigger (one of ${TRIGGERS.join(', ')})`);
    }
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw errorAt(file, line.lineNumber, columnOf(line, 2),
        `duplicate function ${quote(id)} (first on line ${previous}); function ids must be unique`);
    }
    seen.set(id, line.lineNumber);
    // Preallocated: arrays grown by push keep up to 50% spare capacity, a lot over 50k rows.
    const counts = new Array<number>(window.endBin - window.firstBin);
    for (let i = 4; i < line.fields.length; i++) {
      const count = parseCount(line.fields[i]);
      if (count === undefined) throw fieldError({ file, line, header }, i, 'a non-negative integer invocation count');
      const bin = i - 4 - window.firstBin;
      if (bin >= 0 && bin < counts.length) counts[bin] = count;
    }
    functions.push({ id, row: functions.length + 1, owner, app, trigger, counts, profile: {} });
  }
  if (header === undefined) throw errorAt(file, 1, 1, `empty file; expected the header ${INVOCATIONS_HEADER_PREFIX.join(',')},<minutes>`);
  return { functions, firstMinute };
}

/** Checks the fixed columns and that minute labels are consecutive integers; returns the first. */
function checkInvocationsHeader(file: string, line: CsvLine): number {
  const header = line.fields;
  INVOCATIONS_HEADER_PREFIX.forEach((name, i) => {
    if (header[i] !== name) throw fieldError({ file, line, header }, i, `the header ${INVOCATIONS_HEADER_PREFIX.join(',')},<minutes>`);
  });
  if (header.length === INVOCATIONS_HEADER_PREFIX.length) {
    throw errorAt(file, 1, line.text.length + 1, 'expected minute columns after Trigger, got none');
  }
  const firstMinute = parseCount(header[4]) ?? 0;
  for (let i = 4; i < header.length; i++) {
    const want = firstMinute + i - 4;
    if (firstMinute < 1 || parseCount(header[i]) !== want) {
      throw fieldError({ file, line, header }, i, firstMinute < 1 ? 'a 1-based minute label' : `the minute label ${want} (labels must be consecutive)`);
    }
  }
  return firstMinute;
}

function readNumber(row: CsvRow, index: number, integer: boolean): number {
  const value = integer ? parseCount(row.line.fields[index]) : parseNonNegative(row.line.fields[index]);
  if (value === undefined) throw fieldError(row, index, integer ? 'a non-negative integer' : 'a non-negative number');
  return value;
}

interface SideTable<T> {
  /** Whether keys include owner and app (`owner/app/function` or `owner/app`). */
  keyedByApp: boolean;
  rows: Map<string, T>;
}

const DURATION_COLUMNS = ['HashFunction', 'Average', 'Count', 'Minimum', 'Maximum', ...DURATION_PERCENTILES.map((p) => `percentile_Average_${p}`)];

/** Reads a durations-percentiles file, keyed like `functionKey`. */
export async function readAzure2019Durations(file: string): Promise<SideTable<DurationProfileMs>> {
  let header: string[] | undefined;
  let col = new Map<string, number>();
  const rows = new Map<string, DurationProfileMs>();
  const lines = new Map<string, number>();
  for await (const line of readCsvLines(file)) {
    if (header === undefined) {
      header = line.fields;
      col = headerIndex(file, header, DURATION_COLUMNS, 'an Azure 2019 durations file');
      continue;
    }
    checkWidth(file, line, header);
    const h = header;
    const num = (name: string, integer = false): number => readNumber({ file, line, header: h }, col.get(name)!, integer);
    const id = requireId(file, line, h, col.get('HashFunction')!);
    const key = functionKey(optionalId({ file, line, header: h }, col, 'HashOwner'), optionalId({ file, line, header: h }, col, 'HashApp'), id);
    checkUnique({ file, line }, lines, key, 'function');
    rows.set(key, {
      averageMs: num('Average'),
      count: num('Count', true),
      minimumMs: num('Minimum'),
      maximumMs: num('Maximum'),
      percentilesMs: Object.fromEntries(DURATION_PERCENTILES.map((p) => [p, num(`percentile_Average_${p}`)])),
    });
  }
  if (header === undefined) throw errorAt(file, 1, 1, `empty file; expected the header ${DURATION_COLUMNS.join(',')}`);
  return { keyedByApp: col.has('HashOwner') && col.has('HashApp'), rows };
}

const MEMORY_COLUMNS = ['HashApp', 'SampleCount', 'AverageAllocatedMb', ...MEMORY_PERCENTILES.map((p) => `AverageAllocatedMb_pct${p}`)];

export interface MemoryTable extends SideTable<MemoryProfileMb> {
  /** Official files describe whole apps; in-vitro's describe functions (already split). */
  perFunction: boolean;
}

/** Reads a memory-percentiles file, per app (official) or per function (in-vitro), by its header. */
export async function readAzure2019Memory(file: string): Promise<MemoryTable> {
  let header: string[] | undefined;
  let col = new Map<string, number>();
  const rows = new Map<string, MemoryProfileMb>();
  const lines = new Map<string, number>();
  for await (const line of readCsvLines(file)) {
    if (header === undefined) {
      header = line.fields;
      col = headerIndex(file, header, MEMORY_COLUMNS, 'an Azure 2019 memory file');
      continue;
    }
    checkWidth(file, line, header);
    const h = header;
    const num = (name: string, integer = false): number => readNumber({ file, line, header: h }, col.get(name)!, integer);
    const app = requireId(file, line, h, col.get('HashApp')!);
    const owner = optionalId({ file, line, header: h }, col, 'HashOwner');
    const perFunction = col.has('HashFunction');
    const key = perFunction
      ? functionKey(owner, app, requireId(file, line, h, col.get('HashFunction')!))
      : owner === undefined ? app : `${owner}/${app}`;
    checkUnique({ file, line }, lines, key, perFunction ? 'function' : 'app');
    rows.set(key, {
      averageAllocatedMb: num('AverageAllocatedMb'),
      percentilesMb: Object.fromEntries(MEMORY_PERCENTILES.map((p) => [p, num(`AverageAllocatedMb_pct${p}`)])),
      sampleCount: num('SampleCount', true),
    });
  }
  if (header === undefined) throw errorAt(file, 1, 1, `empty file; expected the header ${MEMORY_COLUMNS.join(',')}`);
  return { keyedByApp: col.has('HashOwner'), perFunction: col.has('HashFunction'), rows };
}

function optionalId(row: CsvRow, col: Map<string, number>, name: string): string | undefined {
  const index = col.get(name);
  return index === undefined ? undefined : requireId(row.file, row.line, row.header, index);
}

function checkUnique(at: { file: string; line: CsvLine }, lines: Map<string, number>, key: string, what: string): void {
  const { file, line } = at;
  const previous = lines.get(key);
  if (previous !== undefined) throw errorAt(file, line.lineNumber, 1, `duplicate ${what} ${quote(key)} (first on line ${previous})`);
  lines.set(key, line.lineNumber);
}

/**
 * Joins durations and memory onto the functions (in place).
 *
 * An official memory row describes a whole app. Like in-vitro's sampler, we split it evenly over
 * the app's functions — here, those present in the invocations file being read: the average and
 * every percentile are divided by that number; SampleCount is kept (it counts samples of the app).
 * For a sample of a day this overstates each function's share when some of the app's functions
 * were left out, which is the same approximation in-vitro makes.
 */
export function attachProfiles(functions: TraceFunction[], durations?: SideTable<DurationProfileMs>, memory?: MemoryTable): void {
  const appKey = (fn: TraceFunction, byOwner: boolean): string => (byOwner ? `${fn.owner}/${fn.app}` : fn.app!);
  const functionsPerApp = new Map<string, number>();
  if (memory && !memory.perFunction) {
    for (const fn of functions) {
      const key = appKey(fn, memory.keyedByApp);
      functionsPerApp.set(key, (functionsPerApp.get(key) ?? 0) + 1);
    }
  }
  for (const fn of functions) {
    const durationKey = durations?.keyedByApp ? functionKey(fn.owner, fn.app, fn.id) : fn.id;
    const duration = durations?.rows.get(durationKey);
    if (duration) fn.profile.durations = duration;
    if (!memory) continue;
    if (memory.perFunction) {
      const row = memory.rows.get(memory.keyedByApp ? functionKey(fn.owner, fn.app, fn.id) : fn.id);
      if (row) fn.profile.memory = row;
      continue;
    }
    const key = appKey(fn, memory.keyedByApp);
    const row = memory.rows.get(key);
    if (row) fn.profile.memory = splitMemory(row, functionsPerApp.get(key)!);
  }
}

function splitMemory(app: MemoryProfileMb, functionCount: number): MemoryProfileMb {
  return {
    averageAllocatedMb: app.averageAllocatedMb / functionCount,
    percentilesMb: Object.fromEntries(Object.entries(app.percentilesMb).map(([p, mb]) => [p, mb / functionCount])),
    sampleCount: app.sampleCount,
  };
}
