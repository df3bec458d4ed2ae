/**
 * LSTM-PPO+ (DESIGN.md §4): MLP 64-64 → LSTM 256 → actor and critic. The default policy of the operator; its shipped model is models/lstm-ppo-plus (how it was trained and what it was changed from the paper: docs/adr).
 * Params: `sample` (default false: argmax actions), `seed` (for sampling). `spec.model` points
 * at another trained model directory.
 */
import type { PolicyFactory } from './policy.js';

export const createLstmPpoPlusPolicy: PolicyFactory = async (spec, deps) => {
  // tfjs loads here, not when the registry is imported.
  const { createLearnedPolicy } = await import('./learned-policy.js');
  return createLearnedPolicy('lstm-ppo-plus', spec, deps);
};
