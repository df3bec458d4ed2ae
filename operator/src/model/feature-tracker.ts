/**
 * The little history the extended features need (previous RPS, intervals since the replica count
 * last changed), kept the same way by the policy in the operator and by the training environment,
 * so the network sees identical inputs in both.
 */
import type { Observation } from '../metrics/types.js';
import type { FeatureContext } from './features.js';

export class FeatureTracker {
  private previousRps: number | null = null;
  private previousReplicas: number | null = null;
  private intervalsSinceScale = 0;

  constructor(
    private readonly sloP95Ms: number,
    private readonly maxReplicas: number,
  ) {}

  /** The context for `obs`, then remembers `obs` for the next call. */
  next(obs: Observation): FeatureContext {
    if (this.previousReplicas !== null && obs.replicas !== this.previousReplicas) this.intervalsSinceScale = 0;
    const ctx: FeatureContext = {
      sloP95Ms: this.sloP95Ms,
      maxReplicas: this.maxReplicas,
      previousRps: this.previousRps,
      intervalsSinceScale: this.intervalsSinceScale,
    };
    this.previousRps = obs.rps ?? this.previousRps;
    this.previousReplicas = obs.replicas;
    this.intervalsSinceScale++;
    return ctx;
  }

  reset(): void {
    this.previousRps = null;
    this.previousReplicas = null;
    this.intervalsSinceScale = 0;
  }
}
