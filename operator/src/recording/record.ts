/**
 * `faas-autoscaler record`: range queries over [from, to] in chunks, one record per step per
 * function appended to an NDJSON file (format.ts), resumable.
 *
 *   for each chunk of ≤ chunkSteps steps (Prometheus refuses more than 11,000 points per series):
 *     run the range queries of queries.ts from one step before the chunk (every step needs a
 *     previous value), then `up` of the jobs the series came from (to tell a new series from a gap)
 *     → steps.ts builds the records → append them in one write
 *
 * Interrupting (SIGINT, `signal`) stops before the next write; what is in the file stays valid
 * and `resume` continues after the last step that has a record for every function (a torn last
 * line, from a kill in the middle of a write, is cut off first).
 */
import { open, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { InputError } from '#kernel/input-error.js';
import { PrometheusError, type RangeQuerier } from '../metrics/prometheus.js';
import {
  headerLine,
  parseHeader,
  parseRecord,
  recordLine,
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type RecordField,
  type RecordingHeader,
} from './format.js';
import { functionLabel, recordQueries, upQuery, type FunctionRef, type QuerySpec } from './queries.js';
import { alignSeries, buildRecord, QueryData, TargetHealth, type ChunkData, type StepContext } from './steps.js';

/** Prometheus' limit is 11,000 points per series; one point of each chunk is the previous step. */
export const MAX_CHUNK_STEPS = 10_999;
export const DEFAULT_CHUNK_STEPS = 1000;

export interface RecordOptions {
  /** Role A (gateway metrics) and role B (cAdvisor, kube-state-metrics). */
  gateway: RangeQuerier;
  cluster: RangeQuerier;
  functions: readonly FunctionRef[];
  fromMs: number;
  toMs: number;
  stepSeconds: number;
  /** Default 2 × step. */
  maxSampleAgeSeconds?: number;
  chunkSteps?: number;
  out: string;
  /** Continue an interrupted recording in `out` (its header decides the range, step and functions). */
  resume?: boolean;
  /** Replace an existing `out` (without it, or `resume`, an existing file is an error). */
  force?: boolean;
  /** Base URLs for the header (credentials already removed). */
  sourceUrls: { a: string; b: string };
  tool: string;
  signal?: AbortSignal;
  onProgress?: (p: RecordProgress) => void;
  /** Now, for the header's createdAt (tests pin it). */
  now?: () => number;
}

export interface RecordProgress {
  stepsDone: number;
  stepsTotal: number;
  chunksDone: number;
  chunksTotal: number;
  elapsedSeconds: number;
}

export interface RecordSummary {
  out: string;
  header: RecordingHeader;
  /** Steps in the whole recording, and those written by this run. */
  stepsTotal: number;
  stepsWritten: number;
  /** Steps that were already in the file (resume). */
  stepsResumed: number;
  interrupted: boolean;
  /** Null fields by field, with the most frequent reasons. */
  nulls: Partial<Record<RecordField, { count: number; reasons: Map<string, number> }>>;
  /** Notes (resets, new series) by text, with counts. */
  notes: Map<string, number>;
  queries: number;
}

export async function runRecord(opts: RecordOptions): Promise<RecordSummary> {
  const started = Date.now();
  let header: RecordingHeader;
  let firstStep = 0;
  if (opts.resume) {
    const existing = await readForResume(opts.out);
    header = existing.header;
    firstStep = existing.completeSteps;
  } else {
    header = newHeader(opts);
  }
  const stepMs = Math.round(header.stepSeconds * 1000);
  const fromMs = Date.parse(header.from);
  const stepsTotal = Math.floor((Date.parse(header.to) - fromMs) / stepMs) + 1;
  const functions = header.functions.map((f) => {
    const dot = f.lastIndexOf('.');
    return { name: f.slice(0, dot), namespace: f.slice(dot + 1) };
  });
  const specs = recordQueries(functions);
  const chunkSteps = opts.chunkSteps ?? DEFAULT_CHUNK_STEPS;
  if (!Number.isInteger(chunkSteps) || chunkSteps < 1 || chunkSteps > MAX_CHUNK_STEPS) {
    throw new InputError(
      `--chunk-steps: must be an integer from 1 to ${MAX_CHUNK_STEPS} (Prometheus returns at most 11,000 points per series), got ${chunkSteps}`,
    );
  }
  const summary: RecordSummary = {
    out: opts.out,
    header,
    stepsTotal,
    stepsWritten: 0,
    stepsResumed: firstStep,
    interrupted: false,
    nulls: {},
    notes: new Map(),
    queries: 0,
  };
  // Without --resume an existing file is replaced only when asked (--force): 'wx' refuses it.
  const file = await openRecording(opts.out, opts.resume ? 'a' : opts.force ? 'w' : 'wx');
  try {
    if (!opts.resume) await file.write(headerLine(header));
    const chunksTotal = Math.ceil((stepsTotal - firstStep) / chunkSteps);
    let chunksDone = 0;
    for (let k0 = firstStep; k0 < stepsTotal; k0 += chunkSteps) {
      if (opts.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const k1 = Math.min(stepsTotal - 1, k0 + chunkSteps - 1);
      const first = k0 === firstStep;
      const lines = await abortable(recordChunk({ opts, header, specs, fromMs, stepMs, k0, k1, summary, first }), opts.signal);
      if (lines === undefined) {
        summary.interrupted = true;
        break;
      }
      await file.write(lines);
      summary.stepsWritten += k1 - k0 + 1;
      chunksDone++;
      opts.onProgress?.({ stepsDone: k1 + 1, stepsTotal, chunksDone, chunksTotal, elapsedSeconds: (Date.now() - started) / 1000 });
    }
  } catch (err) {
    // Nothing recorded yet by this run: leave no file behind (a resumed one keeps what it had).
    await file.close();
    if (!opts.resume && summary.stepsWritten === 0) await rm(opts.out, { force: true });
    throw err;
  }
  await file.close();
  await refuseEmpty(opts, summary);
  return summary;
}

function newHeader(opts: RecordOptions): RecordingHeader {
  if (opts.functions.length === 0) throw new InputError('--function: give at least one function');
  if (!(opts.stepSeconds > 0)) throw new InputError(`--step: must be > 0, got ${opts.stepSeconds}`);
  if (!(opts.toMs >= opts.fromMs))
    throw new InputError(`--to: ${new Date(opts.toMs).toISOString()} is before --from ${new Date(opts.fromMs).toISOString()}`);
  const maxAge = opts.maxSampleAgeSeconds ?? 2 * opts.stepSeconds;
  if (!(maxAge > 0)) throw new InputError(`--max-sample-age: must be > 0, got ${maxAge}`);
  const labels = [...new Set(opts.functions.map(functionLabel))];
  const stepMs = Math.round(opts.stepSeconds * 1000);
  const steps = Math.floor((opts.toMs - opts.fromMs) / stepMs) + 1;
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    createdAt: new Date((opts.now ?? Date.now)()).toISOString(),
    tool: opts.tool,
    from: new Date(opts.fromMs).toISOString(),
    to: new Date(opts.fromMs + (steps - 1) * stepMs).toISOString(),
    stepSeconds: opts.stepSeconds,
    maxSampleAgeSeconds: maxAge,
    functions: labels,
    sources: opts.sourceUrls,
    queries: {
      ...Object.fromEntries(recordQueries(opts.functions).map((q) => [q.key, q.promql])),
      scrapeTimes: upQuery(['<jobs of the series above>']),
    },
  };
}

interface ChunkArgs {
  opts: RecordOptions;
  header: RecordingHeader;
  specs: readonly QuerySpec[];
  fromMs: number;
  stepMs: number;
  k0: number;
  k1: number;
  summary: RecordSummary;
  /** The run's first chunk: a Prometheus that cannot be queried then ends the run. */
  first: boolean;
}

/** Failures of a whole source (as opposed to a query it refused). */
const SOURCE_DOWN: ReadonlySet<string> = new Set(['unreachable', 'timeout', 'server']);

/** Opens the recording; an existing file without --resume or --force is one line, not a stack trace. */
async function openRecording(path: string, flags: 'a' | 'w' | 'wx'): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new InputError(`--out: ${path} exists; give --resume to continue it or --force to replace it`, { cause: err });
    throw new InputError(`--out: cannot write ${path} (${code ?? (err as Error).message})`, { cause: err });
  }
}

