/**
 * Shared safety rails: what the HPA's `normalizeDesiredReplicasWithBehaviors` does, applied to every
 * policy alike (kubernetes `pkg/controller/podautoscaler/horizontal.go`):
 *
 *  1. If the current count is outside [min, max], go straight to the bound (the HPA's "Current
 *     number of replicas above Spec.MaxReplicas" branch; no stabilization, no rate limit).
 *  2. Stabilize (`stabilizeRecommendationWithBehaviors`): every raw recommendation is recorded; the
 *     result is the current count pulled up to the *lowest* recommendation of the scale-up window
 *     and down to the *highest* of the scale-down window. A long scale-down window therefore keeps
 *     the replicas a recent peak needed.
 *  3. Rate-limit and bound (`convertDesiredReplicasWithBehaviorRate`): each rate policy proposes a
 *     limit from the count at the start of its period (current − added + deleted by the scale
 *     events inside the period); `selectPolicy` Max takes the loosest, Min the tightest, Disabled
 *     forbids the direction; the limit is then combined with max (scale up) or min (scale down).
 *
 * Time comes only from `now` (ms); windows and periods include an entry strictly after the cutoff,
 * as the HPA's `timestamp.After(cutoff)` does. Floating-point arithmetic is the HPA's (float64), so
 * e.g. a 10 % scale-up from 50 pods allows ceil(50 × 1.1) = ceil(55.00000000000001) = 56, as it
 * does in Kubernetes.
 *
 * Deviations, both where the HPA never goes: an empty `policies` list means "no rate limit" (the
 * HPA's API rejects it), and a Percent scale-up from a period that started at 0 replicas uses 1 as
 * its base (Knative's `max(1, readyPods)`; the HPA does not scale from zero itself).
 */
import type { RailLimit, RailsConfig, RailsDecision, ScalingRatePolicy, ScalingRules } from './types.js';

/** Invalid rails configuration (bounds or behaviour); the message names the field and the allowed range. */
export class RailsConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RailsConfigError';
  }
}

/** The HPA's `timestampedRecommendation`. */
interface TimestampedRecommendation {
  atMs: number;
  replicas: number;
}

/** The HPA's `timestampedScaleEvent`: a change this Rails made (replicaChange > 0). */
interface TimestampedScaleEvent {
  atMs: number;
  replicaChange: number;
}

type Direction = 'up' | 'down';

interface RailStep {
  replicas: number;
  limitedBy: RailLimit;
  reason: string;
}

/** HPA limits: stabilization up to one hour, rate periods up to 30 minutes. */
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;
const MAX_PERIOD_SECONDS = 1800;

export class Rails {
  private readonly minReplicas: number;
  private readonly maxReplicas: number;
  private readonly scaleUp: ScalingRules | undefined;
  private readonly scaleDown: ScalingRules | undefined;
  private recommendations: TimestampedRecommendation[] = [];
  private scaleUpEvents: TimestampedScaleEvent[] = [];
  private scaleDownEvents: TimestampedScaleEvent[] = [];
  /** The event the last `apply` recorded, so a failed actuation can take it back. */
  private lastEvent: { direction: Direction; event: TimestampedScaleEvent } | null = null;

  constructor(config: RailsConfig) {
    validateRailsConfig(config);
    this.minReplicas = config.minReplicas;
    this.maxReplicas = config.maxReplicas;
    this.scaleUp = config.behavior?.scaleUp;
    this.scaleDown = config.behavior?.scaleDown;
  }

