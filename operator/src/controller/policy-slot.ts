/**
 * The policy slot of one FunctionAutoscaler: the policy instance deciding for it, and the rails it
 * decides under. One instance per resource, created when first seen and again when anything it was
 * built from changes (name, model, params, bounds, SLO, interval, behavior, resource requests). A
 * policy that fails to load (unknown, missing or corrupt model, bad params) is replaced by the
 * fallback, said in PolicyLoaded=False and a Warning Event, and tried again every `retryMs`; when
 * it loads, the fallback is retired. Every instance replaced is disposed.
 */
import type { Logger } from 'pino';
import type { BoundedSpec } from '../api/types.js';
import type { ResourceRequests } from '../metrics/types.js';
import type { PolicyDeps, PolicyName, PolicySpec, ScalingPolicy } from '../policies/policy.js';
import { mergeBehavior } from '../rails/behavior.js';
import type { RailsConfig, RailsDecision } from '../rails/types.js';
import type { ConditionUpdate } from './status.js';

export interface RailsLike {
  apply(args: { currentReplicas: number; rawDesiredReplicas: number; now: number }): RailsDecision;
  reset(): void;
  /** The last decision was not applied (dry run, failed actuation): forget its scale event. */
  undoLastScaleEvent?(): void;
}

export interface PolicySlot {
  /** What the instance was built from (see slotKey). */
  key: string;
  requested: PolicyName;
  /** The instance deciding now: the requested policy or the fallback. */
  policy: ScalingPolicy | undefined;
  /** The requested policy loaded (not the fallback). */
  loaded: boolean;
  retryAtMs: number;
  rails: RailsLike | undefined;
}

