/**
 * A small in-memory ClusterClient for controller unit tests: real resourceVersion semantics (409 on
 * a stale write), watch events for every change, Events and Leases kept in arrays, and a queue of
 * injected failures per operation. The HTTP-level emulator (operator/src/sandbox) is used by the
 * integration tests; this one keeps unit tests in scripted time without sockets.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  KubeApiError,
  type AutoscalerObject,
  type ClusterClient,
  type KubeEvent,
  type LeaseRecord,
  type ObjectList,
  type ScaleView,
  type WatchHandle,
  type WatchHandlers,
} from '../../../operator/src/controller/kube.js';
import { mergePatch } from '../../../operator/src/sandbox/kube-patch.js';

type Op = keyof ClusterClient;

export class FakeCluster implements ClusterClient {
  private rv = 100;
  readonly autoscalers = new Map<string, AutoscalerObject>();
  readonly deployments = new Map<string, V1Deployment>();
  /** Events as created, with the count and last time of their series. */
  readonly events: (KubeEvent & { count: number; lastMs?: number })[] = [];
  readonly leases = new Map<string, LeaseRecord>();
  /** Every status patch sent, in order. */
  readonly statusPatches: Array<{ key: string; patch: Record<string, unknown> }> = [];
  /** Every call, in order: "replaceScale openfaas-fn/a 3". */
  readonly calls: string[] = [];
  private failures = new Map<Op, KubeApiError[]>();
  private hooks = new Map<Op, Array<() => void>>();
  private autoscalerWatchers = new Set<WatchHandlers<AutoscalerObject>>();
  private deploymentWatchers = new Set<WatchHandlers<V1Deployment>>();

  private nextRv(): string {
    return String(++this.rv);
  }

  /** Runs `fn` just before the next call of `op` (what another client does at that moment). */
  beforeNext(op: Op, fn: () => void): void {
    this.hooks.set(op, [...(this.hooks.get(op) ?? []), fn]);
  }

  /** The next call of `op` fails with `err` (queued; one per call). */
  failNext(op: Op, err: KubeApiError): void {
    this.failures.set(op, [...(this.failures.get(op) ?? []), err]);
  }

  private check(op: Op, detail: string): void {
    this.hooks.get(op)?.shift()?.();
    this.calls.push(`${op} ${detail}`.trim());
    const queue = this.failures.get(op);
    const err = queue?.shift();
    if (err) throw err;
  }

  // ---- test-side mutations (as a user with kubectl would) ----

  putAutoscaler(obj: AutoscalerObject): AutoscalerObject {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.autoscalers.get(key);
    const generation = old
      ? JSON.stringify(old.spec) === JSON.stringify(obj.spec)
        ? old.metadata.generation
        : (old.metadata.generation ?? 1) + 1
      : 1;
    const stored: AutoscalerObject = structuredClone({
      ...obj,
      status: obj.status ?? old?.status,
      metadata: { ...obj.metadata, uid: `uid-${key}`, generation, resourceVersion: this.nextRv() },
    });
    this.autoscalers.set(key, stored);
    for (const w of this.autoscalerWatchers) w.onEvent(old ? 'MODIFIED' : 'ADDED', structuredClone(stored));
    return stored;
  }

  deleteAutoscaler(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const old = this.autoscalers.get(key);
    this.autoscalers.delete(key);
    if (old) for (const w of this.autoscalerWatchers) w.onEvent('DELETED', structuredClone(old));
  }

  putDeployment(
    namespace: string,
    name: string,
    replicas: number,
    opts: { ready?: number; cpu?: string; memory?: string; labels?: Record<string, string> } = {},
  ): void {
    const key = `${namespace}/${name}`;
    const old = this.deployments.get(key);
    // A scale write keeps the labels, as the API server does.
    const labels = opts.labels ?? old?.metadata?.labels;
    const dep: V1Deployment = {
      metadata: { name, namespace, resourceVersion: this.nextRv(), ...(labels ? { labels } : {}) },
      spec: {
        replicas,
        selector: { matchLabels: { faas_function: name } },
        template: {
          spec: {
            containers: [{ name, image: 'x', resources: { requests: { cpu: opts.cpu ?? '100m', memory: opts.memory ?? '128Mi' } } }],
          },
        },
      },
      status: { replicas, readyReplicas: opts.ready ?? replicas },
    };
    this.deployments.set(key, dep);
    for (const w of this.deploymentWatchers) w.onEvent(old ? 'MODIFIED' : 'ADDED', structuredClone(dep));
  }

  replicasOf(namespace: string, name: string): number | undefined {
    return this.deployments.get(`${namespace}/${name}`)?.spec?.replicas;
  }

  statusOf(namespace: string, name: string): Record<string, unknown> | undefined {
    return this.autoscalers.get(`${namespace}/${name}`)?.status;
  }

  // ---- ClusterClient ----

  async listAutoscalers(namespace: string | undefined): Promise<ObjectList<AutoscalerObject>> {
    this.check('listAutoscalers', namespace ?? '');
    const items = [...this.autoscalers.values()].filter((o) => !namespace || o.metadata.namespace === namespace);
    return { items: structuredClone(items), resourceVersion: String(this.rv) };
  }

  async watchAutoscalers(_ns: string | undefined, _rv: string, h: WatchHandlers<AutoscalerObject>): Promise<WatchHandle> {
    this.check('watchAutoscalers', '');
    this.autoscalerWatchers.add(h);
    return { stop: () => this.autoscalerWatchers.delete(h) };
  }

  async listDeployments(namespace: string): Promise<ObjectList<V1Deployment>> {
    this.check('listDeployments', namespace);
    const items = [...this.deployments.values()].filter((d) => d.metadata?.namespace === namespace);
    return { items: structuredClone(items), resourceVersion: String(this.rv) };
  }

  async watchDeployments(_ns: string, _rv: string, h: WatchHandlers<V1Deployment>): Promise<WatchHandle> {
    this.check('watchDeployments', '');
    this.deploymentWatchers.add(h);
    return { stop: () => this.deploymentWatchers.delete(h) };
  }

  async readScale(namespace: string, name: string): Promise<ScaleView> {
    this.check('readScale', `${namespace}/${name}`);
    const d = this.deployments.get(`${namespace}/${name}`);
    if (!d) throw new KubeApiError(`deployments.apps "${name}" not found`, 404, 'NotFound');
    return { replicas: d.spec!.replicas!, statusReplicas: d.status!.replicas!, resourceVersion: d.metadata!.resourceVersion! };
  }

  async replaceScale(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<ScaleView> {
    this.check('replaceScale', `${namespace}/${name} ${replicas}`);
    const d = this.deployments.get(`${namespace}/${name}`);
    if (!d) throw new KubeApiError(`deployments.apps "${name}" not found`, 404, 'NotFound');
    if (d.metadata!.resourceVersion !== resourceVersion) throw new KubeApiError('the object has been modified', 409, 'Conflict');
    this.putDeployment(namespace, name, replicas);
    return this.readScaleQuiet(namespace, name);
  }

  private readScaleQuiet(namespace: string, name: string): ScaleView {
    const d = this.deployments.get(`${namespace}/${name}`)!;
    return { replicas: d.spec!.replicas!, statusReplicas: d.status!.replicas!, resourceVersion: d.metadata!.resourceVersion! };
  }

  async readAutoscaler(namespace: string, name: string): Promise<AutoscalerObject> {
    this.check('readAutoscaler', `${namespace}/${name}`);
    const o = this.autoscalers.get(`${namespace}/${name}`);
    if (!o) throw new KubeApiError('not found', 404, 'NotFound');
    return structuredClone(o);
  }

  async patchAutoscalerStatus(namespace: string, name: string, patch: Record<string, unknown>): Promise<AutoscalerObject> {
    const key = `${namespace}/${name}`;
    this.check('patchAutoscalerStatus', key);
    const cur = this.autoscalers.get(key);
    if (!cur) throw new KubeApiError('not found', 404, 'NotFound');
    this.statusPatches.push({ key, patch: structuredClone(patch) });
    const stored: AutoscalerObject = structuredClone({
      ...cur,
      status: mergePatch(cur.status ?? {}, patch.status) as Record<string, unknown>,
      metadata: { ...cur.metadata, resourceVersion: this.nextRv() },
    });
    this.autoscalers.set(key, stored);
    for (const w of this.autoscalerWatchers) w.onEvent('MODIFIED', structuredClone(stored));
    return structuredClone(stored);
  }

  async createEvent(ev: KubeEvent): Promise<{ name: string }> {
    this.check('createEvent', ev.reason);
    this.events.push({ ...ev, count: 1 });
    return { name: `event-${this.events.length - 1}` };
  }

  async patchEventSeries(_namespace: string, name: string, count: number, lastTimestampMs: number): Promise<void> {
    this.check('patchEventSeries', name);
    const ev = this.events[Number(name.replace('event-', ''))];
    if (!ev) throw new KubeApiError(`events "${name}" not found`, 404, 'NotFound');
    ev.count = count;
    ev.lastMs = lastTimestampMs;
  }

  async readLease(namespace: string, name: string): Promise<LeaseRecord | null> {
    this.check('readLease', `${namespace}/${name}`);
    const l = this.leases.get(`${namespace}/${name}`);
    return l ? structuredClone(l) : null;
  }

  async createLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord> {
    this.check('createLease', `${namespace}/${name}`);
    if (this.leases.has(`${namespace}/${name}`)) throw new KubeApiError('already exists', 409, 'AlreadyExists');
    const stored = { ...structuredClone(rec), resourceVersion: this.nextRv() };
    this.leases.set(`${namespace}/${name}`, stored);
    return structuredClone(stored);
  }

  async replaceLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord> {
    this.check('replaceLease', `${namespace}/${name}`);
    const cur = this.leases.get(`${namespace}/${name}`);
    if (!cur) throw new KubeApiError('not found', 404, 'NotFound');
    if (cur.resourceVersion !== rec.resourceVersion) throw new KubeApiError('the object has been modified', 409, 'Conflict');
    const stored = { ...structuredClone(rec), resourceVersion: this.nextRv() };
    this.leases.set(`${namespace}/${name}`, stored);
    return structuredClone(stored);
  }
  async deleteLease(namespace: string, name: string): Promise<void> {
    this.check('deleteLease', `${namespace}/${name}`);
    if (!this.leases.delete(`${namespace}/${name}`)) throw new KubeApiError('not found', 404, 'NotFound');
  }

  async listLeases(namespace: string): Promise<Array<LeaseRecord & { name: string }>> {
    this.check('listLeases', namespace);
    return [...this.leases.entries()]
      .filter(([key]) => key.startsWith(`${namespace}/`))
      .map(([key, rec]) => ({ ...structuredClone(rec), name: key.slice(namespace.length + 1) }));
  }
}
