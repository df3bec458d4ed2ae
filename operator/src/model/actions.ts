/**
 * Discrete action → desired replica count. The network only ever outputs an index; what the index
 * means is the action space, saved in the model's metadata so the operator reads it the way the
 * model was trained.
 */
import type { Observation } from '../metrics/types.js';
import type { FeatureContext } from './features.js';

export const ACTION_SPACES = ['delta5', 'utilisation5', 'utilisation5-saturated', 'capacity5', 'capacity5-backlog'] as const;
export type ActionSpaceName = (typeof ACTION_SPACES)[number];

/**
 * How a deterministic decision is read from the policy's distribution: its most likely action
 * (`mode`, argmax) or its expected replica count (`mean`, Σ p(a)·desired(a), rounded). Saved with
 * the model; see ADR 012 for why the shipped LSTM-PPO+ uses `mean`.
 */
export const DECISION_RULES = ['mode', 'mean'] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

export interface ActionSpace {
  name: ActionSpaceName;
  /** Number of discrete actions (the actor's logits). */
  count: number;
  /** Index of the action that keeps the current scale, or −1 when the space has none. */
  keepIndex: number;
  /** Human-readable label per index, e.g. "+2". */
  labels: readonly string[];
  /**
   * No change while |desired / current − 1| ≤ tolerance (the HPA's 0.1), applied to the final
   * decision (a sampled action's, or the policy's expected count) by `withTolerance`.
   */
  tolerance: number;
  /**
   * Desired replicas before tolerance and rails (may be out of bounds: rails clamp, rewards may
   * penalise). `ctx` is the feature tracker's context for `obs` (only `capacity5-backlog` reads it).
   */
  desiredReplicas(action: number, obs: Observation, ctx?: FeatureContext): number;
}

/** The decision after the space's tolerance: small relative changes keep the current count. */
export function withTolerance(space: ActionSpace, desired: number, current: number): number {
  if (space.tolerance > 0 && current > 0 && Math.abs(desired / current - 1) <= space.tolerance) return current;
  return desired;
}

/** The paper's Discrete(5): replica delta {−2, −1, 0, +1, +2} on the current replica count. */
const DELTA5_STEPS = [-2, -1, 0, 1, 2] as const;
const delta5: ActionSpace = {
  name: 'delta5',
  count: DELTA5_STEPS.length,
  keepIndex: 2,
  labels: DELTA5_STEPS.map((d) => (d > 0 ? `+${d}` : `${d}`)),
  tolerance: 0,
  // The published code adds the delta to the ready replicas; we add it to the replicas asked for,
  // so that a replica still cold-starting is not asked for twice (docs/adr, RL deviations).
  desiredReplicas: (action, obs) => obs.replicas + DELTA5_STEPS[action],
};

/**
 * Ours (ADR 012): size for a target CPU utilisation the network picks every interval,
 *   desired = ceil(load / u),  u ∈ {90, 80, 70, 60, 50 %},
 * with the HPA's 10 % tolerance on the final decision. `utilisation5` sizes for busy CPU = CPU per
 * replica × replicas (the HPA's own formula, in replicas' worth of CPU request). One decision can
 * go from 4 to 12 replicas, and the network learns when to run hot (steady load) and when to keep
 * head-room (rising or alternating load, cold starts ahead), which a fixed-target HPA cannot. There
 * is deliberately no "keep" action: trained policies collapsed onto it, stuck at one replica under
 * load (ADR 012).
 *
 * `utilisation5-saturated` (tried, not shipped; ADR 012 has its numbers) also looks past a
 * saturated CPU (≥ 90 % of request), where CPU cannot show how much more is waiting: the load is
 * then at least the requests in the system by Little's law, RPS × mean latency (P95 when no request
 * succeeded), capped at 3× the busy CPU. It leaves an overload in two decisions instead of eight,
 * assuming one request per replica at a time (the simulator's default, a CPU-bound function).
 */
const UTILISATION_TARGETS = [0.9, 0.8, 0.7, 0.6, 0.5] as const;
const TOLERANCE = 0.1;
const SATURATED_CPU = 0.9;
const SATURATED_GROWTH = 3;

/** Busy CPU in replicas' worth (`utilisation5`'s load). */
function busyReplicas(obs: Observation): number | null {
  return obs.cpuPerReplica === null ? null : obs.cpuPerReplica * Math.max(obs.replicas, 1);
}

