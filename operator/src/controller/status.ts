/**
 * Status, conditions and Events of a FunctionAutoscaler.
 *
 * Conditions follow metav1.Condition: `lastTransitionTime` changes only when `status` changes, so
 * `kubectl describe` shows since when something has been wrong, not when we last looked.
 *
 * Status is written only when something a user reads changed (`statusPatch`), as a JSON merge
 * patch of the changed fields to the `/status` subresource.
 *
 * Events never block reconciling: a failed Event is logged and counted, not retried.
 */
import { API_VERSION, type Condition, type FunctionAutoscalerConditionType, type FunctionAutoscalerStatus } from '../api/types.js';
import { type AutoscalerObject, type ClusterClient, type KubeEvent } from './kube.js';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: FunctionAutoscalerConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns the new list: same order, transition time kept when the status did not change. */
export function setConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  args: { nowMs: number; generation?: number },
): Condition[] {
  const out = [...(existing ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const prev = i >= 0 ? out[i] : undefined;
    const message = u.message.slice(0, 32_000);
    // An unchanged condition is kept as it is: one object per condition held between intervals,
    // not a fresh copy of it and its strings at every interval.
    if (
      prev &&
      prev.status === u.status &&
      prev.reason === u.reason &&
      prev.message === message &&
      prev.observedGeneration === args.generation
    )
      continue;
    const next: Condition = {
      type: u.type,
      status: u.status,
      reason: u.reason,
      message,
      lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : new Date(args.nowMs).toISOString(),
      ...(args.generation !== undefined ? { observedGeneration: args.generation } : {}),
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

/**
 * `mine`, with each condition equal to one of `cached` (the object as last read or written)
 * replaced by that one: the same condition is then held once, not once by the controller and once
 * by its copy of the object.
 */
export function shareConditions(mine: Condition[], cached: readonly Condition[] | undefined): Condition[] {
  if (!cached?.length) return mine;
  for (let i = 0; i < mine.length; i++) {
    const same = cached.find((c) => c.type === mine[i].type);
    if (same !== undefined && same !== mine[i] && deepEqual(same, mine[i])) mine[i] = same;
  }
  return mine;
}

export function findCondition(list: readonly Condition[] | undefined, type: FunctionAutoscalerConditionType): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/**
 * Whether what a user reads in two statuses is the same: everything but the observation (it moves
 * every interval), the decision's time and reason text, and the conditions' messages (which quote
 * live figures). Those are written along with any change, and at least every refresh period
 * (`statusPatch`).
 */
function sameForUser(a: FunctionAutoscalerStatus | undefined, b: FunctionAutoscalerStatus): boolean {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const special = (k: string): boolean => k === 'lastObservation' || k === 'lastDecision' || k === 'conditions';
  for (const k of Object.keys(x)) if (!special(k) && !deepEqual(x[k], y[k])) return false;
  for (const k of Object.keys(y)) if (!special(k) && !(k in x) && y[k] !== undefined) return false;
  const da = a?.lastDecision;
  const db = b.lastDecision;
  if (da?.desiredReplicas !== db?.desiredReplicas || da?.rawDesiredReplicas !== db?.rawDesiredReplicas || da?.limitedBy !== db?.limitedBy)
    return false;
  const ca = a?.conditions ?? [];
  const cb = b.conditions ?? [];
  return (
    ca.length === cb.length &&
    ca.every(
      (c, i) =>
        c.type === cb[i].type &&
        c.status === cb[i].status &&
        c.reason === cb[i].reason &&
        c.observedGeneration === cb[i].observedGeneration &&
        c.lastTransitionTime === cb[i].lastTransitionTime,
    )
  );
}

/**
 * The JSON merge patch (RFC 7386) that turns `from` into `to`: changed fields, `null` for removed
 * ones, objects merged recursively, arrays and scalars replaced whole. Undefined when equal.
 */
export function createMergePatch(from: unknown, to: unknown): unknown {
  if (!isPlainObject(from) || !isPlainObject(to)) return deepEqual(from, to) ? undefined : (to ?? null);
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (to[key] === undefined && from[key] !== undefined) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const sub = createMergePatch(from[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values, whatever the key order (the API server sorts keys; we do not). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => deepEqual(a[k], b[k]));
}

/**
 * The status patch for one reconcile, or undefined when nothing a user reads changed and the
 * stored observation is younger than `refreshMs`: the API server is written only when it tells a
 * user something new (the HPA controller skips its status update the same way when the status is
 * semantically equal), and the observation is kept at most `refreshMs` old.
 */
export function statusPatch(
  stored: FunctionAutoscalerStatus | undefined,
  next: FunctionAutoscalerStatus,
  args: { nowMs: number; refreshMs: number },
): Record<string, unknown> | undefined {
  const storedObservedAt = Date.parse(stored?.lastObservation?.time ?? '');
  const stale = next.lastObservation !== undefined && !(args.nowMs - storedObservedAt < args.refreshMs);
  if (!stale && sameForUser(stored, next)) return undefined;
  return createMergePatch(stored ?? {}, next) as Record<string, unknown> | undefined;
}

/**
 * Sends a status patch as a JSON merge patch to the /status subresource. Status is this operator's
 * alone and the patch names only the fields that changed, so it carries no resourceVersion and
 * never conflicts. Returns the stored object.
 */
export async function patchStatus(
  client: Pick<ClusterClient, 'patchAutoscalerStatus'>,
  obj: AutoscalerObject,
  patch: Record<string, unknown>,
): Promise<AutoscalerObject> {
  return client.patchAutoscalerStatus(obj.metadata.namespace ?? 'default', obj.metadata.name, { status: patch });
}

export interface EventSink {
  /**
   * Records an Event about `obj`. `series` names what counts as "the same Event again" (default: the
   * type, reason and message): a repeat within EVENT_SERIES_WINDOW_MS bumps the existing Event's
   * count and lastTimestamp instead of creating another, as client-go's recorder does.
   */
  emit(obj: AutoscalerObject, ev: { type: 'Normal' | 'Warning'; reason: string; message: string; series?: string }): void;
  /** Resolves when every emitted Event has been sent (or failed). */
  flush(): Promise<void>;
}

/** client-go's EventCorrelator aggregates repeats of an Event seen within 10 minutes. */
export const EVENT_SERIES_WINDOW_MS = 10 * 60_000;

/**
 * client-go's EventSourceObjectSpamFilter (tools/record/events_cache.go): per involved object, a
 * token bucket of 25 Events that refills at one per 5 minutes; what exceeds it is dropped. It
 * applies to new Events and to the count updates of a series alike.
 */
export const EVENT_SPAM_BURST = 25;
export const EVENT_SPAM_REFILL_MS = 5 * 60_000;
const SERIES_CACHE_LIMIT = 4096;

interface Series {
  /** Resolves to the name of the Event created first (undefined when that failed). */
  name: Promise<string | undefined>;
  namespace: string;
  count: number;
  lastMs: number;
}

export class EventRecorder implements EventSink {
  private pending = new Set<Promise<void>>();
  private readonly series = new Map<string, Series>();
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  constructor(
    private readonly opts: {
      client: Pick<ClusterClient, 'createEvent' | 'patchEventSeries'>;
      component: string;
      instance: string;
      now: () => number;
      canWrite: () => boolean;
      onError?(err: unknown, reason: string): void;
      /** An Event dropped by the rate limit. */
      onDropped?(reason: string): void;
    },
  ) {}

  /** Takes a token from the object's bucket; false when it is empty. */
  private allowed(objectKey: string, now: number): boolean {
    const b = this.buckets.get(objectKey) ?? { tokens: EVENT_SPAM_BURST, atMs: now };
    b.tokens = Math.min(EVENT_SPAM_BURST, b.tokens + Math.max(0, now - b.atMs) / EVENT_SPAM_REFILL_MS);
    b.atMs = now;
    if (this.buckets.size >= SERIES_CACHE_LIMIT && !this.buckets.has(objectKey)) this.buckets.clear();
    this.buckets.set(objectKey, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  emit(obj: AutoscalerObject, ev: { type: 'Normal' | 'Warning'; reason: string; message: string; series?: string }): void {
    if (!this.opts.canWrite()) return;
    const namespace = obj.metadata.namespace ?? 'default';
    const now = this.opts.now();
    const objectKey = `${namespace}/${obj.metadata.name}/${obj.metadata.uid ?? ''}`;
    if (!this.allowed(objectKey, now)) {
      this.opts.onDropped?.(ev.reason);
      return;
    }
    const key = `${objectKey}|${ev.type}|${ev.reason}|${ev.series ?? ev.message}`;
    const known = this.series.get(key);
    if (known && now - known.lastMs <= EVENT_SERIES_WINDOW_MS) {
      known.count++;
      known.lastMs = now;
      const count = known.count;
      this.track(
        known.name.then(async (name) => {
          if (name === undefined) return;
          try {
            await this.opts.client.patchEventSeries(namespace, name, count, now);
          } catch (err) {
            this.opts.onError?.(err, ev.reason);
          }
        }),
      );
      return;
    }
    const event: KubeEvent = {
      namespace,
      involved: {
        kind: 'FunctionAutoscaler',
        apiVersion: API_VERSION,
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type: ev.type,
      reason: ev.reason,
      message: ev.message.slice(0, 1000),
      time: now,
      reportingController: this.opts.component,
      reportingInstance: this.opts.instance,
    };
    const name = this.opts.client.createEvent(event).then(
      (created) => created.name,
      (err: unknown) => {
        this.opts.onError?.(err, ev.reason);
        return undefined;
      },
    );
    if (this.series.size >= SERIES_CACHE_LIMIT) this.series.clear();
    this.series.set(key, { name, namespace, count: 1, lastMs: now });
    this.track(name.then(() => undefined));
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
