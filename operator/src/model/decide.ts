/**
 * The one rule that turns a network's output into a replica count, used by the operator's learned
 * policies (`policies/learned-policy.ts`) and by training's validation (`training/ppo.ts`), so the
 * curves judge the decisions the operator will make:
 *
 *   logits ─softmax─> p(a) ─rule─> replicas ─tolerance─> desired (before rails)
 *
 * Rules: `mode` takes the most likely action; `mean` the expected replica count Σ p(a)·desired(a),
 * rounded (ADR 012); a generator draws an action instead (sampling). Logits that are not all finite
 * are a hold with a reason, never an exception.
 */
import type { Observation } from '../metrics/types.js';
import { withTolerance, type ActionSpace, type DecisionRule } from './actions.js';
import type { FeatureContext } from './features.js';
import type { Rng } from './random.js';

export type NetworkDecision =
  | {
      valid: true;
      /** After the space's tolerance, before rails (bounds are the rails' job). */
      desiredReplicas: number;
      /** The action the count came from (the most likely one under `mean`). */
      action: number;
      probability: number;
      /** Σ p(a)·desired(a) under `mean`; null otherwise. */
      expected: number | null;
      /** One line for status and Events, e.g. "action 70% (p=0.61): 3 → 4". */
      reason: string;
    }
  | { valid: false; reason: string };

export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    out[i] = Math.exp(logits[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The decision for one observation. `how.sampler` (a seeded generator) draws the action from p(a)
 * instead of applying `how.rule`. `ctx` is the feature tracker's context for `obs`.
 */
export function decideFromLogits(
  how: { space: ActionSpace; rule: DecisionRule; sampler?: Rng | null },
  logits: ArrayLike<number>,
  obs: Observation,
  ctx: FeatureContext | undefined,
): NetworkDecision {
  const { space, rule } = how;
  const sampler = how.sampler ?? null;
  if (logits.length !== space.count)
    return { valid: false, reason: `the network gave ${logits.length} outputs for ${space.count} actions: keeping the scale` };
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i]))
      return { valid: false, reason: `the network's output is not finite (${logits[i]} for action ${space.labels[i]}): keeping the scale` };
  }
  const probs = softmax(logits);
  const current = obs.replicas;
  if (rule === 'mean' && !sampler) {
    // For actions that are points on one axis (replica counts) the expectation is what the mean
    // of a Gaussian policy is in continuous control; the mode would let one "keep" at p=0.38 beat
    // four scale-ups at 0.62.
    let expected = 0;
    for (let a = 0; a < probs.length; a++) expected += probs[a] * space.desiredReplicas(a, obs, ctx);
    if (!Number.isFinite(expected))
      return { valid: false, reason: `the expected replica count is not finite (${expected}): keeping the scale` };
    const desiredReplicas = withTolerance(space, Math.max(0, Math.round(expected)), current);
    const top = argmax(probs);
    return {
      valid: true,
      desiredReplicas,
      action: top,
      probability: probs[top],
      expected,
      reason: `expected ${expected.toFixed(2)} replicas (most likely ${space.labels[top]}, p=${probs[top].toFixed(2)}): ${current} → ${desiredReplicas}`,
    };
  }
  const action = sampler ? sampler.categorical(probs) : argmax(probs);
  const raw = space.desiredReplicas(action, obs, ctx);
  if (!Number.isFinite(raw)) return { valid: false, reason: `action ${space.labels[action]} gives ${raw} replicas: keeping the scale` };
  const desiredReplicas = withTolerance(space, Math.max(0, Math.round(raw)), current);
  return {
    valid: true,
    desiredReplicas,
    action,
    probability: probs[action],
    expected: null,
    reason: `action ${space.labels[action]} (p=${probs[action].toFixed(2)}): ${current} → ${desiredReplicas}`,
  };
}
