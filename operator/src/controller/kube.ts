/**
 * The Kubernetes API as the controller uses it: a narrow interface (`ClusterClient`) and one
 * implementation on `@kubernetes/client-node`. Everything the controller writes goes through here,
 * so "only the leader writes" and "every write retries on 409" have one place to be true.
 *
 * Errors are mapped to `KubeApiError` with the HTTP status (undefined for transport failures and
 * time-outs), so callers branch on `conflict` / `gone` / `notFound` / `transient` instead of on
 * client-node's exception classes.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Observable,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  type V1Deployment,
  type V1Lease,
  type V1Scale,
  type CoreV1Event,
} from '@kubernetes/client-node';

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GROUP, PLURAL, VERSION, type ObjectMeta as ApiObjectMeta } from '../api/types.js';

export { GROUP, KIND, PLURAL, VERSION } from '../api/types.js';

/** The API's ObjectMeta as read back from the server: the name is always there; client-node gives timestamps as Dates. */
export interface ObjectMeta extends Pick<ApiObjectMeta, 'namespace' | 'uid' | 'resourceVersion' | 'generation' | 'labels' | 'annotations'> {
  name: string;
  creationTimestamp?: string | Date;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A FunctionAutoscaler as it comes off the wire (spec not yet defaulted or validated). */
export interface AutoscalerObject extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandlers<T> {
  onEvent(type: WatchEventType, object: T | KubeStatus): void;
  /** The stream ended: `err` undefined for a clean close (server time-out), else the failure. */
  onDone(err?: KubeApiError): void;
}

export interface WatchHandle {
  stop(): void;
}

/** metav1.Status, as sent in ERROR watch events and error bodies. */
export interface KubeStatus {
  kind?: 'Status';
  code?: number;
  reason?: string;
  message?: string;
}

/** What a Deployment's `/scale` says. */
export interface ScaleView {
  replicas: number;
  statusReplicas: number;
  resourceVersion: string;
}

export interface KubeEvent {
  namespace: string;
  involved: { kind: string; apiVersion: string; name: string; namespace: string; uid?: string; resourceVersion?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** ms since epoch */
  time: number;
  reportingController: string;
  reportingInstance: string;
}

export interface LeaseRecord {
  holderIdentity: string | null;
  leaseDurationSeconds: number;
  acquireTime: Date | null;
  renewTime: Date | null;
  leaseTransitions: number;
  resourceVersion?: string;
}

export interface ClusterClient {
  listAutoscalers(namespace: string | undefined): Promise<ObjectList<AutoscalerObject>>;
  watchAutoscalers(namespace: string | undefined, resourceVersion: string, h: WatchHandlers<AutoscalerObject>): Promise<WatchHandle>;
  listDeployments(namespace: string): Promise<ObjectList<V1Deployment>>;
  watchDeployments(namespace: string, resourceVersion: string, h: WatchHandlers<V1Deployment>): Promise<WatchHandle>;
  readScale(namespace: string, name: string): Promise<ScaleView>;
  /** PUT /scale with the resourceVersion read before: a stale write fails with 409. */
  replaceScale(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<ScaleView>;
  readAutoscaler(namespace: string, name: string): Promise<AutoscalerObject>;
  /** PATCH /status with a JSON merge patch (`{ status: {...changed fields} }`); resolves to the stored object. */
  patchAutoscalerStatus(namespace: string, name: string, patch: Record<string, unknown>): Promise<AutoscalerObject>;
  /** Creates an Event; resolves to its (generated) name. */
  createEvent(ev: KubeEvent): Promise<{ name: string }>;
  /** Bumps an Event's count and lastTimestamp (a repeat, aggregated as client-go's recorder does). */
  patchEventSeries(namespace: string, name: string, count: number, lastTimestampMs: number): Promise<void>;
  readLease(namespace: string, name: string): Promise<LeaseRecord | null>;
  createLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord>;
  replaceLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord>;
  /** Every Lease in the namespace, with its name (shard members find each other by name). */
  listLeases(namespace: string): Promise<Array<LeaseRecord & { name: string }>>;
  deleteLease(namespace: string, name: string): Promise<void>;
}

export class KubeApiError extends Error {
  /** HTTP status; undefined for a transport failure or time-out. */
  readonly statusCode: number | undefined;
  readonly reason: string;
  constructor(message: string, statusCode: number | undefined, reason: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
  get conflict(): boolean {
    return this.statusCode === 409;
  }
  get gone(): boolean {
    return this.statusCode === 410;
  }
  get notFound(): boolean {
    return this.statusCode === 404;
  }
  /** Worth retrying after a back-off: 429, 5xx, time-outs and connection failures. */
  get transient(): boolean {
    return this.statusCode === undefined || this.statusCode === 429 || this.statusCode >= 500;
  }
}

/** Turns whatever client-node threw into a KubeApiError naming the operation. */
export function toKubeApiError(op: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const e = err as { code?: unknown; body?: unknown; statusCode?: unknown; message?: unknown; name?: unknown };
  const status = typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) {
    const body = parseBody(e.body);
    const reason = body?.reason ?? httpReason(status);
    const msg = body?.message ?? reason;
    return new KubeApiError(`${op}: HTTP ${status} ${reason}: ${msg}`, status, reason, { cause: err });
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const isTimeout = e?.name === 'TimeoutError' || code === 'ETIMEDOUT';
  const reason = isTimeout ? 'Timeout' : (code ?? 'TransportError');
  return new KubeApiError(`${op}: ${reason}: ${String(e?.message ?? err)}`, undefined, reason, { cause: err });
}

function parseBody(body: unknown): KubeStatus | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as KubeStatus;
    } catch {
      return undefined;
    }
  }
  return body && typeof body === 'object' ? (body as KubeStatus) : undefined;
}

function httpReason(status: number): string {
  const known: Record<number, string> = {
    404: 'NotFound',
    409: 'Conflict',
    410: 'Expired',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return known[status] ?? `HTTP${status}`;
}

/** Rejects with a time-out KubeApiError when `p` does not settle in `ms`, and calls `onTimeout` (which aborts the request). */
async function withTimeout<T>(op: string, ms: number, p: Promise<T>, onTimeout: () => void = () => undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new KubeApiError(`${op}: Timeout: no answer within ${ms} ms`, undefined, 'Timeout'));
      onTimeout();
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([p, timeout]);
  } catch (err) {
    throw toKubeApiError(op, err);
  } finally {
    clearTimeout(timer);
  }
}

