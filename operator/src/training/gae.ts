/**
 * Generalised advantage estimation (Schulman et al. 2016), exactly as CleanRL writes it, on flat
 * time-major arrays: index t·envs + e. `episodeStarts[t·envs + e]` = 1 when step t of env e is the
 * first of an episode, so the value after the previous step must not be bootstrapped through it.
 * Episodes that are cut by a time limit (not terminated) are handled by the caller, which adds
 * γ·V(last observation) to the last reward (as Stable-Baselines3 does), so GAE treats every
 * episode end alike.
 */
export interface GaeInput {
  steps: number;
  envs: number;
  rewards: Float32Array;
  values: Float32Array;
  episodeStarts: Float32Array;
  /** V(observation after the last step), per env. */
  nextValues: Float32Array;
  /** 1 where the observation after the last step starts a new episode, per env. */
  nextEpisodeStarts: Float32Array;
  gamma: number;
  lambda: number;
}

export interface GaeOutput {
  advantages: Float32Array;
  returns: Float32Array;
}

export function computeGae(input: GaeInput): GaeOutput {
  const { steps, envs, rewards, values, episodeStarts, gamma, lambda } = input;
  const advantages = new Float32Array(steps * envs);
  const returns = new Float32Array(steps * envs);
  for (let e = 0; e < envs; e++) {
    let lastGaeLam = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * envs + e;
      const last = t === steps - 1;
      const nextNonTerminal = 1 - (last ? input.nextEpisodeStarts[e] : episodeStarts[i + envs]);
      const nextValue = last ? input.nextValues[e] : values[i + envs];
      const delta = rewards[i] + gamma * nextValue * nextNonTerminal - values[i];
      lastGaeLam = delta + gamma * lambda * nextNonTerminal * lastGaeLam;
      advantages[i] = lastGaeLam;
      returns[i] = lastGaeLam + values[i];
    }
  }
  return { advantages, returns };
}
