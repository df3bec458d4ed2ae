/**
 * Discrete action → desired replica count. The network only ever outputs an index; what the index
 * means is the action space, saved in the model's metadata so the operator reads it the way the
 * model was trained.
 */
import type { Observation } from '../metrics/types.js';

export const ACTION_SPACES = ['delta5'] as const;
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

const SPACES: Record<ActionSpaceName, ActionSpace> = { delta5 };

export function actionSpace(name: ActionSpaceName): ActionSpace {
  return SPACES[name];
}
