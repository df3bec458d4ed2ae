/**
 * One policy over one trace function in the simulator: the loop `evaluate` and the tests run, and
 * what `train` reproduces step by step.
 *
 *   every interval: advance the simulator → window → Observation (the operator's own builder)
 *                   → decision step (decision/step.ts: recommend, checks, rails) → set replicas
 *
 * The first decision is taken after the first interval (a policy needs an observation; every
 * policy starts from the same `initialReplicas`), and none after the last (it would act on
 * nothing). After the last interval the gateway closes and the requests still inside finish with
 * the replicas as they are (`drain`), so every request that arrived has an outcome; their latencies
 * count in the request totals, not in any interval, and the draining time is not replica-seconds.
 *
 *   const lookahead = new SimulatorLookahead();           // only the oracle uses it
 *   const policy = await createPolicy({ name: 'oracle' }, { ...deps, lookahead });
 *   const { result } = runEpisode({ fn, binSeconds: 60, policy, rails, intervalSeconds: 30,
 *                                   seed: 1, sloP95Ms: 2000, lookahead });
 */
import type { TraceFunction } from '#kernel/traces/types.js';
import { InputError } from '#kernel/input-error.js';
import { buildObservation } from '../metrics/observation.js';
import type { FunctionMetricsWindow, Observation } from '../metrics/types.js';
import { decideFrom, recommend } from '../decision/step.js';
import type { Recommendation, ScalingPolicy } from '../policies/policy.js';
import type { RailsDecision } from '../rails/types.js';
import type { SimConfig } from './config.js';
import type { SimulatorLookahead } from './lookahead.js';
import type { ServiceTimeModel } from './service-time.js';
import { FunctionSimulator, type IntervalStats } from './simulator.js';

/** What runEpisode needs of `Rails` (operator/src/rails/rails.ts). */
export interface EpisodeRails {
  apply(args: { currentReplicas: number; rawDesiredReplicas: number; now: number }): RailsDecision;
  reset(): void;
}

export interface EpisodeOptions {
  fn: TraceFunction;
  /** The trace's bin length. */
  binSeconds: number;
  policy: ScalingPolicy;
  rails: EpisodeRails;
  intervalSeconds: number;
  seed: number;
  sloP95Ms: number;
  sim?: Partial<SimConfig>;
  /** The lookahead given to the policy's deps (the oracle's); attached to this episode's simulator. */
  lookahead?: SimulatorLookahead;
  /** Simulate only the first seconds of the trace (default: all of it). */
  durationSeconds?: number;
  /** Called after each interval's decision (progress, logging, RL rollouts). */
  onInterval?: (record: IntervalRecord) => void;
}

export interface IntervalRecord {
  index: number;
  startSeconds: number;
  endSeconds: number;
  window: FunctionMetricsWindow;
  observation: Observation;
  stats: IntervalStats;
  /** Null after the last interval (no decision is taken there). */
  recommendation: Recommendation | null;
  /** Null when there was no valid recommendation to apply. */
  decision: RailsDecision | null;
  replicasBefore: number;
  replicasAfter: number;
  /** Requests completed in the interval slower than the SLO or failed. */
  overSlo: number;
}

