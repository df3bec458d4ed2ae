/**
 * The simulator as vectorised RL environments. Each env runs episodes of `episodeIntervals`
 * decisions on one function of a pool (several trace functions at several rate scales, so one
 * model generalises across functions), starting at a random point of the trace with a random
 * replica count. One step is exactly one interval of `runEpisode`:
 *
 *   observation ─policy─> raw desired ─decision step (checks, rails)─> setReplicas ─advance(interval)─> next window
 *
 * with the same Observation builder, the same rails and the same feature tracker the operator's
 * policy uses, so what the network learns here is what it meets there. Episodes end by time limit
 * only; the caller bootstraps the value of the last observation (see gae.ts).
 */
import type { TraceFunction } from '#kernel/traces/types.js';
import { decideFrom } from '../decision/step.js';
import { buildObservation } from '../metrics/observation.js';
import type { Observation } from '../metrics/types.js';
import { actionSpace, withTolerance, type ActionSpace, type ActionSpaceName } from '../model/actions.js';
import { FeatureTracker } from '../model/feature-tracker.js';
import { rawFeatures, type FeatureContext, type FeatureSetName } from '../model/features.js';
import { Rng } from '../model/random.js';
import { Rails } from '../rails/rails.js';
import type { ScalingBehavior } from '../rails/types.js';
import type { SimConfig } from '../sim/config.js';
import { FunctionSimulator, type IntervalStats } from '../sim/simulator.js';
import { computeReward, type RewardConfig, type RewardInput } from './rewards.js';

/** One function of the training pool, at one rate scale. */
export interface EnvFunction {
  fn: TraceFunction;
  binSeconds: number;
  /** Multiplies the trace counts. */
  rateScale: number;
  /** P95 target for this function (ms). */
  sloP95Ms: number;
}

export interface EnvConfig {
  pool: readonly EnvFunction[];
  intervalSeconds: number;
  episodeIntervals: number;
  minReplicas: number;
  maxReplicas: number;
  features: FeatureSetName;
  actions: ActionSpaceName;
  reward: RewardConfig;
  /** Rails behaviour the policy declares (and the operator will apply): trained under, judged under. */
  behavior?: ScalingBehavior;
  sim?: Partial<SimConfig>;
}

export interface StepResult {
  reward: number;
  /** The episode ended with this step; `observation` is then the first of the next episode. */
  truncated: boolean;
  /** Raw features of the last observation of the ended episode (for bootstrapping), when truncated. */
  finalFeatures: number[] | null;
}

/** One environment: one simulator at a time, re-created at every episode start. */
export class SimEnv {
  readonly space: ActionSpace;
  private sim!: FunctionSimulator;
  private rails!: Rails;
  private tracker!: FeatureTracker;
  private current!: EnvFunction;
  private step = 0;
  private referenceReplicas = 1;
  /** Exact statistics of the last interval (for evaluation). */
  lastStats: IntervalStats | null = null;
  private nowMs = 0;
  observation!: Observation;
  /** Raw features of `observation`, and the tracker's context they were computed with. */
  features!: number[];
  /** The feature tracker's context `features` were computed with. */
  context!: FeatureContext;
  /** Which pool entry the current episode runs on. */
  poolIndex = 0;
  /** Sum of rewards of the running episode, and of the last finished one (for logging). */
  episodeReward = 0;
  lastEpisodeReward = 0;

  constructor(
    private readonly config: EnvConfig,
    private readonly rng: Rng,
  ) {
    this.space = actionSpace(config.actions);
  }