/** Queries, aligns and builds the records of steps k0..k1; returns their lines. */
async function recordChunk(a: ChunkArgs): Promise<string> {
  const { opts, header, specs, fromMs, stepMs, k0, k1, summary } = a;
  const startMs = fromMs + (k0 - 1) * stepMs;
  const endMs = fromMs + k1 * stepMs;
  const points = k1 - k0 + 2;
  const range = { startMs, endMs, stepSeconds: header.stepSeconds };
  const sourceOf = (s: 'a' | 'b'): RangeQuerier => (s === 'a' ? opts.gateway : opts.cluster);
  const results = await Promise.all(
    specs.map(async (spec) => {
      try {
        return new QueryData(spec, alignSeries(await sourceOf(spec.source).queryRange(spec.promql, range), startMs, stepMs, points));
      } catch (err) {
        if (!(err instanceof PrometheusError)) throw err;
        // The gateway's Prometheus not answering at the first chunk is a wrong URL or an outage: say
        // so now rather than write a file of empty records. Later, or for role B (CPU, memory), a
        // failure is a null field with its reason.
        if (a.first && spec.source === 'a' && SOURCE_DOWN.has(err.kind)) {
          throw new InputError(`record: ${sourceOf(spec.source).name} cannot be queried: ${err.message}; nothing was recorded`, {
            cause: err,
          });
        }
        return new QueryData(spec, [], err.message);
      }
    }),
  );
  summary.queries += specs.length;
  const data = Object.fromEntries(results.map((q) => [q.spec.key, q])) as ChunkData;
  const sourceJobs = { a: new Set<string>(), b: new Set<string>() };
  for (const q of results) for (const j of q.jobs) sourceJobs[q.spec.source].add(j);
  const upSeries = await Promise.all(
    (['a', 'b'] as const).map(async (s) => {
      if (sourceJobs[s].size === 0) return [];
      summary.queries++;
      try {
        return alignSeries(await sourceOf(s).queryRange(upQuery([...sourceJobs[s]]), range), startMs, stepMs, points);
      } catch (err) {
        if (!(err instanceof PrometheusError)) throw err;
        // Without scrape times every value counts as fresh; say so rather than fail the chunk.
        summary.notes.set(`${err.message} (scrape-time query; gaps cannot be told from data)`, 1);
        return [];
      }
    }),
  );
  const allJobs = [...sourceJobs.a, ...sourceJobs.b];
  const ctx: StepContext = {
    health: new TargetHealth(upSeries.flat(), upSeries.flat().length > 0 ? allJobs : [], {
      startMs,
      stepMs,
      maxSampleAgeMs: header.maxSampleAgeSeconds * 1000,
    }),
    sourceJobs,
    sourceNames: { a: opts.gateway.name, b: opts.cluster.name },
  };
  let out = '';
  for (let j = 1; j < points; j++) {
    const tMs = startMs + j * stepMs;
    for (const fn of header.functions) {
      const rec = buildRecord(data, fn, { j, tMs, stepSeconds: header.stepSeconds }, ctx);
      tally(summary, rec.missing, rec.notes);
      out += recordLine(rec);
    }
  }
  return out;
}

