/**
 * The body of `faas-loadgen replay`, loaded only when the command runs (it pulls in undici and the
 * trace readers). Signals: the first SIGINT or SIGTERM stops sending and gives in-flight requests
 * up to --timeout to finish; a second one aborts them. Either way the summary is written, and the
 * exit code is 130 (128 + SIGINT) so scripts can tell an interrupted run from a complete one.
 */
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { InputError } from '#kernel/input-error.js';
import { checkWritable } from '#kernel/output.js';
import { loadTrace, parseFunctionSelector, selectFunction, selectFunctions } from '#kernel/traces/index.js';
import type { ArrivalMode } from '../arrivals.js';
import { resolveTargets } from '../function-map.js';
import { progressPrinter, type ProgressMode } from '../progress.js';
import { replay } from '../replay.js';
import type { ReplaySummary } from '../replay-summary.js';

/** Flags after validation, in the units the engine uses. */
export interface ReplaySettings {
  trace: string;
  functionSelection: string;
  map?: string;
  gateway: string;
  mode: ArrivalMode;
  speedup: number;
  rateScale: number;
  from?: string;
  to?: string;
  binSeconds?: number;
  durationSeconds?: number;
  passes: number;
  seed: string;
  timeoutMs: number;
  payload: { bytes: number } | { file: string };
  maxInflight: number;
  lateThresholdMs: number;
  summaryFile?: string;
  logFile?: string;
  progress: ProgressMode;
}

/** The request body: `bytes` filler bytes ('x'), or a file's contents. */
export async function loadPayload(payload: ReplaySettings['payload']): Promise<Uint8Array> {
  if ('bytes' in payload) return Buffer.alloc(payload.bytes, 'x');
  try {
    return await readFile(payload.file);
  } catch (err) {
    throw new InputError(`--payload: "${payload.file}" is neither a size (512, 4k, 1MiB) nor a readable file (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** Open a file for writing, turning a bad path into an InputError naming the flag. */
export async function openOutput(flag: string, file: string): Promise<Writable> {
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new InputError(`${flag}: cannot write ${file}: ${err.message}`, { cause: err })));
  });
  return stream;
}

export const EXIT_INTERRUPTED = 130;

/** What `replay` prints: the engine's summary with the trace it came from in front. */
export type ReplayReport = { trace: TraceInfo } & ReplaySummary;

interface TraceInfo {
  source: string;
  format: string;
  binSeconds: number;
  startOffsetSeconds: number;
  rateScale: number;
  from: string | null;
  to: string | null;
  functionSelection: string;
}

export async function runReplay(s: ReplaySettings): Promise<number> {
  const trace = await loadTrace({ trace: s.trace, rateScale: s.rateScale, from: s.from, to: s.to, binSeconds: s.binSeconds });
  const selected = selectFunctions(trace, s.functionSelection, '--function');
  const targets = resolveTargets(
    selected.map((f) => f.id),
    s.map,
    (key) => selectFunction(trace, parseFunctionSelector(key, '--map')).id,
  );
  const payload = await loadPayload(s.payload);
  if (s.summaryFile !== undefined) await checkWritable('--summary', s.summaryFile);
  const log: Writable | undefined = s.logFile === undefined ? undefined : await openOutput('--log', s.logFile);
  let logError: Error | undefined;
  log?.on('error', (err: Error) => {
    logError ??= err;
  });

  const stop = new AbortController();
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) stop.abort();
    else abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const printer = progressPrinter(s.progress);
  let summary: ReplaySummary;
  try {
    summary = await replay({
      gateway: s.gateway,
      targets: targets.map((t, i) => ({ ...t, counts: selected[i].counts })),
      binSeconds: trace.binSeconds,
      mode: s.mode,
      seed: s.seed,
      speedup: s.speedup,
      passes: s.passes,
      durationSeconds: s.durationSeconds,
      timeoutMs: s.timeoutMs,
      payload,
      maxInflight: s.maxInflight,
      lateThresholdMs: s.lateThresholdMs,
      log,
      onProgress: printer ? (p) => printer.update(p) : undefined,
      stopSignal: stop.signal,
      abortSignal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    printer?.close();
  }
  const report: ReplayReport = {
    trace: {
      source: trace.source,
      format: trace.format,
      binSeconds: trace.binSeconds,
      startOffsetSeconds: trace.startOffsetSeconds,
      rateScale: s.rateScale,
      from: s.from ?? null,
      to: s.to ?? null,
      functionSelection: s.functionSelection,
    },
    ...summary,
  };
  const json = JSON.stringify(report, null, 2) + '\n';
  if (s.summaryFile !== undefined) await writeFile(s.summaryFile, json);
  await new Promise<void>((resolve) => process.stdout.write(json, () => resolve()));
  if (logError !== undefined) {
    // The run and its summary stand; the per-request log is incomplete, and that is an error.
    throw new Error(`--log: writing ${s.logFile} failed, the log is incomplete: ${logError.message}`, { cause: logError });
  }
  return summary.stoppedBy === 'signal' ? EXIT_INTERRUPTED : 0;
}
