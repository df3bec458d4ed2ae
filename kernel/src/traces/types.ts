/**
 * The one in-memory form every trace reader produces (Azure 2019, Azure 2021, the LSTM-PPO+
 * paper's 30-second JSON counts, synthetic traces). The simulator, `evaluate`, `train` and
 * `faas-loadgen` all consume this and nothing else.
 */

/** Which reader produced a trace. */
export type TraceFormat = 'azure2019' | 'azure2021' | 'fscode-json' | 'synthetic';

/**
 * Execution-time statistics of one function, in milliseconds.
 * Azure 2019 gives percentiles of 30-second averages over a whole day (cold starts excluded);
 * Azure 2021 gives per-invocation durations, from which the same percentiles are computed.
 */
export interface DurationProfileMs {
  averageMs: number;
  /** Number of invocations the statistics summarise. */
  count: number;
  minimumMs: number;
  maximumMs: number;
  /** Percentiles keyed by percent: 0, 1, 25, 50, 75, 99, 100 (the 2019 dataset's set). */
  percentilesMs: Readonly<Record<number, number>>;
}

/** Memory statistics of one function (Azure 2019 app memory, split per function by in-vitro). */
export interface MemoryProfileMb {
  averageAllocatedMb: number;
  /** Percentiles keyed by percent: 1, 5, 25, 50, 75, 95, 99, 100. */
  percentilesMb: Readonly<Record<number, number>>;
  sampleCount: number;
}

export interface FunctionProfile {
  durations?: DurationProfileMs;
  memory?: MemoryProfileMb;
}

/** One function of a trace: its arrivals per bin and, where the trace has them, its statistics. */
export interface TraceFunction {
  /** Stable id: the function hash (2019), `app/func` (2021), or the file's base name (JSON). */
  id: string;
  /**
   * 1-based position among the data rows of the trace file (for `row:N`). Azure 2021 has one row
   * per invocation, so there it is the order in which functions first appear.
   */
  row: number;
  /**
   * 1-based position by total invocations over the loaded window, busiest first, ties by row
   * (for `rank:N` and labels). Set by `loadTrace`; absent on traces built by hand.
   */
  rank?: number;
  owner?: string;
  app?: string;
  /** Azure trigger group (http, timer, event, queue, storage, orchestration, others). */
  trigger?: string;
  /**
   * Invocations per bin; `counts.length` bins of `binSeconds` each. Already rate-scaled, so
   * possibly fractional: a count is the mean number of arrivals in its bin (the simulator draws
   * a Poisson number with that mean).
   */
  counts: readonly number[];
  profile: FunctionProfile;
}

export interface Trace {
  format: TraceFormat;
  /** Path the trace was read from (file or folder), as given. */
  source: string;
  binSeconds: number;
  /**
   * Seconds from the start of the trace's own day/clock to the first bin kept (after a time
   * window is applied). Azure 2019 minute column `480` (1-based) starts at 479 × 60 s.
   */
  startOffsetSeconds: number;
  functions: TraceFunction[];
  /** Azure 2019 only: the side files the profiles were read from (found by name or given). */
  profileFiles?: { durations?: string; memory?: string };
}

/**
 * How a function is picked from a trace: a hash/id, `row:N` (N-th data row, 1-based), or
 * `rank:N` (N-th busiest by total invocations, `rank:1` the busiest).
 */
export type FunctionSelector =
  | { kind: 'id'; id: string }
  | { kind: 'row'; n: number }
  | { kind: 'rank'; n: number };
