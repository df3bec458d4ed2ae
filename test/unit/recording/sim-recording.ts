/**
 * A recording made by the simulator instead of Prometheus: the same script of arrivals and replica
 * changes, one record per step from the simulator's exact windows. Calibrating it must give back
 * the simulator's own configuration (no scrape timing, no network in between).
 */
import {
  headerLine,
  recordLine,
  type RecordingHeader,
  type Recording,
  type RecordingRecord,
} from '../../../operator/src/recording/format.js';
import { mergeWindows } from '../../../operator/src/recording/goodness-of-fit.js';
import type { SimConfig } from '../../../operator/src/sim/config.js';
import { FunctionSimulator } from '../../../operator/src/sim/simulator.js';
import type { FunctionMetricsWindow } from '../../../operator/src/metrics/types.js';

export const FN = 'fn.openfaas-fn';

export function recordFromWindow(w: FunctionMetricsWindow, tMs: number, stepSeconds: number): RecordingRecord {
  const requests = [...(w.invocationsByCode?.values() ?? [])].reduce((a, b) => a + b, 0);
  return {
    t: new Date(tMs).toISOString(),
    fn: FN,
    requests,
    requestsByCode: Object.fromEntries(w.invocationsByCode ?? []),
    started: w.invocationsStarted,
    rps: requests / stepSeconds,
    latencyBuckets: w.latencyBuckets ? w.latencyBuckets.map((b) => ({ ...b })) : null,
    latencySumSeconds: w.latencySumSeconds,
    latencyCount: w.latencyCount,
    meanExecutionMs: w.latencyCount ? (w.latencySumSeconds! / w.latencyCount) * 1000 : null,
    cpuCores: w.cpuCores,
    memoryBytes: w.memoryBytes,
    pods: w.podsReporting,
    replicas: w.replicas,
    readyReplicas: w.readyReplicas,
    inflight: w.inflight,
    missing: w.latencyCount ? {} : { meanExecutionMs: 'no successful request completed in the step' },
    notes: [],
  };
}

export interface SimRecordingOptions {
  counts: readonly number[];
  /** [seconds, replicas]; fractional seconds change replicas inside a step. */
  scaling: readonly (readonly [number, number])[];
  sim: Partial<SimConfig>;
  stepSeconds?: number;
  seed?: number;
}

export function simRecording(opts: SimRecordingOptions): Recording {
  const step = opts.stepSeconds ?? 1;
  const sim = new FunctionSimulator({
    fn: { id: FN, row: 1, counts: opts.counts, profile: {} },
    binSeconds: 1,
    seed: opts.seed ?? 7,
    config: { ...opts.sim, functionName: FN },
  });
  const fromMs = Date.UTC(2026, 0, 1, 0, 0, step);
  const steps = Math.floor(opts.counts.length / step);
  const records: RecordingRecord[] = [];
  const pending = [...opts.scaling].sort((a, b) => a[0] - b[0]);
  for (let k = 0; k < steps; k++) {
    const end = (k + 1) * step;
    let window: FunctionMetricsWindow | undefined;
    while (pending.length > 0 && pending[0][0] < end) {
      const [at, replicas] = pending.shift()!;
      if (at > sim.nowSeconds) {
        const w = sim.advance(at - sim.nowSeconds).window;
        window = window ? mergeWindows(window, w) : w;
      }
      sim.setReplicas(replicas);
    }
    const w = sim.advance(end - sim.nowSeconds).window;
    window = window ? mergeWindows(window, w) : w;
    records.push(recordFromWindow(window, fromMs + k * step * 1000, step));
  }
  const header: RecordingHeader = {
    format: 'faas-autoscaler-recording',
    version: 1,
    createdAt: new Date(fromMs).toISOString(),
    tool: 'test',
    from: records[0].t,
    to: records[records.length - 1].t,
    stepSeconds: step,
    maxSampleAgeSeconds: 2 * step,
    functions: [FN],
    sources: { a: 'simulator', b: 'simulator' },
    queries: {},
  };
  return { path: 'simulated', header, byFunction: new Map([[FN, records]]), timesMs: records.map((r) => Date.parse(r.t)) };
}

/** The recording as the file `record` would write. */
export function recordingText(recording: Recording): string {
  let out = headerLine(recording.header);
  for (let k = 0; k < recording.timesMs.length; k++)
    for (const fn of recording.header.functions) out += recordLine(recording.byFunction.get(fn)![k]);
  return out;
}
