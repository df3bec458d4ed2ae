/**
 * The `evaluate --json` schema, defined once: `EvaluateResult` here, its per-policy rows the
 * episode loop's `PolicyResult` (sim/episode.ts); the report adds the per-interval series it draws.
 */
import type { PolicyResult } from '../sim/episode.js';
import type { SweepResult } from './sweep.js';

export type { PolicyResult };
export type { EvaluateResult as EvaluationRun };

/** The whole `evaluate --json` document. */
export interface EvaluateResult {
  trace: string;
  function: string;
  sloP95Ms: number;
  intervalSeconds: number;
  simulatedSeconds: number;
  seed: number;
  /** P95 of one request's service time (ms): the best one idle replica delivers. */
  serviceP95Ms?: number;
  /** Set when the SLO is below serviceP95Ms: no policy can meet it, and the sentence says so. */
  infeasibleSlo?: string;
  results: PolicyResult[];
  /** With `evaluate --sweep`: the tuned baselines and each policy against their frontier (report/sweep.ts). */
  sweep?: SweepResult;
}

/** One interval of one policy's run, as the report draws it. */
export interface SeriesPoint {
  /** Seconds since the start of the run, at the end of the interval. */
  timeSeconds: number;
  /** Offered load: arrivals in the interval divided by its length. */
  rps: number;
  replicas: number;
  readyReplicas: number;
  /** Exact P95 of requests completed in the interval (ms); null when none completed; +Inf when errors dominate. */
  p95Ms: number | null;
  /** Requests completed in the interval slower than the SLO or failed. */
  overSlo: number;
}

export interface PolicySeries {
  policy: string;
  points: SeriesPoint[];
}
