/**
 * The decision step: one observation and the policy's and rails' state in, one decision out.
 * The operator's reconcile (`controller/controller.ts`), the simulator's episodes
 * (`sim/episode.ts`) and the training environment (`training/sim-env.ts`) all decide through it:
 *
 *   observation ─policy.recommend─> recommendation ─checked─> raw desired ─rails─> bounded
 *               ─hold scale-down on partial data─> ─platform range (OpenFaaS CE 1..5)─> desired
 *
 * It never throws on what a policy does: a policy that throws, or recommends a count that is not
 * a whole number ≥ 0, is a hold at the current count with a reason that names it.
 */
import type { Observation } from '../metrics/types.js';
import type { Recommendation, ScalingPolicy, StagedStep, StepBatch } from '../policies/policy.js';
import type { Rails } from '../rails/rails.js';
import type { RailLimit, RailsDecision } from '../rails/types.js';

export type Decision =
  | {
      held: true;
      desiredReplicas: number;
      reason: string;
      limitedBy: 'none';
    }
  | {
      held: false;
      /** What the policy asked for. */
      rawDesiredReplicas: number;
      /** What is to be applied: after rails, the partial-data hold and the platform range. */
      desiredReplicas: number;
      reason: string;
      limitedBy: RailLimit;
      /** The rails' own verdict (before the partial-data hold and the platform range). */
      rails: RailsDecision;
    };

export interface DecisionContext {
  rails: Pick<Rails, 'apply'>;
  currentReplicas: number;
  /** Milliseconds (the rails' windows are measured on it). */
  now: number;
  /** Set when CPU or memory metrics are missing: no scale-down on partial data (as the HPA). */
  partialData?: boolean;
  /** A replica range the platform enforces whatever is written (OpenFaaS CE: 1..5). */
  platformRange?: { min: number; max: number; name: string };
  /** What the administrator allows any function: a ceiling, and how far one decision may scale up. */
  operatorLimits?: OperatorLimits;
}

export interface OperatorLimits {
  maxReplicas: number;
  /** One decision scales up to at most this many times the current count (from at least 1). */
  maxScaleUpFactor: number;
}

/** The policy's recommendation; a throw becomes an invalid recommendation with the error's message. */
export function recommend(policy: ScalingPolicy, obs: Observation, now: number): Recommendation {
  try {
    return policy.recommend(obs, now);
  } catch (err) {
    return failed(policy, err);
  }
}

/** A policy's throw as an invalid recommendation with the error's message. */
function failed(policy: ScalingPolicy, err: unknown): Recommendation {
  return { valid: false, reason: `policy ${policy.name} failed: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * The recommendations of many policies at one moment, in order: policies that stage their steps
 * (the learned ones) run one batch per shared network — one forward pass for all the functions due
 * — and the others `recommend` one by one. A throw fails only the calls it belongs to.
 */
export function recommendAll(calls: ReadonlyArray<{ policy: ScalingPolicy; obs: Observation }>, now: number): Recommendation[] {
  const out: Recommendation[] = new Array(calls.length);
  const batches = new Map<StepBatch, Array<{ index: number; step: StagedStep }>>();
  calls.forEach(({ policy, obs }, index) => {
    if (!policy.stage) {
      out[index] = recommend(policy, obs, now);
      return;
    }
    let staged: StagedStep | Recommendation;
    try {
      staged = policy.stage(obs, now);
    } catch (err) {
      out[index] = failed(policy, err);
      return;
    }
    if (!('batch' in staged)) {
      out[index] = staged;
      return;
    }
    const list = batches.get(staged.batch);
    if (list) list.push({ index, step: staged });
    else batches.set(staged.batch, [{ index, step: staged }]);
  });
  for (const [batch, list] of batches) {
    try {
      batch.run(list.map((s) => s.step));
      for (const { index, step } of list)
        out[index] = step.result ?? failed(calls[index].policy, new Error('the batched step gave no result'));
    } catch (err) {
      for (const { index } of list) out[index] = failed(calls[index].policy, err);
    }
  }
  return out;
}

/** A hold at the current count. */
export function hold(currentReplicas: number, why: string): Decision {
  return { held: true, desiredReplicas: currentReplicas, reason: `holding ${currentReplicas}: ${why}`, limitedBy: 'none' };
}

/**
 * From a recommendation to the decision: checked, through the rails, the partial-data hold and
 * the platform range. `policyName` prefixes the reason.
 */
export function decideFrom(policyName: string, rec: Recommendation, ctx: DecisionContext): Decision {
  const { currentReplicas } = ctx;
  if (!rec.valid) return hold(currentReplicas, `${policyName} cannot decide: ${rec.reason}`);
  const raw = rec.desiredReplicas;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
    return hold(currentReplicas, `${policyName} recommended ${String(raw)} replicas, not a whole number ≥ 0`);
  }
  const railed = ctx.rails.apply({ currentReplicas, rawDesiredReplicas: raw, now: ctx.now });
  let desired = railed.boundedDesiredReplicas;
  let reason = `${policyName}: ${rec.reason}; ${railed.reason}`;
  if (ctx.partialData && desired < currentReplicas) {
    reason = `${reason}; scale-down to ${desired} held at ${currentReplicas}: CPU/memory metrics missing`;
    desired = currentReplicas;
  }
  let limitedBy: RailLimit = railed.limitedBy;
  if (ctx.operatorLimits) {
    const limited = applyOperatorLimits(desired, currentReplicas, ctx.operatorLimits);
    if (limited) {
      reason = `${reason}; ${limited.reason}`;
      desired = limited.replicas;
      limitedBy = limited.limitedBy;
    }
  }
  if (ctx.platformRange) {
    // A count the platform would rewrite is never written: writing it would start a fight.
    const { min, max, name } = ctx.platformRange;
    const bounded = Math.min(Math.max(desired, min), max);
    if (bounded !== desired) {
      reason = `${reason}; limited to ${bounded} by ${name}, which keeps every function within ${min}..${max} replicas (wanted ${desired})`;
      desired = bounded;
      limitedBy = 'openfaas-ce';
    }
  }
  return { held: false, rawDesiredReplicas: raw, desiredReplicas: desired, reason, limitedBy, rails: railed };
}

/** The administrator's ceiling, then the largest scale-up one decision may make; undefined when neither binds. */
function applyOperatorLimits(
  desired: number,
  current: number,
  limits: OperatorLimits,
): { replicas: number; limitedBy: RailLimit; reason: string } | undefined {
  let replicas = desired;
  let limitedBy: RailLimit | undefined;
  const by: string[] = [];
  if (replicas > limits.maxReplicas) {
    replicas = limits.maxReplicas;
    limitedBy = 'operator-max-replicas';
    by.push(`the operator's ceiling of ${limits.maxReplicas} replicas`);
  }
  const step = Math.floor(Math.max(1, current) * limits.maxScaleUpFactor);
  if (replicas > current && replicas > step) {
    replicas = step;
    limitedBy = 'operator-scale-up';
    by.push(`the operator's largest scale-up, ×${limits.maxScaleUpFactor} per decision`);
  }
  return limitedBy ? { replicas, limitedBy, reason: `limited to ${replicas} by ${by.join(' and ')} (wanted ${desired})` } : undefined;
}

/** The whole step: recommend, then `decideFrom`. */
export function decisionStep(policy: ScalingPolicy, obs: Observation, ctx: DecisionContext): Decision {
  return decideFrom(policy.name, recommend(policy, obs, ctx.now), ctx);
}