  /**
   * The replica count to apply. Records the raw recommendation (for stabilization) and, when the
   * result differs from `currentReplicas`, a scale event (for rate limits) as if it is applied; call
   * `undoLastScaleEvent()` if it was not (the HPA stores an event only after a successful update).
   */
  apply(args: { currentReplicas: number; rawDesiredReplicas: number; now: number }): RailsDecision {
    const { currentReplicas, rawDesiredReplicas, now } = args;
    assertReplicaCount('currentReplicas', currentReplicas);
    assertReplicaCount('rawDesiredReplicas', rawDesiredReplicas);
    if (!Number.isFinite(now)) throw new RangeError(`rails: now must be a finite time in ms, got ${now}`);
    this.lastEvent = null;

    let step: RailStep;
    if (currentReplicas > this.maxReplicas) {
      step = {
        replicas: this.maxReplicas,
        limitedBy: 'max-replicas',
        reason: `current ${currentReplicas} is above maxReplicas ${this.maxReplicas}: scaling to ${this.maxReplicas}`,
      };
    } else if (currentReplicas < this.minReplicas) {
      step = {
        replicas: this.minReplicas,
        limitedBy: 'min-replicas',
        reason: `current ${currentReplicas} is below minReplicas ${this.minReplicas}: scaling to ${this.minReplicas}`,
      };
    } else {
      const stabilized = this.stabilize(currentReplicas, rawDesiredReplicas, now);
      const limited = this.limitRate(currentReplicas, stabilized.replicas, now);
      step = {
        replicas: limited.replicas,
        limitedBy: limited.limitedBy !== 'none' ? limited.limitedBy : stabilized.limitedBy,
        reason: [stabilized, limited]
          .filter((s) => s.limitedBy !== 'none')
          .map((s) => s.reason)
          .join('; then '),
      };
      if (step.reason === '') step.reason = describeUnlimited(currentReplicas, rawDesiredReplicas);
    }

    this.storeScaleEvent(currentReplicas, step.replicas, now);
    return {
      rawDesiredReplicas,
      boundedDesiredReplicas: step.replicas,
      limitedBy: step.limitedBy,
      reason: step.reason,
    };
  }

  /** The last decision was not applied (actuation failed, dry run): forget its scale event. */
  undoLastScaleEvent(): void {
    if (!this.lastEvent) return;
    const events = this.lastEvent.direction === 'up' ? this.scaleUpEvents : this.scaleDownEvents;
    const index = events.indexOf(this.lastEvent.event);
    if (index >= 0) events.splice(index, 1);
    this.lastEvent = null;
  }

  /** Forget recommendations and scale events (policy switch, restart). */
  reset(): void {
    this.recommendations = [];
    this.scaleUpEvents = [];
    this.scaleDownEvents = [];
    this.lastEvent = null;
  }

  private stabilize(currentReplicas: number, rawDesiredReplicas: number, now: number): RailStep {
    const upWindowSeconds = this.scaleUp?.stabilizationWindowSeconds ?? 0;
    const downWindowSeconds = this.scaleDown?.stabilizationWindowSeconds ?? 0;
    const upCutoff = now - upWindowSeconds * 1000;
    const downCutoff = now - downWindowSeconds * 1000;

    let upRecommendation = rawDesiredReplicas;
    let downRecommendation = rawDesiredReplicas;
    for (const rec of this.recommendations) {
      if (rec.atMs > upCutoff) upRecommendation = Math.min(rec.replicas, upRecommendation);
      if (rec.atMs > downCutoff) downRecommendation = Math.max(rec.replicas, downRecommendation);
    }

    let recommendation = currentReplicas;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;

    // Keep what either window can still see, then record this raw recommendation.
    const oldest = Math.min(upCutoff, downCutoff);
    this.recommendations = this.recommendations.filter((rec) => rec.atMs > oldest);
    this.recommendations.push({ atMs: now, replicas: rawDesiredReplicas });

    if (recommendation === rawDesiredReplicas) return { replicas: recommendation, limitedBy: 'none', reason: '' };
    // Named as the HPA names it: by the direction of the raw recommendation.
    return rawDesiredReplicas >= currentReplicas
      ? {
          replicas: recommendation,
          limitedBy: 'scale-up-stabilization',
          reason: `scale-up stabilized at ${recommendation} (lowest recommendation in ${upWindowSeconds} s; wanted ${rawDesiredReplicas})`,
        }
      : {
          replicas: recommendation,
          limitedBy: 'scale-down-stabilization',
          reason: `scale-down stabilized at ${recommendation} (highest recommendation in ${downWindowSeconds} s; wanted ${rawDesiredReplicas})`,
        };
  }

