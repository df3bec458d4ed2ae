/**
 * LSTM-PPO of Agarwal et al. (IEEE TSC 2024, DRe-SCale): LSTM 256 → 64-64 actor and critic heads,
 * six features without P95, their linear reward. A baseline of the LSTM-PPO+ paper, trained as
 * published (docs/adr/005); shipped model models/lstm-ppo.
 * Params: `sample` (default false), `seed` (for sampling), `decision` (model | mode | mean).
 * `spec.model` points at another trained model directory.
 */
import type { PolicyFactory } from './policy.js';

export const createLstmPpoPolicy: PolicyFactory = async (spec, deps) => {
  // tfjs loads here, not when the registry is imported.
  const { createLearnedPolicy } = await import('./learned-policy.js');
  return createLearnedPolicy('lstm-ppo', spec, deps);
};
