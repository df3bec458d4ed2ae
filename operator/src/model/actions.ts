/**
 * Discrete action → desired replica count. The network only ever outputs an index; what the index
 * means is the action space, saved in the model's metadata so the operator reads it the way the
 * model was trained.
 */
import type { Observation } from '../metrics/types.js';

export const ACTION_SPACES = ['delta5', 'target-utilisation'] as const;
export type ActionSpaceName = (typeof ACTION_SPACES)[number];

export interface ActionSpace {
  name: ActionSpaceName;
  /** Number of discrete actions (the actor's logits). */
  count: number;
  /** Index of the action that keeps the current scale (used where the features are missing). */
  keepIndex: number;
  /** Human-readable label per index, e.g. "+2". */
  labels: readonly string[];
  /** Desired replicas before rails (may be out of bounds: rails clamp, rewards may penalise). */
  desiredReplicas(action: number, obs: Observation): number;
}

/** The paper's Discrete(5): replica delta {−2, −1, 0, +1, +2} on the current replica count. */
const DELTA5_STEPS = [-2, -1, 0, 1, 2] as const;
const delta5: ActionSpace = {
  name: 'delta5',
  count: DELTA5_STEPS.length,
  keepIndex: 2,
  labels: DELTA5_STEPS.map((d) => (d > 0 ? `+${d}` : `${d}`)),
  // The published code adds the delta to the ready replicas; we add it to the replicas asked for,
  // so that a replica still cold-starting is not asked for twice (docs/adr, RL deviations).
  desiredReplicas: (action, obs) => obs.replicas + DELTA5_STEPS[action],
};

/**
 * Ours (docs/adr, "make it win"): keep the scale, or size for a target CPU utilisation the network
 * picks per interval: desired = ceil(busy / u), busy = CPU per replica × replicas (the HPA's own
 * formula, in units of "replicas' worth of CPU request"). One decision can then jump from 2 to 20
 * replicas for a burst, and the network learns when to run hot (steady load) and when to keep
 * head-room (rising load, cold starts ahead), which a fixed-target HPA cannot.
 */
const TARGETS = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3] as const;
const targetUtilisation: ActionSpace = {
  name: 'target-utilisation',
  count: 1 + TARGETS.length,
  keepIndex: 0,
  labels: ['keep', ...TARGETS.map((u) => `cpu ${Math.round(u * 100)}%`)],
  desiredReplicas: (action, obs) => {
    if (action === 0 || obs.cpuPerReplica === null) return obs.replicas;
    const busy = obs.cpuPerReplica * Math.max(obs.replicas, 1);
    // The small epsilon keeps an exact 0.7·10 / 0.7 from rounding up to 11.
    return Math.max(1, Math.ceil(busy / TARGETS[action - 1] - 1e-9));
  },
};

const SPACES: Record<ActionSpaceName, ActionSpace> = { delta5, 'target-utilisation': targetUtilisation };

export function actionSpace(name: ActionSpaceName): ActionSpace {
  return SPACES[name];
}
