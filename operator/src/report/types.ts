/**
 * The `evaluate --json` schema is defined once, next to the episode loop that fills it
 * (`sim/episode.ts`); the report adds the per-interval series it draws.
 */
export type { EvaluateResult as EvaluationRun, PolicyResult } from '../sim/episode.js';

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
