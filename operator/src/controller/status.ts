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
import type { Condition, FunctionAutoscalerConditionType, FunctionAutoscalerStatus } from '../api/types.js';
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
  emit(obj: AutoscalerObject, ev: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
  /** Resolves when every emitted Event has been sent (or failed). */
  flush(): Promise<void>;
}

export class EventRecorder implements EventSink {
  private pending = new Set<Promise<void>>();
  constructor(
    private readonly opts: {
      client: Pick<ClusterClient, 'createEvent'>;
      component: string;
      instance: string;
      now: () => number;
      canWrite: () => boolean;
      onError?(err: unknown, reason: string): void;
    },
  ) {}

  emit(obj: AutoscalerObject, ev: { type: 'Normal' | 'Warning'; reason: string; message: string }): void {
    if (!this.opts.canWrite()) return;
    const namespace = obj.metadata.namespace ?? 'default';
    const event: KubeEvent = {
      namespace,
      involved: {
        kind: 'FunctionAutoscaler',
        apiVersion: 'faas-autoscaler.dev/v1alpha1',
        name: obj.metadata.name,
        namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type: ev.type,
      reason: ev.reason,
      message: ev.message.slice(0, 1000),
      time: this.opts.now(),
      reportingController: this.opts.component,
      reportingInstance: this.opts.instance,
    };
    const p = this.opts.client.createEvent(event).catch((err: unknown) => this.opts.onError?.(err, ev.reason));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