/** One entry of `results` in `evaluate --json`; rates are fractions. */
export interface PolicyResult {
  policy: string;
  /** Requests that arrived in the simulated time (every one has an outcome, see `drain`). */
  requests: number;
  /** Requests that ended with a non-200 code (time-outs). */
  errors: number;
  intervals: number;
  /** Intervals whose exact P95 (of the requests completed in it, errors as +Inf) exceeds the SLO. */
  sloViolationRate: number;
  /** Requests slower than the SLO, errors and time-outs included. */
  requestsOverSloRate: number;
  /** The headline: the same fraction, by its name in the tables ("misses"). */
  missRate: number;
  /** missRate ≤ 5 %: the run's P95 over all requests is within the SLO, which is what a P95 objective means. */
  sloMet: boolean;
  /** Exact quantiles over all requests (nearest rank), errors as +Infinity; null with no requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Pod-seconds from creation to termination over the simulated time. */
  replicaSeconds: number;
  meanReplicas: number;
  /** Highest replica count set (spec.replicas), the initial one included. */
  maxReplicas: number;
  /** Decisions that changed the replica count. */
  scaleActions: number;
  /** Scale-downs undone by a scale-up within REVERSAL_WINDOW_SECONDS (flapping). */
  reversals: number;
  /** Replica-seconds ÷ the oracle's in the same evaluation (set by `evaluate`; null without the oracle). */
  costVsOracle?: number | null;
  /** Replicas created (each starts cold). */
  coldStarts: number;
}

/** A request "meets the SLO" when at most this fraction misses it: a P95 objective. */
export const SLO_MISS_BUDGET = 0.05;

/** A scale-down followed by a scale-up within this many seconds counts as a reversal. */
export const REVERSAL_WINDOW_SECONDS = 120;

/**
 * Counts reversals in a sequence of scale actions (time in seconds, direction): every scale-down
 * undone by a scale-up within REVERSAL_WINDOW_SECONDS counts once, so two steps down and one back
 * up within the window are two reversals.
 */
export function countReversals(actions: ReadonlyArray<{ timeSeconds: number; direction: 'up' | 'down' }>): number {
  let reversals = 0;
  let downs: number[] = [];
  for (const a of actions) {
    if (a.direction === 'down') {
      downs.push(a.timeSeconds);
    } else {
      reversals += downs.filter((t) => a.timeSeconds - t <= REVERSAL_WINDOW_SECONDS).length;
      downs = [];
    }
  }
  return reversals;
}

export interface EpisodeResult {
  intervals: IntervalRecord[];
  result: PolicyResult;
  simulatedSeconds: number;
  /** The service-time model used (fitted or given), for reports. */
  serviceTime: ServiceTimeModel;
  functionName: string;
  /** Events the episode's simulator handled (not counting the oracle's trial runs). */
  events: number;
}

