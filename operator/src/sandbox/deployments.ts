/**
 * What the Deployment and ReplicaSet controllers do, reduced to what an autoscaler can observe:
 * after spec.replicas changes, status.replicas follows at once (pods are created), and
 * readyReplicas / availableReplicas follow as pods become ready. When a pod becomes ready is up
 * to a pluggable ReadinessModel: a fixed delay here, the simulator's cold starts in the sandbox.
 * Status is written through the status subresource like a real controller, so watches see a
 * MODIFIED event for the spec change and another for each status change.
 */
import type { Cancel, Clock } from '#kernel/clock.js';
import { isDeepStrictEqual } from 'node:util';
import type { Registry } from './kube-registry.js';
import { deployments, resourceKey, type KubeObject } from './kube-resources.js';

/** Decides when a Deployment's pods are ready. Keys are `namespace/name`. */
export interface ReadinessModel {
  /** The Deployment now wants `replicas` pods (0 once it is deleted). */
  setDesired(key: string, replicas: number): void;
  /** Pods of the Deployment that are ready now. */
  ready(key: string): number;
  /** Registers the callback the model calls when readiness changes on its own (a pod became ready). */
  onChange(listener: (key: string) => void): void;
  dispose(): void;
}

interface Pod {
  readyAt: number;
  timer?: Cancel;
}

/**
 * Each new pod becomes ready `readyDelayMs` after it was created (0: at once). Scaling down removes
 * unready pods first, newest first, as the ReplicaSet controller does.
 */
export class DelayedReadiness implements ReadinessModel {
  private readonly pods = new Map<string, Pod[]>();
  private listeners: ((key: string) => void)[] = [];
  private readonly delay: (key: string) => number;

  constructor(private readonly opts: { clock: Clock; readyDelayMs: number | ((key: string) => number) }) {
    const d = opts.readyDelayMs;
    this.delay = typeof d === 'number' ? () => d : d;
  }

  setDesired(key: string, replicas: number): void {
    const pods = this.pods.get(key) ?? [];
    const now = this.opts.clock.now();
    while (pods.length < replicas) {
      const pod: Pod = { readyAt: now + this.delay(key) };
      if (pod.readyAt > now) {
        pod.timer = this.opts.clock.setTimeout(() => {
          pod.timer = undefined;
          for (const l of this.listeners) l(key);
        }, pod.readyAt - now);
      }
      pods.push(pod);
    }
    while (pods.length > replicas) {
      const unready = pods.map((p, i) => (p.readyAt > now ? i : -1)).filter((i) => i >= 0);
      const victim = unready.length > 0 ? unready[unready.length - 1] : pods.length - 1;
      const [pod] = pods.splice(victim, 1);
      pod.timer?.();
    }
    if (replicas === 0) this.pods.delete(key);
    else this.pods.set(key, pods);
  }

  ready(key: string): number {
    const now = this.opts.clock.now();
    return (this.pods.get(key) ?? []).filter((p) => p.readyAt <= now).length;
  }

  onChange(listener: (key: string) => void): void {
    this.listeners.push(listener);
  }

  dispose(): void {
    for (const pods of this.pods.values()) for (const p of pods) p.timer?.();
    this.pods.clear();
    this.listeners = [];
  }
}

/** Readiness set by hand (tests, or a simulator that reports ready counts itself). */
export class ManualReadiness implements ReadinessModel {
  private readonly desired = new Map<string, number>();
  private readonly readyCount = new Map<string, number>();
  private listeners: ((key: string) => void)[] = [];

  setDesired(key: string, replicas: number): void {
    this.desired.set(key, replicas);
  }

  /** Sets the ready pods of `namespace/name` (capped at the desired count) and updates the Deployment. */
  setReady(key: string, ready: number): void {
    this.readyCount.set(key, ready);
    for (const l of this.listeners) l(key);
  }

  ready(key: string): number {
    return Math.min(this.readyCount.get(key) ?? 0, this.desired.get(key) ?? 0);
  }

  onChange(listener: (key: string) => void): void {
    this.listeners.push(listener);
  }

  dispose(): void {
    this.listeners = [];
  }
}

/** Keeps Deployment status in line with spec.replicas and the readiness model. */
export class DeploymentController {
  private unsubscribe?: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly readiness: ReadinessModel,
    private readonly clock: Clock,
    private readonly clampReplicas?: (deployment: KubeObject) => number | undefined,
  ) {}

  start(): void {
    const key = resourceKey(deployments);
    this.unsubscribe = this.registry.store.subscribe((event) => {
      if (event.resource !== key) return;
      const { namespace, name } = event.object.metadata;
      if (event.type === 'DELETED') this.readiness.setDesired(`${namespace}/${name}`, 0);
      else this.sync(namespace!, name!);
    });
    this.readiness.onChange((k) => {
      const [namespace, name] = k.split('/');
      this.sync(namespace, name);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.readiness.dispose();
  }

  /** Reconciles one Deployment's status (no write when nothing changed). */
  sync(namespace: string, name: string): void {
    const store = this.registry.store.get(resourceKey(deployments), namespace, name);
    if (!store) return;
    const clamped = this.clampReplicas?.(store);
    if (clamped !== undefined) {
      // Written as another controller would: a spec update, whose own event brings us back here.
      this.registry.update({ type: deployments, namespace, name }, { ...store, spec: { ...(store.spec as object), replicas: clamped } });
      return;
    }
    const desired = ((store.spec as { replicas?: number })?.replicas ?? 1) as number;
    this.readiness.setDesired(`${namespace}/${name}`, desired);
    const status = deploymentStatus(store, desired, Math.min(this.readiness.ready(`${namespace}/${name}`), desired), this.clock.now());
    if (isDeepStrictEqual(status, store.status)) return;
    this.registry.update({ type: deployments, namespace, name }, { ...store, status }, {}, 'status');
  }
}

/**
 * The status the Deployment controller writes for `desired` pods of which `ready` are ready: the
 * counts (zero ones left out, as the API server's omitempty encoding does) and the `Available`
 * condition, whose times move only when its status flips.
 */
export function deploymentStatus(d: KubeObject, desired: number, ready: number, nowMs: number): Record<string, unknown> {
  const old = (d.status ?? {}) as { conditions?: { type: string; status: string; lastTransitionTime: string }[] };
  // Available while at most maxUnavailable (25%, rounded down) pods are not ready.
  const available = ready >= desired - Math.floor(desired * 0.25);
  const previous = old.conditions?.find((c) => c.type === 'Available');
  const statusText = available ? 'True' : 'False';
  const now = new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const since = previous?.status === statusText ? previous.lastTransitionTime : now;
  const counts = {
    replicas: desired,
    updatedReplicas: desired,
    readyReplicas: ready,
    availableReplicas: ready,
    unavailableReplicas: desired - ready,
  };
  return {
    observedGeneration: d.metadata.generation,
    ...Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== 0)),
    conditions: [
      {
        type: 'Available',
        status: statusText,
        lastUpdateTime: since,
        lastTransitionTime: since,
        reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
    ],
  };
}