function tally(summary: RecordSummary, missing: Partial<Record<RecordField, string>>, notes: readonly string[]): void {
  for (const [field, reason] of Object.entries(missing) as [RecordField, string][]) {
    const entry = (summary.nulls[field] ??= { count: 0, reasons: new Map() });
    entry.count++;
    entry.reasons.set(reason, (entry.reasons.get(reason) ?? 0) + 1);
  }
  for (const n of notes) summary.notes.set(n, (summary.notes.get(n) ?? 0) + 1);
}

/** Resolves with the promise's value, or undefined as soon as `signal` aborts. */
async function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return p;
  if (signal.aborted) return undefined;
  let onAbort!: () => void;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    // A chunk still running after an abort has nothing left to write to.
    p.catch(() => undefined);
  }
}

/**
 * Reads an interrupted recording: its header, and how many steps are complete (a record for every
 * function). Cuts the file after the last complete step, dropping a torn line or a partial step.
 */
async function readForResume(path: string): Promise<{ header: RecordingHeader; completeSteps: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new InputError(`--resume: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const firstNewline = buf.indexOf(10);
  if (firstNewline < 0) throw new InputError(`--resume: ${path}:1 has no complete header line; start a new recording without --resume`);
  const header = parseHeader(buf.toString('utf8', 0, firstNewline), `${path}:1`);
  const functions = new Set(header.functions);
  const stepMs = Math.round(header.stepSeconds * 1000);
  const fromMs = Date.parse(header.from);
  let offset = firstNewline + 1;
  let keepBytes = offset;
  let completeSteps = 0;
  let lineNo = 1;
  let stepFns = new Set<string>();
  for (;;) {
    const nl = buf.indexOf(10, offset);
    if (nl < 0) break; // a torn last line (or the end)
    lineNo++;
    const rec = parseRecord(buf.toString('utf8', offset, nl), `${path}:${lineNo}`, functions);
    const want = fromMs + completeSteps * stepMs;
    if (Date.parse(rec.t) !== want) {
      throw new InputError(
        `--resume: ${path}:${lineNo}: field "t" is ${rec.t}, expected ${new Date(want).toISOString()}; not a file this tool wrote`,
      );
    }
    stepFns.add(rec.fn);
    offset = nl + 1;
    if (stepFns.size === functions.size) {
      completeSteps++;
      keepBytes = offset;
      stepFns = new Set();
    }
  }
  if (keepBytes < buf.length) await truncate(path, keepBytes);
  return { header, completeSteps };
}

/**
 * A recording with no request count for any function in any step is no recording: a wrong
 * function name, namespace or Prometheus. The file is removed and the reason given.
 */
async function refuseEmpty(opts: RecordOptions, summary: RecordSummary): Promise<void> {
  const records = summary.stepsWritten * summary.header.functions.length;
  const requests = summary.nulls.requests;
  if (summary.interrupted || summary.stepsResumed > 0 || records === 0 || (requests?.count ?? 0) < records) return;
  await rm(opts.out, { force: true });
  const why = [...(requests?.reasons.entries() ?? [])].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'no reason given';
  throw new InputError(
    `record: no request counts for ${summary.header.functions.join(', ')} in any of the ${summary.stepsWritten} steps (${why}); check --function, --namespace and --prom-a; nothing was kept`,
  );
}
