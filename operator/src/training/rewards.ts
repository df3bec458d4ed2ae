/**
 * Reward functions, one per paper, each a pure function of what one interval looked like after the
 * action was applied. Their deviations from the published code are listed in
 * docs/adr (RL deviations); the constants below are the published ones.
 */

export const REWARD_NAMES = ['gaussian', 'agarwal', 'slo-cost'] as const;
export type RewardName = (typeof REWARD_NAMES)[number];

/** One interval, after the action: what every reward may look at. */
export interface RewardInput {
  /** Requests that completed successfully / requests that arrived, in [0, 1] (1 when none arrived). */
  successFraction: number;
  /** Mean CPU per replica as a fraction of the CPU request. */
  cpuUtilisation: number;
  /** Mean memory per replica as a fraction of the memory request. */
  memoryUtilisation: number;
  /** P95 latency of the interval in ms; null when no request completed. */
  p95LatencyMs: number | null;
  sloP95Ms: number;
  /** Replicas during the interval (what was applied). */
  replicas: number;
  /** Whether the scale the policy asked for was applied (false: out of bounds, clamped). */
  scaleApplied: boolean;
  /**
   * Replicas the episode's mean load needs (≥ 1), so that `slo-cost` prices over-provisioning
   * relative to the function's size: the same trade-off for a 2-replica and a 40-replica function.
   */
  referenceReplicas: number;
}

export interface RewardConfig {
  name: RewardName;
  /** For `slo-cost`: price of one violated interval, in intervals of `referenceReplicas` replicas. */
  violationWeight?: number;
}

/**
 * LSTM-PPO+'s resource term: a Gaussian bump around 70 % utilisation, linear penalties outside
 * [0.3, 1]. res(u, w) = −w(1 + 2(u−1)) if u > 1; −w(0.7 − u) if u < 0.3; else w·exp(−4(u−0.7)²).
 */
export function resourceTerm(u: number, weight: number): number {
  if (u > 1) return -weight * (1 + 2 * (u - 1));
  if (u < 0.3) return -weight * (0.7 - u);
  return weight * Math.exp(-4 * (u - 0.7) ** 2);
}

/** Replicas that would bring the busier resource to 70 % (the Gaussian reward's target). */
export function targetReplicas(input: Pick<RewardInput, 'cpuUtilisation' | 'memoryUtilisation' | 'replicas'>): number {
  return Math.max(Math.ceil((input.cpuUtilisation / 0.7) * input.replicas), Math.ceil((input.memoryUtilisation / 0.7) * input.replicas));
}

export interface RewardTerms {
  total: number;
  terms: Record<string, number>;
}

/**
 * LSTM-PPO+ "Gaussian" reward:
 *   0.2·th² + res(cpu, 0.8) + res(mem, 0.5) + 0.2·(1 − min(1, P95/SLO)) − 0.1·|replicas − target| (− 0.5 if not applied)
 * Deviations: th is the success fraction (the code squares raw RPS, which explodes with load);
 * P95 and the SLO are both in ms (the code divides seconds by 200, a constant term); no completed
 * request means nothing was late (full latency term).
 */
export function gaussianReward(input: RewardInput): RewardTerms {
  const throughput = 0.2 * input.successFraction ** 2;
  const cpu = resourceTerm(input.cpuUtilisation, 0.8);
  const memory = resourceTerm(input.memoryUtilisation, 0.5);
  const latency = input.p95LatencyMs === null ? 0.2 : 0.2 * (1 - Math.min(1, input.p95LatencyMs / input.sloP95Ms));
  const replicas = -0.1 * Math.abs(input.replicas - targetReplicas(input)) - (input.scaleApplied ? 0 : 0.5);
  return { total: throughput + cpu + memory + latency + replicas, terms: { throughput, cpu, memory, latency, replicas } };
}

/**
 * Agarwal et al. (DRe-SCale) linear reward:
 *   0.75·th² + 0.125·cpu·100 + 0.125·mem·100 − 0.25·(replicas − 1)², −100 when the scale failed;
 * th is the success percentage (0–100), cpu and mem are fractions of the request.
 */
export function agarwalReward(input: RewardInput): RewardTerms {
  if (!input.scaleApplied) return { total: -100, terms: { failedScale: -100 } };
  const throughput = 0.75 * (100 * input.successFraction) ** 2;
  const cpu = 0.125 * input.cpuUtilisation * 100;
  const memory = 0.125 * input.memoryUtilisation * 100;
  const replicas = -0.25 * (input.replicas - 1) ** 2;
  return { total: throughput + cpu + memory + replicas, terms: { throughput, cpu, memory, replicas } };
}

/**
 * What `evaluate` scores, as a reward (docs/adr, "make it win"): pay for replicas, pay more for an
 * interval whose P95 is over the SLO. −replicas/reference − w·max([P95 > SLO], 1 − success).
 * Failed requests count as late (as in `evaluate`).
 */
export function sloCostReward(input: RewardInput, violationWeight: number): RewardTerms {
  const cost = -input.replicas / Math.max(1, input.referenceReplicas);
  const late = input.p95LatencyMs !== null && input.p95LatencyMs > input.sloP95Ms ? 1 : 0;
  const violation = -violationWeight * Math.max(late, 1 - input.successFraction);
  return { total: cost + violation, terms: { cost, violation } };
}

export function computeReward(config: RewardConfig, input: RewardInput): RewardTerms {
  switch (config.name) {
    case 'gaussian':
      return gaussianReward(input);
    case 'agarwal':
      return agarwalReward(input);
    case 'slo-cost':
      return sloCostReward(input, config.violationWeight ?? 1);
  }
}