export interface ClientNodeClusterOptions {
  /** Per-request time-out (not for watches); default 10 s. */
  timeoutMs?: number;
  /** The server ends each watch after this long (default 300 s; a silent one is aborted at twice that). */
  watchTimeoutSeconds?: number;
}

/** `ClusterClient` on `@kubernetes/client-node` 1.x. */
export class ClientNodeCluster implements ClusterClient {
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly watcher: Watch;
  private readonly timeoutMs: number;
  private readonly watchTimeoutSeconds: number;

  private readonly agents = new KeepAliveAgents();

  constructor(kc: KubeConfig, opts: ClientNodeClusterOptions = {}) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.watcher = new Watch(kc);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
  }

  /**
   * One request with the time-out: `fn` passes `options` to the client-node method, so a request
   * that times out is aborted (its socket closed), not left to finish behind our back.
   */
  private call<T>(op: string, fn: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    return withTimeout(op, this.timeoutMs, fn(requestOptions(controller.signal, this.agents)), () => controller.abort());
  }

  async listAutoscalers(namespace: string | undefined): Promise<ObjectList<AutoscalerObject>> {
    const list = (await this.call('list functionautoscalers', (o) =>
      namespace
        ? this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL }, o)
        : this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }, o),
    )) as { items?: AutoscalerObject[]; metadata?: { resourceVersion?: string } };
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  watchAutoscalers(namespace: string | undefined, resourceVersion: string, h: WatchHandlers<AutoscalerObject>): Promise<WatchHandle> {
    const path = namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
    return this.watch(path, resourceVersion, h);
  }

  async listDeployments(namespace: string): Promise<ObjectList<V1Deployment>> {
    const list = await this.call('list deployments', (o) => this.apps.listNamespacedDeployment({ namespace }, o));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  watchDeployments(namespace: string, resourceVersion: string, h: WatchHandlers<V1Deployment>): Promise<WatchHandle> {
    return this.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, resourceVersion, h);
  }

  /**
   * A watch that ends on its own: the API server closes it after `timeoutSeconds` (a clean end, the
   * informer resumes from its resourceVersion), and a stream silent for twice that long — no event,
   * no bookmark, as when a connection dies without a reset — is aborted as an error, after which
   * the informer backs off and lists again. (client-node 1.4 sets its own 30-s watch time-out and
   * then overwrites it, so a dead connection would otherwise be watched forever.)
   */
  private async watch<T>(path: string, resourceVersion: string, h: WatchHandlers<T>): Promise<WatchHandle> {
    let stopped = false;
    let idle: NodeJS.Timeout | undefined;
    const aborter: { abort?: () => void } = {};
    const finish = (err: KubeApiError | undefined): void => {
      clearTimeout(idle);
      if (stopped) return;
      stopped = true;
      h.onDone(err);
    };
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(
        () => {
          finish(new KubeApiError(`watch ${path}: no event or bookmark for ${2 * this.watchTimeoutSeconds} s`, undefined, 'Timeout'));
          aborter.abort?.();
        },
        2 * this.watchTimeoutSeconds * 1000,
      );
      idle.unref?.();
    };
    arm();
    const controller = await this.watcher.watch(
      path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: Math.max(1, Math.ceil(this.watchTimeoutSeconds)) },
      (type: string, object: unknown) => {
        if (stopped) return;
        arm();
        h.onEvent(type as WatchEventType, object as T);
      },
      (err: unknown) => finish(err ? toKubeApiError(`watch ${path}`, err) : undefined),
    );
    aborter.abort = () => controller.abort();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(idle);
        controller.abort();
      },
    };
  }

  async readScale(namespace: string, name: string): Promise<ScaleView> {
    return scaleView(
      await this.call(`read scale ${namespace}/${name}`, (o) => this.apps.readNamespacedDeploymentScale({ name, namespace }, o)),
    );
  }

  async replaceScale(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<ScaleView> {
    const body: V1Scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, resourceVersion },
      spec: { replicas },
    };
    return scaleView(
      await this.call(`replace scale ${namespace}/${name}`, (o) =>
        this.apps.replaceNamespacedDeploymentScale({ name, namespace, body }, o),
      ),
    );
  }

  async readAutoscaler(namespace: string, name: string): Promise<AutoscalerObject> {
    return (await this.call(`read functionautoscaler ${namespace}/${name}`, (o) =>
      this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }, o),
    )) as AutoscalerObject;
  }

  async patchAutoscalerStatus(namespace: string, name: string, patch: Record<string, unknown>): Promise<AutoscalerObject> {
    return (await this.call(`patch status ${namespace}/${name}`, (o) =>
      this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o),
      ),
    )) as AutoscalerObject;
  }

  async createEvent(ev: KubeEvent): Promise<{ name: string }> {
    const time = new Date(ev.time);
    const body: CoreV1Event = {
      metadata: { generateName: `${ev.involved.name}.`, namespace: ev.namespace },
      involvedObject: ev.involved,
      type: ev.type,
      reason: ev.reason,
      message: ev.message,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      source: { component: ev.reportingController },
      reportingComponent: ev.reportingController,
      reportingInstance: ev.reportingInstance,
    };
    const created = await this.call(`create event ${ev.reason}`, (o) =>
      this.core.createNamespacedEvent({ namespace: ev.namespace, body }, o),
    );
    return { name: created.metadata?.name ?? '' };
  }

  async patchEventSeries(namespace: string, name: string, count: number, lastTimestampMs: number): Promise<void> {
    const body = { count, lastTimestamp: new Date(lastTimestampMs).toISOString() };
    await this.call(`patch event ${namespace}/${name}`, (o) =>
      this.core.patchNamespacedEvent({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch, o)),
    );
  }

  async readLease(namespace: string, name: string): Promise<LeaseRecord | null> {
    try {
      return leaseRecord(
        await this.call(`read lease ${namespace}/${name}`, (o) => this.coordination.readNamespacedLease({ name, namespace }, o)),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return null;
      throw err;
    }
  }

  async createLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord> {
    return leaseRecord(
      await this.call(`create lease ${namespace}/${name}`, (o) =>
        this.coordination.createNamespacedLease({ namespace, body: leaseBody(namespace, name, rec) }, o),
      ),
    );
  }

  async replaceLease(namespace: string, name: string, rec: LeaseRecord): Promise<LeaseRecord> {
    return leaseRecord(
      await this.call(`replace lease ${namespace}/${name}`, (o) =>
        this.coordination.replaceNamespacedLease({ name, namespace, body: leaseBody(namespace, name, rec) }, o),
      ),
    );
  }
  async deleteLease(namespace: string, name: string): Promise<void> {
    await this.call(`delete lease ${namespace}/${name}`, (o) => this.coordination.deleteNamespacedLease({ name, namespace }, o));
  }

  async listLeases(namespace: string): Promise<Array<LeaseRecord & { name: string }>> {
    const list = await this.call(`list leases in ${namespace}`, (o) => this.coordination.listNamespacedLease({ namespace }, o));
    return list.items.map((l) => ({ ...leaseRecord(l), name: l.metadata?.name ?? '' }));
  }
}