  private limitRate(currentReplicas: number, desiredReplicas: number, now: number): RailStep {
    if (desiredReplicas > currentReplicas) {
      const rate = this.scaleLimit('up', currentReplicas, now);
      // We shouldn't scale up further until the scale-up events are old enough (HPA).
      const scaleUpLimit = Math.max(rate.limit, currentReplicas);
      let maximumAllowed = this.maxReplicas;
      let limitedBy: RailLimit = 'max-replicas';
      let reason = `capped at maxReplicas ${this.maxReplicas} (wanted ${desiredReplicas})`;
      if (maximumAllowed > scaleUpLimit) {
        maximumAllowed = scaleUpLimit;
        limitedBy = rate.disabled ? 'scale-up-disabled' : 'scale-up-rate';
        reason = rate.disabled
          ? `scale-up disabled: keeping ${scaleUpLimit} (wanted ${desiredReplicas})`
          : `scale-up limited to ${scaleUpLimit} by ${rate.description} (wanted ${desiredReplicas})`;
      }
      if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, limitedBy, reason };
    } else if (desiredReplicas < currentReplicas) {
      const rate = this.scaleLimit('down', currentReplicas, now);
      const scaleDownLimit = Math.min(rate.limit, currentReplicas);
      let minimumAllowed = this.minReplicas;
      let limitedBy: RailLimit = 'min-replicas';
      let reason = `raised to minReplicas ${this.minReplicas} (wanted ${desiredReplicas})`;
      if (minimumAllowed < scaleDownLimit) {
        minimumAllowed = scaleDownLimit;
        limitedBy = rate.disabled ? 'scale-down-disabled' : 'scale-down-rate';
        reason = rate.disabled
          ? `scale-down disabled: keeping ${scaleDownLimit} (wanted ${desiredReplicas})`
          : `scale-down limited to ${scaleDownLimit} by ${rate.description} (wanted ${desiredReplicas})`;
      }
      if (desiredReplicas < minimumAllowed) return { replicas: minimumAllowed, limitedBy, reason };
    }
    return { replicas: desiredReplicas, limitedBy: 'none', reason: '' };
  }

  /**
   * `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`: the furthest
   * the rate policies let the count go in this direction (±Infinity when there are none).
   */
  private scaleLimit(
    direction: Direction,
    currentReplicas: number,
    now: number,
  ): { limit: number; disabled: boolean; description: string } {
    const rules = direction === 'up' ? this.scaleUp : this.scaleDown;
    const unlimited = direction === 'up' ? Infinity : -Infinity;
    if (!rules) return { limit: unlimited, disabled: false, description: '' };
    if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas, disabled: true, description: '' };
    if (rules.policies.length === 0) return { limit: unlimited, disabled: false, description: '' };

    // Max picks the policy allowing the biggest change, Min the smallest; for scale-down the
    // biggest change is the lowest count.
    const biggestChange = rules.selectPolicy === 'Max';
    const pick = (direction === 'up') === biggestChange ? Math.max : Math.min;
    let limit = (direction === 'up') === biggestChange ? -Infinity : Infinity;
    for (const policy of rules.policies) {
      const added = replicasChangedInPeriod(this.scaleUpEvents, policy.periodSeconds, now);
      const deleted = replicasChangedInPeriod(this.scaleDownEvents, policy.periodSeconds, now);
      const periodStartReplicas = currentReplicas - added + deleted;
      limit = pick(limit, proposeLimit(direction, policy, periodStartReplicas));
    }
    return { limit, disabled: false, description: describeRules(rules) };
  }

  /** `storeScaleEvent`: remember a change, dropping events older than the longest period. */
  private storeScaleEvent(previousReplicas: number, newReplicas: number, now: number): void {
    if (newReplicas === previousReplicas) return;
    const direction: Direction = newReplicas > previousReplicas ? 'up' : 'down';
    const rules = direction === 'up' ? this.scaleUp : this.scaleDown;
    const longestPeriodMs = Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
    const event = { atMs: now, replicaChange: Math.abs(newReplicas - previousReplicas) };
    const kept = (direction === 'up' ? this.scaleUpEvents : this.scaleDownEvents).filter((e) => e.atMs >= now - longestPeriodMs);
    kept.push(event);
    if (direction === 'up') this.scaleUpEvents = kept;
    else this.scaleDownEvents = kept;
    this.lastEvent = { direction, event };
  }
}