  /** Starts a new episode on a random pool entry (or `poolIndex`) and returns its raw features. */
  reset(poolIndex?: number): number[] {
    const { config, rng } = this;
    this.poolIndex = poolIndex ?? rng.int(config.pool.length);
    this.current = config.pool[this.poolIndex];
    const { fn, binSeconds, rateScale } = this.current;
    const binsPerEpisode = Math.ceil(((config.episodeIntervals + 1) * config.intervalSeconds) / binSeconds);
    const start = rng.int(Math.max(1, fn.counts.length - binsPerEpisode + 1));
    const counts = fn.counts.slice(start, start + binsPerEpisode).map((c) => c * rateScale);
    // Start from 1 to twice the replicas the episode's mean load needs, so the policy learns to
    // scale up and down from anywhere (evaluation starts from one replica).
    const probe = new FunctionSimulator({ fn: { ...fn, counts }, binSeconds, seed: 0, config: config.sim });
    const meanRps = counts.reduce((a, b) => a + b, 0) / (counts.length * binSeconds);
    const needed = Math.ceil((meanRps * probe.serviceTime.meanMs) / 1000 / probe.config.concurrencyPerReplica);
    this.referenceReplicas = Math.max(1, (meanRps * probe.serviceTime.meanMs) / 1000 / probe.config.concurrencyPerReplica);
    const initial = Math.min(config.maxReplicas, Math.max(config.minReplicas, 1 + rng.int(Math.max(1, 2 * needed))));
    this.sim = new FunctionSimulator({
      fn: { ...fn, counts },
      binSeconds,
      seed: rng.fork(),
      config: { ...config.sim, initialReplicas: initial },
    });
    this.rails = new Rails({ minReplicas: config.minReplicas, maxReplicas: config.maxReplicas, behavior: config.behavior });
    this.tracker = new FeatureTracker(this.current.sloP95Ms, config.maxReplicas);
    this.step = 0;
    this.nowMs = 0;
    this.episodeReward = 0;
    this.observe(this.sim.advance(config.intervalSeconds).window);
    return this.features;
  }

  /** Applies one action (training draws it); on the episode's last step, starts the next episode. */
  act(action: number): StepResult {
    const current = this.observation.replicas;
    return this.actDesired(
      withTolerance(this.space, Math.max(0, Math.round(this.space.desiredReplicas(action, this.observation, this.context))), current),
    );
  }

  /**
   * Applies a decided replica count (after tolerance, before rails), as the operator would: how
   * validation runs the deployed decision rule (`model/decide.ts`).
   */
  actDesired(raw: number): StepResult {
    const { config } = this;
    const current = this.observation.replicas;
    this.nowMs += config.intervalSeconds * 1000;
    // The operator's decision step after the policy (decision/step.ts): checks and rails.
    const decision = decideFrom(
      'network',
      { valid: true, desiredReplicas: raw, reason: '' },
      { rails: this.rails, currentReplicas: current, now: this.nowMs },
    );
    if (decision.desiredReplicas !== current) this.sim.setReplicas(decision.desiredReplicas);
    const interval = this.sim.advance(config.intervalSeconds);
    this.lastStats = interval.stats;
    this.observe(interval.window);
    const reward = computeReward(config.reward, this.rewardInput(interval.stats, decision.desiredReplicas === raw)).total;
    this.episodeReward += reward;
    this.step++;
    if (this.step < config.episodeIntervals) return { reward, truncated: false, finalFeatures: null };
    const finalFeatures = this.features;
    this.lastEpisodeReward = this.episodeReward;
    this.reset();
    return { reward, truncated: true, finalFeatures };
  }

  /** The pool entry of the running episode. */
  get function(): EnvFunction {
    return this.current;
  }

  private observe(window: Parameters<typeof buildObservation>[0]): void {
    this.observation = buildObservation(window, this.sim.resourceRequests);
    const ctx = this.tracker.next(this.observation);
    this.context = ctx;
    const raw = rawFeatures(this.config.features, this.observation, ctx);
    // The simulator always reports CPU, memory and counters; a missing feature here is a bug.
    if (!raw.ok) throw new Error(`simulator observation lacks ${raw.missing}: ${this.observation.problems.join('; ')}`);
    this.features = raw.values;
  }

  private rewardInput(stats: IntervalStats, scaleApplied: boolean): RewardInput {
    const obs = this.observation;
    return {
      successFraction: stats.completions > 0 ? stats.successes / stats.completions : 1,
      cpuUtilisation: obs.cpuPerReplica ?? 0,
      memoryUtilisation: obs.memoryPerReplica ?? 0,
      // The exact P95 evaluate counts (errors as +Infinity), not the histogram's interpolation.
      p95LatencyMs: stats.p95Ms,
      sloP95Ms: this.current.sloP95Ms,
      replicas: stats.replicaSeconds / this.config.intervalSeconds,
      scaleApplied,
      referenceReplicas: this.referenceReplicas,
    };
  }
}
