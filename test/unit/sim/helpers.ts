/** Small builders shared by the simulator tests. */
import type { TraceFunction } from '#kernel/traces/types.js';
import type { EpisodeRails } from '../../../operator/src/sim/episode.js';
import { Rails } from '../../../operator/src/rails/rails.js';

/** A trace function with the given per-bin counts and no profile. */
export function traceFn(counts: readonly number[], profile: TraceFunction['profile'] = {}): TraceFunction {
  return { id: 'test-fn', row: 1, counts, profile };
}

/** `n` bins of the same count. */
export function constant(count: number, n: number): number[] {
  return new Array<number>(n).fill(count);
}

/** The real rails with bounds only (no behaviour declared: no stabilization, no rate limit). */
export function boundsRails(minReplicas: number, maxReplicas: number): EpisodeRails {
  return new Rails({ minReplicas, maxReplicas });
}
