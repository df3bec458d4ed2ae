/**
 * The recording file (`faas-autoscaler record --out FILE`), version 1: NDJSON, one header line,
 * then one line per step per function, in time order (functions in header order within a step).
 * The full specification, with an example, is docs/recording.md; this module is its one reader
 * and writer.
 *
 *   {"format":"faas-autoscaler-recording","version":1,"stepSeconds":30,"functions":[...],...}
 *   {"t":"2026-01-01T00:00:30.000Z","fn":"figlet.openfaas-fn","requests":12,...,"missing":{...}}
 *
 * Missing values are `null`, never a silent 0, and `missing.<field>` says why (no series, a gap in
 * the scrapes, NaN, several series, ...). `notes` lists what was repaired on purpose (a counter
 * reset, a series that started inside the step).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '#kernel/input-error.js';
import type { HistogramBucket } from '../metrics/types.js';
import { DEFAULT_NAMESPACE, functionLabel, parseFunctionRef } from './queries.js';

export const RECORDING_FORMAT = 'faas-autoscaler-recording';
export const RECORDING_VERSION = 1;

/** The first line of a recording. */
export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  /** When `record` started writing this file (RFC 3339). */
  createdAt: string;
  /** `faas-autoscaler <version>`. */
  tool: string;
  /** First and last step time (RFC 3339); each record covers (t − step, t]. */
  from: string;
  to: string;
  stepSeconds: number;
  /**
   * A sample older than this at a step counts as absent (a gap), so that a Prometheus that stopped
   * scraping shows as nulls rather than as a flat line (Prometheus itself looks back 5 minutes).
   */
  maxSampleAgeSeconds: number;
  /** Gateway `function_name` labels, `<name>.<namespace>`. */
  functions: string[];
  /** Prometheus base URLs (credentials removed): role A (gateway), role B (cAdvisor, kube-state-metrics). */
  sources: { a: string; b: string };
  /** Every PromQL range query `record` ran, by field. */
  queries: Record<string, string>;
}

/** The fields of a record that can be missing (null), each with a reason in `missing`. */
export const RECORD_FIELDS = [
  'requests',
  'requestsByCode',
  'started',
  'rps',
  'latencyBuckets',
  'latencySumSeconds',
  'latencyCount',
  'meanExecutionMs',
  'cpuCores',
  'memoryBytes',
  'pods',
  'replicas',
  'readyReplicas',
  'inflight',
] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

/** One function over one step (t − step, t]. */
export interface RecordingRecord {
  /** End of the step (RFC 3339, ms precision). */
  t: string;
  /** `<name>.<namespace>`. */
  fn: string;
  /** Requests that completed in the step, all codes (increase of gateway_function_invocation_total). */
  requests: number | null;
  requestsByCode: Record<string, number> | null;
  /** Requests that reached the gateway in the step (gateway_function_invocation_started): the arrivals. */
  started: number | null;
  /** requests / stepSeconds. */
  rps: number | null;
  /** Completed requests by latency, cumulative, `le` ascending, ending with +Inf (all codes). */
  latencyBuckets: HistogramBucket[] | null;
  /** Sum and count of the latencies of successful (code 200) requests. */
  latencySumSeconds: number | null;
  latencyCount: number | null;
  /** latencySumSeconds / latencyCount in ms (the paper's "execution time"); null without successes. */
  meanExecutionMs: number | null;
  /** Mean CPU of the function's containers over the step (cores). */
  cpuCores: number | null;
  /** Working set of the function's containers at t (bytes). */
  memoryBytes: number | null;
  /** Pods with a fresh working-set sample at t (cAdvisor). */
  pods: number | null;
  /** Replicas asked for at t (Deployment spec.replicas, else gateway_service_count). */
  replicas: number | null;
  /** Ready replicas at t (kube-state-metrics). */
  readyReplicas: number | null;
  /** Requests inside the gateway at t (OpenFaaS Pro's inflight gauge; CE has none). */
  inflight: number | null;
  /** Why each null field is null. */
  missing: Partial<Record<RecordField, string>>;
  /** What was repaired in this step (counter resets, series created inside the step). */
  notes: string[];
}

/** A recording in memory: the header and the records grouped by function, in time order. */
export interface Recording {
  path: string;
  header: RecordingHeader;
  /** Records per function, each in time order; every function has one record per step. */
  byFunction: Map<string, RecordingRecord[]>;
  /** Step times (ms) common to all functions. */
  timesMs: number[];
}