function scaleView(s: V1Scale): ScaleView {
  return { replicas: s.spec?.replicas ?? 0, statusReplicas: s.status?.replicas ?? 0, resourceVersion: s.metadata?.resourceVersion ?? '' };
}

function leaseRecord(l: V1Lease): LeaseRecord {
  return {
    holderIdentity: l.spec?.holderIdentity ?? null,
    leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? 15,
    acquireTime: toDate(l.spec?.acquireTime),
    renewTime: toDate(l.spec?.renewTime),
    leaseTransitions: l.spec?.leaseTransitions ?? 0,
    resourceVersion: l.metadata?.resourceVersion,
  };
}

function toDate(v: unknown): Date | null {
  if (v === undefined || v === null) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * A `metav1.MicroTime` as the API server parses it: RFC 3339 with exactly six fractional digits
 * (`2006-01-02T15:04:05.000000Z07:00`). client-node would send `Date#toISOString()` (three digits),
 * which the server refuses with 400 (kubernetes-client/javascript#828); a string passes its
 * serializer unchanged.
 */
export function formatMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function microTime(date: Date | null): Date | undefined {
  // The generated type says Date; the wire needs the six-digit string (see formatMicroTime).
  return date === null ? undefined : (formatMicroTime(date) as unknown as Date);
}

function leaseBody(namespace: string, name: string, rec: LeaseRecord): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, resourceVersion: rec.resourceVersion },
    spec: {
      holderIdentity: rec.holderIdentity ?? undefined,
      leaseDurationSeconds: rec.leaseDurationSeconds,
      acquireTime: microTime(rec.acquireTime),
      renewTime: microTime(rec.renewTime),
      leaseTransitions: rec.leaseTransitions,
    },
  };
}