export function runEpisode(opts: EpisodeOptions): EpisodeResult {
  const { policy, rails, intervalSeconds, sloP95Ms } = opts;
  if (!(intervalSeconds > 0) || !Number.isFinite(intervalSeconds))
    throw new InputError(`intervalSeconds: must be a number > 0, got ${String(intervalSeconds)}`);
  if (!(sloP95Ms > 0)) throw new InputError(`sloP95Ms: must be a number > 0, got ${String(sloP95Ms)}`);
  const sim = new FunctionSimulator({ fn: opts.fn, binSeconds: opts.binSeconds, seed: opts.seed, config: opts.sim });
  const durationSeconds = Math.min(opts.durationSeconds ?? sim.traceEndSeconds, sim.traceEndSeconds);
  const intervalCount = Math.floor(durationSeconds / intervalSeconds + 1e-9);
  if (intervalCount < 1) {
    throw new InputError(`intervalSeconds: the trace (${durationSeconds} s) is shorter than one interval of ${intervalSeconds} s`);
  }
  opts.lookahead?.attach(sim, intervalSeconds);
  policy.reset();
  rails.reset();

  const records: IntervalRecord[] = [];
  const latencyChunks: Float64Array[] = [];
  let violations = 0;
  let scaleActions = 0;
  let coldStarts = 0;
  let replicaSeconds = 0;
  let maxReplicas = sim.replicaCount;
  const actions: { timeSeconds: number; direction: 'up' | 'down' }[] = [];
  for (let index = 0; index < intervalCount; index++) {
    const replicasBefore = sim.replicaCount;
    const { window, stats, latenciesMs } = sim.advance(intervalSeconds);
    latencyChunks.push(latenciesMs);
    let overSloInInterval = 0;
    for (let i = 0; i < latenciesMs.length; i++) if (latenciesMs[i] > sloP95Ms) overSloInInterval++;
    if (stats.p95Ms !== null && stats.p95Ms > sloP95Ms) violations++;
    coldStarts += stats.coldStarts;
    replicaSeconds += stats.replicaSeconds;
    const observation = buildObservation(window, sim.resourceRequests);
    let recommendation: Recommendation | null = null;
    let decision: RailsDecision | null = null;
    if (index < intervalCount - 1) {
      const nowMs = sim.nowSeconds * 1000;
      // The operator's decision step (decision/step.ts): the same checks, rails and holds.
      recommendation = recommend(policy, observation, nowMs);
      const decided = decideFrom(policy.name, recommendation, { rails, currentReplicas: replicasBefore, now: nowMs });
      if (!decided.held) {
        decision = decided.rails;
        if (decided.desiredReplicas !== replicasBefore) {
          actions.push({ timeSeconds: sim.nowSeconds, direction: decided.desiredReplicas > replicasBefore ? 'up' : 'down' });
          sim.setReplicas(decided.desiredReplicas);
          scaleActions++;
          maxReplicas = Math.max(maxReplicas, sim.replicaCount);
        }
      }
    }
    const record: IntervalRecord = {
      index,
      startSeconds: stats.startSeconds,
      endSeconds: stats.endSeconds,
      window,
      observation,
      stats,
      recommendation,
      decision,
      replicasBefore,
      replicasAfter: sim.replicaCount,
      overSlo: overSloInInterval,
    };
    records.push(record);
    opts.onInterval?.(record);
  }
  const drained = sim.drain();
  latencyChunks.push(drained.latenciesMs);

  const all = concat(latencyChunks);
  let overSlo = 0;
  let errors = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i] > sloP95Ms) overSlo++;
    if (all[i] === Number.POSITIVE_INFINITY) errors++;
  }
  // Selection instead of a full sort: a day of a busy function is about a million latencies.
  const [p50Ms, p95Ms, p99Ms] = nearestRanks(all, [0.5, 0.95, 0.99]);
  const simulatedSeconds = intervalCount * intervalSeconds;
  const missRate = all.length > 0 ? overSlo / all.length : 0;
  const result: PolicyResult = {
    policy: policy.name,
    requests: all.length,
    errors,
    intervals: intervalCount,
    sloViolationRate: violations / intervalCount,
    requestsOverSloRate: missRate,
    missRate,
    sloMet: missRate <= SLO_MISS_BUDGET,
    p50Ms,
    p95Ms,
    p99Ms,
    replicaSeconds,
    meanReplicas: replicaSeconds / simulatedSeconds,
    maxReplicas,
    scaleActions,
    reversals: countReversals(actions),
    coldStarts,
  };
  return {
    intervals: records,
    result,
    simulatedSeconds,
    serviceTime: sim.serviceTime,
    functionName: sim.functionName,
    events: sim.eventCount,
  };
}

function concat(chunks: readonly Float64Array[]): Float64Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const all = new Float64Array(n);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return all;
}

/**
 * Nearest-rank quantiles (as `nearestRank` on the sorted values) for ascending `qs`, by
 * quickselect; reorders `values`. Null for no values.
 */
export function nearestRanks(values: Float64Array, qs: readonly number[]): Array<number | null> {
  const n = values.length;
  if (n === 0) return qs.map(() => null);
  let lo = 0;
  return qs.map((q) => {
    const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    const v = select(values, Math.min(lo, k), n - 1, k);
    lo = k; // everything after k is >= values[k]: the next (larger) rank is to the right
    return v;
  });
}

/** Hoare's quickselect: the k-th smallest of values[left..right], placed at index k. */
function select(a: Float64Array, left: number, right: number, k: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    // median of three as pivot, so sorted or constant runs stay linear
    const x = a[left];
    const y = a[mid];
    const z = a[right];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}