/** The load `utilisation5-saturated` sizes for, in replicas' worth (see above). */
export function replicaLoad(obs: Observation): number | null {
  const busy = busyReplicas(obs);
  if (busy === null || obs.cpuPerReplica === null) return null;
  if (obs.cpuPerReplica < SATURATED_CPU || obs.rps === null) return busy;
  const latencyMs = obs.meanExecutionMs ?? obs.p95LatencyMs;
  return latencyMs === null ? busy : Math.max(busy, Math.min(SATURATED_GROWTH * busy, (obs.rps * latencyMs) / 1000));
}

/**
 * `capacity5` (ADR 012) sizes for the **offered** load instead of the served one: the requests that
 * entered the gateway (`gateway_function_invocation_started`, `Observation.startedRps`) times the
 * CPU one request costs, in replicas' worth of CPU request,
 *
 *   offered = busy CPU × started / succeeded   (= started RPS × CPU-seconds per request / request)
 *
 * A saturated replica shows at most 100 % of its request, so busy CPU alone (the HPA's formula) can
 * only multiply replicas by 1/u per interval while the queue grows; the started counter still counts
 * the requests the replicas cannot serve. The CPU per request (busy CPU ÷ successful completions) is
 * what a real cluster can measure without knowing the service time or the per-replica concurrency,
 * and it excludes queueing time, which the gateway's latency histogram includes. Successes, not all
 * completions: a request that timed out in the queue used no CPU. The ratio is capped at
 * `OFFERED_GROWTH` (one decision cannot ask for more than 10× the busy CPU) and may be below 1 (a
 * backlog draining: more finished than entered). Without the started counter, or when nothing
 * succeeded and nothing entered, the load is the busy CPU (the HPA's formula); when requests entered
 * and none succeeded, busy CPU × the cap.
 */
const OFFERED_GROWTH = 10;

/** The offered load `capacity5` sizes for, in replicas' worth of CPU request (see above). */
export function offeredReplicas(obs: Observation, backlog = 0): number | null {
  const busy = busyReplicas(obs);
  if (busy === null) return null;
  const started = obs.startedRps;
  if (started === null || started === undefined || obs.requests === null) return busy;
  const succeeded = obs.requests * (1 - (obs.errorRate ?? 0));
  const entered = started * obs.windowSeconds + backlog;
  if (succeeded <= 0) return entered > 0 ? OFFERED_GROWTH * busy : busy;
  return busy * Math.min(OFFERED_GROWTH, entered / succeeded);
}

/**
 * `capacity5-backlog` (ADR 012): `capacity5` plus the requests already in the system (the feature
 * tracker's backlog), to be served within the next interval: load = busy CPU × (entered + backlog) /
 * succeeded, same cap. After a start at one replica the queue built in the first window is worked
 * off in one interval instead of with whatever head-room the new replicas leave. In steady state the
 * backlog is the requests in service (a few per cent of a window's requests), which the learned
 * utilisation absorbs.
 */
export function offeredWithBacklogReplicas(obs: Observation, ctx?: FeatureContext): number | null {
  return offeredReplicas(obs, ctx?.backlog ?? 0);
}

function utilisationSpace(
  name: ActionSpaceName,
  load: (obs: Observation, ctx?: FeatureContext) => number | null,
  label = 'cpu',
): ActionSpace {
  return {
    name,
    count: UTILISATION_TARGETS.length,
    keepIndex: -1,
    labels: UTILISATION_TARGETS.map((u) => `${label} ${Math.round(u * 100)}%`),
    tolerance: TOLERANCE,
    desiredReplicas: (action, obs, ctx) => {
      const l = load(obs, ctx);
      if (l === null) return obs.replicas;
      // The small epsilon keeps an exact 0.7·10 / 0.7 from rounding up to 11.
      return Math.max(1, Math.ceil(l / UTILISATION_TARGETS[action] - 1e-9));
    },
  };
}

const SPACES: Record<ActionSpaceName, ActionSpace> = {
  delta5,
  utilisation5: utilisationSpace('utilisation5', busyReplicas),
  'utilisation5-saturated': utilisationSpace('utilisation5-saturated', replicaLoad),
  capacity5: utilisationSpace('capacity5', (obs) => offeredReplicas(obs), 'offered'),
  'capacity5-backlog': utilisationSpace('capacity5-backlog', offeredWithBacklogReplicas, 'offered+backlog'),
};

export function actionSpace(name: ActionSpaceName): ActionSpace {
  return SPACES[name];
}