export interface SlotContext {
  createPolicy(spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy>;
  createRails(config: RailsConfig): RailsLike;
  /** How long before a policy that failed to load is tried again. */
  retryMs: number;
  /** Records an Event on the resource. */
  emit(ev: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
  log: Logger;
}

/** The slot to use now, and the PolicyLoaded condition (null: the previous one still holds). */
export interface SlotUpdate {
  slot: PolicySlot;
  condition: ConditionUpdate | null;
}

/** Everything a policy instance is built from: a change of any of these builds a new one. */
export function slotKey(spec: BoundedSpec, requests: Partial<ResourceRequests>): string {
  // The controller keeps both objects while nothing they come from changes: the key is made once.
  const known = slotKeys.get(spec);
  if (known?.requests === requests) return known.key;
  const key = JSON.stringify([
    spec.policy,
    spec.minReplicas,
    spec.maxReplicas,
    spec.slo,
    spec.intervalSeconds,
    spec.behavior ?? null,
    requests,
  ]);
  slotKeys.set(spec, { requests, key });
  return key;
}

const slotKeys = new WeakMap<BoundedSpec, { requests: Partial<ResourceRequests>; key: string }>();

function policyDeps(spec: BoundedSpec, requests: Partial<ResourceRequests>): PolicyDeps {
  return {
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    sloP95Ms: spec.slo.p95LatencyMs,
    intervalSeconds: spec.intervalSeconds,
    ...(requests.cpuCores !== undefined && requests.memoryBytes !== undefined
      ? { resourceRequests: { cpuCores: requests.cpuCores, memoryBytes: requests.memoryBytes } }
      : {}),
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The slot for `spec` at `now`: the same one while nothing changed, else a new one. */
export async function ensurePolicySlot(
  old: PolicySlot | undefined,
  want: { spec: BoundedSpec; requests: Partial<ResourceRequests>; now: number },
  ctx: SlotContext,
): Promise<SlotUpdate> {
  const { spec, requests, now } = want;
  const key = slotKey(spec, requests);
  if (old && old.key === key && (old.loaded || now < old.retryAtMs)) return { slot: old, condition: null };
  const retryingSame = old !== undefined && old.key === key;
  const deps = policyDeps(spec, requests);
  const requested: PolicySpec = {
    name: spec.policy.name,
    ...(spec.policy.model ? { model: spec.policy.model } : {}),
    ...(spec.policy.params ? { params: spec.policy.params } : {}),
  };
  let made: Instance | undefined;
  let condition: ConditionUpdate;
  try {
    made = await instantiate(requested, spec, deps, ctx);
    condition = { type: 'PolicyLoaded', status: 'True', reason: 'Loaded', message: `policy ${spec.policy.name} loaded` };
  } catch (err) {
    ctx.log.warn({ err: message(err), policy: spec.policy.name }, 'policy could not be loaded');
    // Still failing: keep the fallback instance (and its state) already deciding.
    if (retryingSame && old?.policy) return { slot: { ...old, retryAtMs: now + ctx.retryMs }, condition: null };
    ({ made, condition } = await loadFallback(spec, deps, message(err), ctx));
  }
  const loaded = condition.status === 'True';
  const policy = made?.policy;
  announce(old, { spec, policy, retiredFallback: loaded && retryingSame }, ctx);
  old?.policy?.dispose();
  return { slot: { key, requested: spec.policy.name, policy, loaded, retryAtMs: now + ctx.retryMs, rails: made?.rails }, condition };
}

interface Instance {
  policy: ScalingPolicy;
  rails: RailsLike;
}

/**
 * A policy and its rails (the policy's declared behaviour under the spec's). A behaviour the rails
 * refuse (a model declaring an impossible window) fails the load like a missing model does.
 */
async function instantiate(policySpec: PolicySpec, spec: BoundedSpec, deps: PolicyDeps, ctx: SlotContext): Promise<Instance> {
  const policy = await ctx.createPolicy(policySpec, deps);
  try {
    const behavior = mergeBehavior(policy.defaultBehavior, spec.behavior);
    return { policy, rails: ctx.createRails({ minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, behavior }) };
  } catch (err) {
    policy.dispose();
    throw new Error(`its scaling behaviour is refused: ${message(err)}`, { cause: err });
  }
}

/**
 * The fallback when the requested policy cannot be loaded; PolicyLoadFailed (with the fallback) or
 * NoPolicy (neither loads: the scale is held). The message gives each failure in its own words.
 */
async function loadFallback(
  spec: BoundedSpec,
  deps: PolicyDeps,
  why: string,
  ctx: SlotContext,
): Promise<{ made: Instance | undefined; condition: ConditionUpdate }> {
  try {
    const made = await instantiate({ name: spec.policy.fallback }, spec, deps, ctx);
    const text = `policy ${spec.policy.name} could not be loaded (${why}); using fallback ${spec.policy.fallback}`;
    ctx.emit({ type: 'Warning', reason: 'PolicyFallback', message: text });
    return { made, condition: { type: 'PolicyLoaded', status: 'False', reason: 'PolicyLoadFailed', message: text } };
  } catch (err) {
    const text = `policy ${spec.policy.name} could not be loaded (${why}), nor fallback ${spec.policy.fallback} (${message(err)}); holding the current scale`;
    ctx.emit({ type: 'Warning', reason: 'PolicyUnavailable', message: text });
    return { made: undefined, condition: { type: 'PolicyLoaded', status: 'False', reason: 'NoPolicy', message: text } };
  }
}

/** A switch to another policy, or a retried policy that now loads, is an Event. */
function announce(
  old: PolicySlot | undefined,
  change: { spec: BoundedSpec; policy: ScalingPolicy | undefined; retiredFallback: boolean },
  ctx: SlotContext,
): void {
  const { spec, policy, retiredFallback } = change;
  if (!old) return;
  if (old.requested !== spec.policy.name) {
    ctx.emit({
      type: 'Normal',
      reason: 'PolicySwitched',
      message: `policy ${old.requested} → ${spec.policy.name} (now deciding: ${policy?.name ?? 'none'}); recurrent state and rails reset`,
    });
    ctx.log.info({ from: old.requested, to: spec.policy.name }, 'policy switched');
  } else if (retiredFallback && !old.loaded) {
    ctx.emit({
      type: 'Normal',
      reason: 'PolicyLoaded',
      message: `policy ${spec.policy.name} loaded; fallback ${old.policy?.name ?? 'none'} retired`,
    });
  }
}