export function headerLine(h: RecordingHeader): string {
  return `${JSON.stringify(h)}\n`;
}

/** One record as a line; buckets as [le, count] pairs with "+Inf" spelled out (JSON has no Infinity). */
export function recordLine(r: RecordingRecord): string {
  const out = {
    ...r,
    latencyBuckets: r.latencyBuckets?.map((b) => [b.le === Number.POSITIVE_INFINITY ? '+Inf' : b.le, round(b.count)]) ?? null,
  };
  return `${JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' ? round(v) : v))}\n`;
}

/** Counts and rates to 9 significant digits: exact for integers, no float noise in the file. */
function round(v: number): number {
  return Number.isInteger(v) ? v : Number(v.toPrecision(9));
}

/** Parses and checks the header line; `where` is `file:line` for messages. */
export function parseHeader(text: string, where: string): RecordingHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InputError(`${where}: the first line must be the recording header (JSON), got ${JSON.stringify(text.slice(0, 60))}`);
  }
  const h = raw as Partial<RecordingHeader>;
  if (typeof raw !== 'object' || raw === null || h.format !== RECORDING_FORMAT) {
    throw new InputError(`${where}: not a faas-autoscaler recording (header "format" must be "${RECORDING_FORMAT}")`);
  }
  if (h.version !== RECORDING_VERSION) {
    throw new InputError(
      `${where}: recording version ${JSON.stringify(h.version)} is not supported (this build reads version ${RECORDING_VERSION})`,
    );
  }
  if (typeof h.stepSeconds !== 'number' || !(h.stepSeconds > 0))
    throw new InputError(`${where}: header "stepSeconds" must be a number > 0`);
  if (!Array.isArray(h.functions) || h.functions.length === 0 || h.functions.some((f) => typeof f !== 'string')) {
    throw new InputError(`${where}: header "functions" must be a non-empty list of function names`);
  }
  for (const k of ['from', 'to'] as const) {
    if (typeof h[k] !== 'string' || Number.isNaN(Date.parse(h[k])))
      throw new InputError(`${where}: header "${k}" must be an RFC 3339 time`);
  }
  if (typeof h.maxSampleAgeSeconds !== 'number') throw new InputError(`${where}: header "maxSampleAgeSeconds" must be a number`);
  return h as RecordingHeader;
}

const NUMBER_FIELDS = [
  'requests',
  'started',
  'rps',
  'latencySumSeconds',
  'latencyCount',
  'meanExecutionMs',
  'cpuCores',
  'memoryBytes',
  'pods',
  'replicas',
  'readyReplicas',
  'inflight',
] as const;

/** Parses one record line; every malformed field is an InputError naming `file:line` and the field. */
export function parseRecord(text: string, where: string, functions: ReadonlySet<string>): RecordingRecord {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new InputError(`${where}: not a JSON object: ${JSON.stringify(text.slice(0, 60))}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(`${where}: a record must be a JSON object`);
  if (typeof raw.t !== 'string' || Number.isNaN(Date.parse(raw.t))) throw new InputError(`${where}: field "t" must be an RFC 3339 time`);
  if (typeof raw.fn !== 'string' || !functions.has(raw.fn)) {
    throw new InputError(
      `${where}: field "fn" must be one of the header's functions (${[...functions].join(', ')}), got ${JSON.stringify(raw.fn)}`,
    );
  }
  const missing = (raw.missing ?? {}) as Record<string, unknown>;
  if (typeof missing !== 'object' || Array.isArray(missing)) throw new InputError(`${where}: field "missing" must be an object of reasons`);
  const rec: RecordingRecord = {
    t: raw.t,
    fn: raw.fn,
    requests: null,
    requestsByCode: null,
    started: null,
    rps: null,
    latencyBuckets: null,
    latencySumSeconds: null,
    latencyCount: null,
    meanExecutionMs: null,
    cpuCores: null,
    memoryBytes: null,
    pods: null,
    replicas: null,
    readyReplicas: null,
    inflight: null,
    missing: {},
    notes: Array.isArray(raw.notes) ? raw.notes.map(String) : [],
  };
  for (const f of NUMBER_FIELDS) {
    const v = raw[f];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new InputError(`${where}: field "${f}" must be a number >= 0 or null, got ${JSON.stringify(v)}`);
    rec[f] = v;
  }
  if (raw.requestsByCode !== null && raw.requestsByCode !== undefined) {
    const by = raw.requestsByCode as Record<string, unknown>;
    if (typeof by !== 'object' || Array.isArray(by) || Object.values(by).some((v) => typeof v !== 'number' || !(v >= 0))) {
      throw new InputError(`${where}: field "requestsByCode" must map status codes to numbers >= 0`);
    }
    rec.requestsByCode = by as Record<string, number>;
  }
  if (raw.latencyBuckets !== null && raw.latencyBuckets !== undefined) rec.latencyBuckets = parseBuckets(raw.latencyBuckets, where);
  for (const f of RECORD_FIELDS) {
    if (rec[f] === null) {
      const why = missing[f];
      rec.missing[f] = typeof why === 'string' ? why : 'null in the recording, no reason given';
    }
  }
  return rec;
}

