/** Small builders shared by the simulator tests. */
import type { TraceFunction } from '../../../workload-generator/src/traces/types.js';
import type { EpisodeRails } from '../../../operator/src/sim/episode.js';
import type { RailsDecision } from '../../../operator/src/rails/types.js';

/** A trace function with the given per-bin counts and no profile. */
export function traceFn(counts: readonly number[], profile: TraceFunction['profile'] = {}): TraceFunction {
  return { id: 'test-fn', row: 1, counts, profile };
}

/** `n` bins of the same count. */
export function constant(count: number, n: number): number[] {
  return new Array<number>(n).fill(count);
}

/** Bounds-only rails, standing in for operator/src/rails/rails.ts where the test is about the simulator. */
export function boundsRails(minReplicas: number, maxReplicas: number): EpisodeRails {
  return {
    apply({ currentReplicas, rawDesiredReplicas }): RailsDecision {
      const bounded = Math.min(maxReplicas, Math.max(minReplicas, rawDesiredReplicas));
      return {
        rawDesiredReplicas,
        boundedDesiredReplicas: bounded,
        limitedBy: bounded > rawDesiredReplicas ? 'min-replicas' : bounded < rawDesiredReplicas ? 'max-replicas' : 'none',
        reason: bounded === currentReplicas ? 'unchanged' : `to ${bounded}`,
      };
    },
    reset(): void {},
  };
}
