/**
 * `loadTrace`: one entry point for every trace format. It resolves `--trace` (file or folder),
 * detects the format from the header (or the leading `[` of a JSON array), reads the file, then
 * applies the time window and the rate scale the same way for all formats.
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../input-error.js';
import type { Trace, TraceFormat } from './types.js';
import { errorAt } from './csv.js';
import {
  INVOCATIONS_HEADER_PREFIX, type WindowChooser, attachProfiles, findSideFiles, isInvocationsFileName,
  readAzure2019Durations, readAzure2019Invocations, readAzure2019Memory,
} from './azure2019.js';
import { AZURE2021_HEADER, readAzure2021 } from './azure2021.js';
import { FSCODE_BIN_SECONDS, parseFscodeJson } from './fscode-json.js';
import { applyRateScale, applyWindow, parseTimeSeconds, windowBins } from './window.js';
import { rankFunctions } from './select.js';

export interface LoadTraceOptions {
  /** A trace file, or a folder holding an Azure 2019 invocations file. */
  trace: string;
  /** Azure 2019 durations-percentiles file; default: found beside the invocations file. */
  durations?: string;
  /** Azure 2019 memory-percentiles file; default: found beside the invocations file. */
  memory?: string;
  /** Multiplies every count (default 1); counts may become fractional. */
  rateScale?: number;
  /** Window start, relative to the first bin of the file: `90s`, `30m`, `2h` or plain seconds. */
  from?: string;
  /** Window end (exclusive), same forms; default the end of the trace. */
  to?: string;
  /** Bin width for Azure 2021 records (default 60); the other formats have fixed bins. */
  binSeconds?: number;
}

const AZURE2019_BIN_SECONDS = 60;
const AZURE2021_DEFAULT_BIN_SECONDS = 60;

const KNOWN_FORMATS =
  `an Azure 2019 invocations CSV (header ${INVOCATIONS_HEADER_PREFIX.join(',')},<minutes>), ` +
  `an Azure 2021 CSV (header ${AZURE2021_HEADER.join(',')}) or a JSON array of counts per ${FSCODE_BIN_SECONDS} s (LSTM-PPO+ paper)`;

export async function loadTrace(opts: LoadTraceOptions): Promise<Trace> {
  const rateScale = opts.rateScale ?? 1;
  if (!Number.isFinite(rateScale) || rateScale <= 0) {
    throw new InputError(`--rate-scale must be a positive number, got ${opts.rateScale}`);
  }
  if (opts.binSeconds !== undefined && !(Number.isInteger(opts.binSeconds) && opts.binSeconds >= 1)) {
    throw new InputError(`--bin-seconds must be a positive whole number of seconds, got ${opts.binSeconds}`);
  }
  // Check the window's syntax before reading a possibly large file.
  if (opts.from !== undefined) parseTimeSeconds(opts.from, '--from');
  if (opts.to !== undefined) parseTimeSeconds(opts.to, '--to');

  const file = await resolveTraceFile(opts.trace);
  const format = await readingAs('--trace', file, () => detectFormat(file));
  if (format !== 'azure2019') {
    for (const [field, value] of [['--durations', opts.durations], ['--memory', opts.memory]] as const) {
      if (value !== undefined) throw new InputError(`${field} applies to Azure 2019 traces only; ${file} is ${formatName(format)}`);
    }
  }
  if (format !== 'azure2021' && opts.binSeconds !== undefined && opts.binSeconds !== nativeBinSeconds(format)) {
    throw new InputError(`--bin-seconds applies to Azure 2021 traces only; ${file} is ${formatName(format)} with fixed ${nativeBinSeconds(format)} s bins`);
  }

  const windowed = opts.from !== undefined || opts.to !== undefined;
  const chooseWindow = (binSeconds: number) => (binCount: number) => windowBins({ from: opts.from, to: opts.to, binSeconds, binCount });
  let trace = await readTrace(format, file, opts, windowed ? chooseWindow(AZURE2019_BIN_SECONDS) : undefined);
  if (trace.functions.length === 0) throw new InputError(`${file}: empty trace: a header but no data rows`);
  // The 2019 reader already kept only the window (see readAzure2019Invocations).
  if (windowed && format !== 'azure2019') {
    trace = applyWindow(trace, chooseWindow(trace.binSeconds)(trace.functions[0].counts.length));
  }
  // Rank before scaling: integer sums are exact, scaled ones can break ties by rounding.
  rankFunctions(trace).forEach((fn, i) => { fn.rank = i + 1; });
  return checkBinCounts(applyRateScale(trace, rateScale), rateScale);
}

/**
 * The most invocations one bin may hold once scaled: the simulator and the load generator hold a
 * bin's arrivals in memory (8 bytes each), so more would exhaust it rather than run.
 */
export const MAX_BIN_COUNT = 10_000_000;

function checkBinCounts(trace: Trace, rateScale: number): Trace {
  let busiest = 0;
  for (const fn of trace.functions) for (const c of fn.counts) busiest = Math.max(busiest, c);
  if (busiest > MAX_BIN_COUNT) {
    const scaled = rateScale === 1 ? '' : ` (with --rate-scale ${rateScale})`;
    throw new InputError(
      `${trace.source}: the busiest bin holds ${busiest.toExponential(2)} invocations${scaled}, more than the ${MAX_BIN_COUNT.toLocaleString('en-US')} a bin may hold; lower --rate-scale or take fewer functions`,
    );
  }
  return trace;
}