function parseBuckets(v: unknown, where: string): HistogramBucket[] {
  const bad = (): never => {
    throw new InputError(`${where}: field "latencyBuckets" must be [[le, cumulative count], ...] with le ascending and ending with "+Inf"`);
  };
  if (!Array.isArray(v) || v.length === 0) bad();
  const out: HistogramBucket[] = (v as unknown[]).map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) return bad();
    const [le, count] = pair as [unknown, unknown];
    const leNum = le === '+Inf' ? Number.POSITIVE_INFINITY : le;
    if (typeof leNum !== 'number' || Number.isNaN(leNum) || typeof count !== 'number' || !(count >= 0)) return bad();
    return { le: leNum, count };
  });
  for (let i = 1; i < out.length; i++) if (!(out[i].le > out[i - 1].le)) bad();
  if (out[out.length - 1].le !== Number.POSITIVE_INFINITY) bad();
  return out;
}

/**
 * Reads a whole recording. Records must come one per step per function, in time order; a missing
 * or duplicated record, or a step off the grid, is an InputError with `file:line`.
 */
export async function readRecording(path: string): Promise<Recording> {
  let header: RecordingHeader | undefined;
  let functions = new Set<string>();
  const byFunction = new Map<string, RecordingRecord[]>();
  const timesMs: number[] = [];
  let lineNo = 0;
  let stepMs = 0;
  let fromMs = 0;
  let pending = new Set<string>();
  let current = Number.NaN;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new InputError(`--recording: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const text of lines) {
    lineNo++;
    const where = `${path}:${lineNo}`;
    if (text.trim() === '') continue;
    if (header === undefined) {
      header = parseHeader(text, where);
      functions = new Set(header.functions);
      for (const f of header.functions) byFunction.set(f, []);
      stepMs = Math.round(header.stepSeconds * 1000);
      fromMs = Date.parse(header.from);
      continue;
    }
    const rec = parseRecord(text, where, functions);
    const tMs = Date.parse(rec.t);
    if (tMs !== current) {
      if (pending.size > 0)
        throw new InputError(`${where}: step ${new Date(current).toISOString()} lacks records for ${[...pending].join(', ')}`);
      const want = timesMs.length === 0 ? fromMs : timesMs[timesMs.length - 1] + stepMs;
      if (tMs !== want)
        throw new InputError(
          `${where}: field "t" is ${rec.t}, expected ${new Date(want).toISOString()} (one record per step of ${header.stepSeconds} s, in order)`,
        );
      timesMs.push(tMs);
      current = tMs;
      pending = new Set(functions);
    }
    if (!pending.delete(rec.fn)) throw new InputError(`${where}: a second record for ${rec.fn} at ${rec.t}`);
    byFunction.get(rec.fn)!.push(rec);
  }
  if (header === undefined) throw new InputError(`${path}:1: empty file; expected a recording header`);
  if (pending.size > 0)
    throw new InputError(
      `${path}:${lineNo}: the last step ${new Date(current).toISOString()} lacks records for ${[...pending].join(', ')} (an interrupted record? run record --resume)`,
    );
  if (timesMs.length === 0) throw new InputError(`${path}: the recording has a header but no records`);
  return { path, header, byFunction, timesMs };
}

/** The function of a recording a flag names (NAME or NAME.NAMESPACE), or the only one. */
export function pickFunction(flag: string, recording: Recording, text: string | undefined): string {
  const all = recording.header.functions;
  if (text === undefined) {
    if (all.length === 1) return all[0];
    throw new InputError(`${flag}: ${recording.path} holds ${all.length} functions; pick one of ${all.join(', ')}`);
  }
  const want = functionLabel(parseFunctionRef(flag, text, DEFAULT_NAMESPACE));
  if (!all.includes(want)) throw new InputError(`${flag}: ${want} is not in ${recording.path}; it holds ${all.join(', ')}`);
  return want;
}
