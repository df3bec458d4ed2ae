/**
 * The summary `faas-loadgen replay` prints at the end (stdout, and `--summary FILE`). It says what
 * was asked, what was sent, what came back, and how far the achieved rate was from the trace, per
 * bin — so a result can be trusted or discarded on its own evidence.
 */
import type { QuantileSummary } from './histogram.js';
import type { ArrivalMode } from './arrivals.js';

/** Transport-level failures (no HTTP status), by kind. */
export type ErrorKind = 'refused' | 'reset' | 'timeout' | 'aborted' | 'other';
export const ERROR_KINDS: readonly ErrorKind[] = ['refused', 'reset', 'timeout', 'aborted', 'other'];

export type StopReason = 'end' | 'duration' | 'signal';

export interface BinSummary {
  /** Bin over the whole replay (pass × binsPerPass + bin). */
  index: number;
  /** Wall-clock seconds from the start of the run to the start of this bin. */
  startSeconds: number;
  /** Expected requests: the (scaled) trace counts of all replayed functions in this bin. */
  target: number;
  /** Requests the arrival process drew for this bin (Poisson noise or carry rounding vs target). */
  scheduled: number;
  /** Requests actually sent during this bin's wall-clock window (late sends count where they went). */
  sent: number;
  /** Of `sent`, those answered 2xx / not. */
  ok: number;
  errors: number;
  /** (sent − target) / target; null when target is 0. */
  errorVsTarget: number | null;
  /** (sent − scheduled) / scheduled: the generator's own timing error; null when scheduled is 0. */
  errorVsScheduled: number | null;
}

export interface FunctionSummary {
  traceId: string;
  openfaasName: string;
  target: number;
  scheduled: number;
  sent: number;
  ok: number;
  errors: number;
}

export interface ReplaySummary {
  startedAt: string;
  elapsedSeconds: number;
  stoppedBy: StopReason;
  config: {
    gateway: string;
    mode: ArrivalMode;
    seed: string;
    speedup: number;
    binSeconds: number;
    /** Wall-clock length of one bin: binSeconds / speedup. */
    binWallSeconds: number;
    passes: number | 'forever';
    durationSeconds: number | null;
    timeoutMs: number;
    maxInflight: number;
    lateThresholdMs: number;
    payloadBytes: number;
  };
  /** Sum of the (scaled) trace counts over the bins that were reached. */
  target: number;
  /** Arrivals drawn for the bins that were reached, up to the stop. */
  scheduled: number;
  sent: number;
  /** Arrivals that were due before the stop but never sent (stopped while --max-inflight was full). */
  unsent: number;
  ok: number;
  /** Count per HTTP status code, 2xx included. */
  responses: Record<string, number>;
  errors: {
    total: number;
    /** Non-2xx responses per status code. */
    byStatus: Record<string, number>;
    /** Requests that got no complete response, per kind. */
    byKind: Record<ErrorKind, number>;
    /** Error codes behind `byKind.other` (e.g. EHOSTUNREACH). */
    otherCodes: Record<string, number>;
  };
  /** Sends more than `thresholdMs` behind their intended time, and the send lag distribution. */
  late: { thresholdMs: number; count: number; lagMs: QuantileSummary };
  /** Response time from the **intended** send time (includes any send lag): the honest latency. */
  latencyMs: QuantileSummary;
  /** Response time from the actual send (what a closed-loop tool would report). */
  serviceTimeMs: QuantileSummary;
  rate: {
    /** Mean target and achieved rates over the bins reached, requests per wall-clock second. */
    targetRps: number;
    sentRps: number;
    /** Mean and max |errorVsTarget| over bins with target ≥ 1, and the same vs scheduled. */
    meanAbsErrorVsTarget: number | null;
    maxAbsErrorVsTarget: number | null;
    meanAbsErrorVsScheduled: number | null;
    maxAbsErrorVsScheduled: number | null;
  };
  functions: FunctionSummary[];
  bins: BinSummary[];
}

/** Mean and max of |x| over the non-null entries, or nulls when there are none. */
export function absErrorStats(values: readonly (number | null)[]): { mean: number | null; max: number | null } {
  let n = 0;
  let sum = 0;
  let max = 0;
  for (const v of values) {
    if (v === null) continue;
    n++;
    sum += Math.abs(v);
    max = Math.max(max, Math.abs(v));
  }
  return n === 0 ? { mean: null, max: null } : { mean: round6(sum / n), max: round6(max) };
}

export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