function nativeBinSeconds(format: TraceFormat): number {
  return format === 'fscode-json' ? FSCODE_BIN_SECONDS : AZURE2019_BIN_SECONDS;
}

function formatName(format: TraceFormat): string {
  return { 'azure2019': 'an Azure 2019 trace', 'azure2021': 'an Azure 2021 trace', 'fscode-json': 'a JSON counts trace', 'synthetic': 'a synthetic trace' }[format];
}

async function readTrace(format: TraceFormat, file: string, opts: LoadTraceOptions, chooseWindow?: WindowChooser): Promise<Trace> {
  const base = { format, source: opts.trace, startOffsetSeconds: 0 };
  switch (format) {
    case 'azure2019': {
      const found = findSideFiles(file);
      const durationsFile = opts.durations ?? found.durations;
      const memoryFile = opts.memory ?? found.memory;
      if (opts.durations !== undefined) await checkFile(opts.durations, '--durations');
      if (opts.memory !== undefined) await checkFile(opts.memory, '--memory');
      const { functions, firstMinute } = await readingAs('--trace', file, () => readAzure2019Invocations(file, chooseWindow));
      const durations = durationsFile === undefined ? undefined : await readingAs('--durations', durationsFile, () => readAzure2019Durations(durationsFile));
      const memory = memoryFile === undefined ? undefined : await readingAs('--memory', memoryFile, () => readAzure2019Memory(memoryFile));
      attachProfiles(functions, durations, memory);
      return {
        ...base, binSeconds: AZURE2019_BIN_SECONDS, startOffsetSeconds: (firstMinute - 1) * 60, functions,
        profileFiles: { durations: durationsFile, memory: memoryFile },
      };
    }
    case 'azure2021': {
      const binSeconds = opts.binSeconds ?? AZURE2021_DEFAULT_BIN_SECONDS;
      return { ...base, binSeconds, functions: await readingAs('--trace', file, () => readAzure2021(file, binSeconds)) };
    }
    case 'fscode-json': {
      const text = await readingAs('--trace', file, () => readFile(file, 'utf8'));
      return { ...base, binSeconds: FSCODE_BIN_SECONDS, functions: [parseFscodeJson(file, text)] };
    }
    case 'synthetic':
      throw new Error('synthetic traces are generated, not read from files');
  }
}

/** A folder is resolved to the one Azure 2019 invocations file in it. */
async function resolveTraceFile(path: string): Promise<string> {
  const info = await checkPath(path, '--trace');
  if (!info.isDirectory()) return path;
  const names = (await readdir(path)).filter(isInvocationsFileName).sort();
  if (names.length === 1) return join(path, names[0]);
  if (names.length === 0) {
    throw new InputError(`--trace ${path}: no invocations file in this folder (looked for invocations.csv and invocations_per_function_md.anon.dNN.csv); for other formats give the file itself`);
  }
  throw new InputError(`--trace ${path}: ${names.length} invocations files in this folder (${names.join(', ')}); give one of them as --trace`);
}

async function detectFormat(file: string): Promise<TraceFormat> {
  // 64 KiB holds the header of even the full 2019 day file (1444 columns, about 7 KB).
  const handle = await open(file, 'r');
  let head: string;
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(65536), position: 0 });
    head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
  if (head.trim() === '') throw errorAt(file, 1, 1, `empty file; expected ${KNOWN_FORMATS}`);
  if (head.trimStart().startsWith('[')) return 'fscode-json';
  const header = head.split('\n', 1)[0].replace(/\r$/, '');
  const fields = header.split(',');
  if (INVOCATIONS_HEADER_PREFIX.every((name, i) => fields[i] === name)) return 'azure2019';
  if (AZURE2021_HEADER.every((name) => fields.includes(name))) return 'azure2021';
  if (fields.some((name) => name.startsWith('percentile_Average_'))) {
    throw errorAt(file, 1, 1, 'this is an Azure 2019 durations file; give the invocations file (or its folder) as --trace, and this one as --durations if it is not found by name');
  }
  if (fields.includes('AverageAllocatedMb')) {
    throw errorAt(file, 1, 1, 'this is an Azure 2019 memory file; give the invocations file (or its folder) as --trace, and this one as --memory if it is not found by name');
  }
  throw errorAt(file, 1, 1, `unknown trace format; expected ${KNOWN_FORMATS}`);
}

async function checkPath(path: string, field: string): Promise<Awaited<ReturnType<typeof stat>>> {
  try {
    return await stat(path);
  } catch (err) {
    throw fileError(field, path, err);
  }
}

async function checkFile(path: string, field: string): Promise<void> {
  if ((await checkPath(path, field)).isDirectory()) throw new InputError(`${field} ${path}: is a folder, expected a file`);
}

/** Turns I/O failures while reading into InputErrors naming the option; parse errors pass through. */
async function readingAs<T>(field: string, path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fileError(field, path, err);
  }
}

function fileError(field: string, path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputError(`${field} ${path}: no such file or directory`, { cause: err });
  if (code === 'EISDIR') return new InputError(`${field} ${path}: is a folder, expected a file`, { cause: err });
  if (code !== undefined) return new InputError(`${field} ${path}: cannot read (${code})`, { cause: err });
  return err as Error;
}
