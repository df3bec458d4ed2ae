/**
 * Plain PPO with MLP 64-64 actor and critic (no memory): the LSTM-PPO+ paper's feed-forward
 * baseline, trained as published (docs/adr/005); shipped model models/ppo.
 * Params: `sample` (default false), `seed` (for sampling), `decision` (model | mode | mean).
 * `spec.model` points at another trained model directory.
 */
import type { PolicyFactory } from './policy.js';

export const createPpoPolicy: PolicyFactory = async (spec, deps) => {
  // tfjs loads here, not when the registry is imported.
  const { createLearnedPolicy } = await import('./learned-policy.js');
  return createLearnedPolicy('ppo', spec, deps);
};