/** `getReplicasChangePerPeriod`: replicas changed by events strictly inside the last period. */
function replicasChangedInPeriod(events: readonly TimestampedScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let replicas = 0;
  for (const event of events) if (event.atMs > cutoff) replicas += event.replicaChange;
  return replicas;
}

function proposeLimit(direction: Direction, policy: ScalingRatePolicy, periodStartReplicas: number): number {
  if (direction === 'up') {
    if (policy.type === 'Pods') return periodStartReplicas + policy.value;
    // Rounded up so that a small percentage can still add a pod (HPA). From zero, 1 is the base.
    return Math.ceil(Math.max(1, periodStartReplicas) * (1 + policy.value / 100));
  }
  if (policy.type === 'Pods') return periodStartReplicas - policy.value;
  // int32(...) in Go truncates toward zero.
  return Math.trunc(periodStartReplicas * (1 - policy.value / 100));
}

function describeRules(rules: ScalingRules): string {
  const policies = rules.policies.map((p) => `${p.value} ${p.type} / ${p.periodSeconds} s`).join(', ');
  return rules.policies.length > 1 ? `rate (${policies}; select ${rules.selectPolicy})` : `rate (${policies})`;
}

function describeUnlimited(currentReplicas: number, rawDesiredReplicas: number): string {
  return rawDesiredReplicas === currentReplicas
    ? `keeping ${currentReplicas}`
    : `scaling ${currentReplicas} → ${rawDesiredReplicas} within rails`;
}

function assertReplicaCount(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`rails: ${field} must be a non-negative integer, got ${value}`);
  }
}

/** Checks bounds and behaviour; throws RailsConfigError naming the field and the allowed range. */
export function validateRailsConfig(config: RailsConfig): void {
  const { minReplicas, maxReplicas } = config;
  if (!Number.isInteger(minReplicas) || minReplicas < 0) {
    throw new RailsConfigError(`minReplicas must be an integer >= 0, got ${String(minReplicas)}`);
  }
  if (!Number.isInteger(maxReplicas) || maxReplicas < Math.max(1, minReplicas)) {
    throw new RailsConfigError(
      `maxReplicas must be an integer >= max(1, minReplicas) = ${Math.max(1, minReplicas)}, got ${String(maxReplicas)}`,
    );
  }
  for (const direction of ['scaleUp', 'scaleDown'] as const) {
    const rules = config.behavior?.[direction];
    if (!rules) continue;
    const field = `behavior.${direction}`;
    const window = rules.stabilizationWindowSeconds;
    if (!Number.isInteger(window) || window < 0 || window > MAX_STABILIZATION_WINDOW_SECONDS) {
      throw new RailsConfigError(
        `${field}.stabilizationWindowSeconds must be an integer in 0..${MAX_STABILIZATION_WINDOW_SECONDS}, got ${String(window)}`,
      );
    }
    if (!['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) {
      throw new RailsConfigError(`${field}.selectPolicy must be one of Max, Min, Disabled, got ${String(rules.selectPolicy)}`);
    }
    rules.policies.forEach((policy, i) => {
      const at = `${field}.policies[${i}]`;
      if (policy.type !== 'Pods' && policy.type !== 'Percent') {
        throw new RailsConfigError(`${at}.type must be one of Pods, Percent, got ${String(policy.type)}`);
      }
      if (!Number.isFinite(policy.value) || policy.value <= 0 || (policy.type === 'Pods' && !Number.isInteger(policy.value))) {
        throw new RailsConfigError(
          `${at}.value must be ${policy.type === 'Pods' ? 'an integer' : 'a number'} > 0, got ${String(policy.value)}`,
        );
      }
      if (!Number.isInteger(policy.periodSeconds) || policy.periodSeconds < 1 || policy.periodSeconds > MAX_PERIOD_SECONDS) {
        throw new RailsConfigError(
          `${at}.periodSeconds must be an integer in 1..${MAX_PERIOD_SECONDS}, got ${String(policy.periodSeconds)}`,
        );
      }
    });
  }
}