/** client-node request options whose middleware gives each request `signal`. */
/**
 * One keep-alive agent per protocol, in place of the agent client-node creates for every request
 * (KubeConfig.applySecurityAuthentication → createAgent: a new TCP connection, and over TLS a new
 * handshake, per API call). Built from the first agent's options: the kubeconfig's CA, client
 * certificate and server name, which do not change. Proxy agents are left as they are.
 */
class KeepAliveAgents {
  private http: HttpAgent | undefined;
  private https: HttpsAgent | undefined;

  reuse(agent: HttpAgent | HttpsAgent | undefined): HttpAgent | HttpsAgent | undefined {
    if (agent?.constructor === HttpsAgent) return (this.https ??= new HttpsAgent({ ...(agent as HttpsAgent).options, keepAlive: true }));
    if (agent?.constructor === HttpAgent)
      return (this.http ??= new HttpAgent({ ...(agent as HttpAgent & { options: object }).options, keepAlive: true }));
    return agent;
  }
}

/** client-node request options: a kept-alive connection, and `signal` to abort the request. */
function requestOptions(signal: AbortSignal, agents: KeepAliveAgents): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (request: RequestContext) => {
          request.setSignal(signal);
          const agent = agents.reuse(request.getAgent());
          if (agent) request.setAgent(agent);
          return new Observable(Promise.resolve(request));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
