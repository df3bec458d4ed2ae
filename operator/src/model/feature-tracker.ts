/**
 * The little history the extended features need (previous RPS, intervals since the replica count
 * last changed) and `capacity5-backlog` reads (requests in the system), kept the same way by the
 * policy in the operator and by the training environment, so the network sees identical inputs in
 * both.
 *
 * The backlog is Σ (entered − completed) over the windows seen, floored at 0: exact in the simulator
 * (consecutive windows' increases telescope to the in-system count). In a cluster each window's
 * `increase()` is extrapolated, so the sum can drift by a few requests per window; the floor keeps
 * it non-negative, and a window whose counters are missing leaves it unchanged.
 */
import type { Observation } from '../metrics/types.js';
import type { FeatureContext } from './features.js';

export class FeatureTracker {
  private previousRps: number | null = null;
  private previousReplicas: number | null = null;
  private intervalsSinceScale = 0;
  private backlog = 0;

  constructor(
    private readonly sloP95Ms: number,
    private readonly maxReplicas: number,
  ) {}

  /** The context for `obs`, then remembers `obs` for the next call. */
  next(obs: Observation): FeatureContext {
    if (this.previousReplicas !== null && obs.replicas !== this.previousReplicas) this.intervalsSinceScale = 0;
    if (obs.startedRps !== null && obs.startedRps !== undefined && obs.requests !== null) {
      this.backlog = Math.max(0, this.backlog + obs.startedRps * obs.windowSeconds - obs.requests);
    }
    const ctx: FeatureContext = {
      sloP95Ms: this.sloP95Ms,
      maxReplicas: this.maxReplicas,
      previousRps: this.previousRps,
      intervalsSinceScale: this.intervalsSinceScale,
      backlog: this.backlog,
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
    this.backlog = 0;
  }
}
