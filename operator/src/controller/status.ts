/**
 * Status, conditions and Events of a FunctionAutoscaler.
 *
 * Conditions follow metav1.Condition: `lastTransitionTime` changes only when `status` changes, so
 * `kubectl describe` shows since when something has been wrong, not when we last looked.
 *
 * Status writes go to the `/status` subresource with the resourceVersion we hold; a 409 means the
 * object changed under us (a user edited the spec, or another writer touched status), so we read it
 * again and re-apply *our* status fields on top — status is ours alone, the spec is not — at most
 * `attempts` times.
 *
 * Events never block reconciling: a failed Event is logged and counted, not retried.
 */
import { API_VERSION, type Condition, type FunctionAutoscalerConditionType, type FunctionAutoscalerStatus } from '../api/types.js';
import { KubeApiError, type AutoscalerObject, type ClusterClient, type KubeEvent } from './kube.js';

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
    const next: Condition = {
      type: u.type,
      status: u.status,
      reason: u.reason,
      message: u.message.slice(0, 32_000),
      lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : new Date(args.nowMs).toISOString(),
      ...(args.generation !== undefined ? { observedGeneration: args.generation } : {}),
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

export function findCondition(list: readonly Condition[] | undefined, type: FunctionAutoscalerConditionType): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/**
 * Writes `status` to the object's /status subresource; on 409 re-reads and retries.
 * Returns the stored object (with its new resourceVersion).
 */
export async function writeStatus(args: {
  client: Pick<ClusterClient, 'replaceAutoscalerStatus' | 'readAutoscaler'>;
  obj: AutoscalerObject;
  status: FunctionAutoscalerStatus;
  attempts?: number;
  onConflict?(attempt: number): void;
}): Promise<AutoscalerObject> {
  const attempts = args.attempts ?? 3;
  let current = args.obj;
  for (let attempt = 1; ; attempt++) {
    try {
      return await args.client.replaceAutoscalerStatus({ ...current, status: args.status as Record<string, unknown> });
    } catch (err) {
      if (!(err instanceof KubeApiError) || !err.conflict || attempt >= attempts) throw err;
      args.onConflict?.(attempt);
      current = await args.client.readAutoscaler(current.metadata.namespace ?? 'default', current.metadata.name);
    }
  }
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
  constructor(
    private readonly opts: {
      client: Pick<ClusterClient, 'createEvent' | 'patchEventSeries'>;
      component: string;
      instance: string;
      now: () => number;
      canWrite: () => boolean;
      onError?(err: unknown, reason: string): void;
    },
  ) {}

  emit(obj: AutoscalerObject, ev: { type: 'Normal' | 'Warning'; reason: string; message: string; series?: string }): void {
    if (!this.opts.canWrite()) return;
    const namespace = obj.metadata.namespace ?? 'default';
    const now = this.opts.now();
    const key = `${namespace}/${obj.metadata.name}/${obj.metadata.uid ?? ''}|${ev.type}|${ev.reason}|${ev.series ?? ev.message}`;
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
