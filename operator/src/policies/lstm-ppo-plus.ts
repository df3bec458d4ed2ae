/**
 * LSTM-PPO+ (DESIGN.md §4): MLP 64-64 → LSTM 256 → actor and critic, the operator's default
 * policy. Its shipped model is models/lstm-ppo-plus; how it was trained and what was changed from
 * the paper to make it win: docs/adr/005 and 012.
 * Params: `sample` (default false), `seed` (for sampling), `decision` (model | mode | mean).
 * `spec.model` points at another trained model directory.
 */
import type { PolicyFactory } from './policy.js';

export const createLstmPpoPlusPolicy: PolicyFactory = async (spec, deps) => {
  // tfjs loads here, not when the registry is imported.
  const { createLearnedPolicy } = await import('./learned-policy.js');
  return createLearnedPolicy('lstm-ppo-plus', spec, deps);
};
