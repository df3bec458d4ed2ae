/**
 * What the cluster's Deployment controller, kubelets and (with `ce`) OpenFaaS CE's faas-netes do
 * for function Deployments, done against a real kube-apiserver (`sandbox --kube-apiserver`):
 *
 *   - list + watch the functions namespace's Deployments (the operator's informer loop, informer.ts);
 *   - with `ce`, rewrite spec.replicas 0 → 1 and > 5 → 5 as faas-netes' Deployment informer does
 *     (`ceClampedReplicas`), before anything else;
 *   - hand spec.replicas to the readiness model (the function runtimes' cold starts) and write
 *     status (replicas, readyReplicas, the Available condition) through `/status`, whenever the
 *     spec or the ready count changes — the same `deploymentStatus` the emulated API server writes;
 *   - serve the Deployments to the gateway and kube-state-metrics from the watch cache, and scale
 *     them through `/scale`, as faas-netes does for `/system/scale-function`.
 *
 * A status write that loses a race (409) is dropped: the newer object arrives by the watch and is
 * synced in turn.
 */
import { isDeepStrictEqual } from 'node:util';
import { Agent, fetch as undiciFetch, type Response } from 'undici';
import { systemClock } from '../controller/clock.js';
import { Informer, type ListerWatcher } from '../controller/informer.js';
import {
  KubeApiError,
  type KubeObject as WireObject,
  type KubeStatus,
  type ObjectList,
  type WatchEventType,
  type WatchHandle,
  type WatchHandlers,
} from '../controller/kube.js';
import { deploymentStatus, type ReadinessModel } from './deployments.js';
import { ceClampedReplicas, type FunctionDeployments } from './function-deployments.js';
import type { KubeObject } from './kube-resources.js';

export interface KubeRestOptions {
  /** https://host:port */
  url: string;
  token: string;
  /** PEM of the server's CA. */
  ca: string | Buffer;
}

/** Just enough of the Kubernetes REST API for the sandbox's controllers: JSON in, JSON out. */
export class KubeRest {
  private readonly dispatcher: Agent;

  constructor(private readonly opts: KubeRestOptions) {
    this.dispatcher = new Agent({ connect: { ca: opts.ca } });
  }

  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    let res: Response;
    try {
      res = await undiciFetch(`${this.opts.url}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new KubeApiError(`${method} ${path}: ${(err as Error).message}`, undefined, 'TransportError', { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      const status = safeJson(text) as KubeStatus | undefined;
      throw new KubeApiError(
        `${method} ${path}: HTTP ${res.status} ${status?.reason ?? ''}: ${status?.message ?? text}`,
        res.status,
        status?.reason ?? `HTTP${res.status}`,
      );
    }
    return JSON.parse(text) as T;
  }

  /** A watch as JSON lines; `onDone` once, when the stream ends or fails. */
  async watch<T>(path: string, resourceVersion: string, h: WatchHandlers<T>): Promise<WatchHandle> {
    const abort = new AbortController();
    const sep = path.includes('?') ? '&' : '?';
    const res = await undiciFetch(
      `${this.opts.url}${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`,
      {
        dispatcher: this.dispatcher,
        headers: { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' },
        signal: abort.signal,
      },
    ).catch((err: Error) => {
      throw new KubeApiError(`watch ${path}: ${err.message}`, undefined, 'TransportError', { cause: err });
    });
    if (!res.ok || !res.body) {
      const status = safeJson(await res.text()) as KubeStatus | undefined;
      throw new KubeApiError(
        `watch ${path}: HTTP ${res.status}: ${status?.message ?? ''}`,
        res.status,
        status?.reason ?? `HTTP${res.status}`,
      );
    }
    let done = false;
    const finish = (err?: KubeApiError): void => {
      if (done) return;
      done = true;
      h.onDone(err);
    };
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          buffered += decoder.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: WatchEventType; object: T | KubeStatus };
            if (!done) h.onEvent(event.type, event.object);
          }
        }
        finish();
      } catch (err) {
        finish(
          abort.signal.aborted
            ? undefined
            : new KubeApiError(`watch ${path}: ${(err as Error).message}`, undefined, 'TransportError', { cause: err }),
        );
      }
    })();
    return {
      stop: () => {
        done = true;
        abort.abort();
      },
    };
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ApiDeploymentControllerOptions {
  rest: KubeRest;
  namespace: string;
  readiness: ReadinessModel;
  /** OpenFaaS CE: clamp function Deployments to 1..5 as faas-netes does. */
  ce: boolean;
  now?: () => number;
  /** Told about failed writes (the sandbox logs them). */
  onError?(err: Error): void;
}

export class ApiDeploymentController implements FunctionDeployments {
  readonly namespace: string;
  /** Objects as they come off the wire (timestamps are strings, as KubeObject says). */
  private readonly informer: Informer<WireObject>;
  private readonly base: string;
  private readonly now: () => number;

  constructor(private readonly opts: ApiDeploymentControllerOptions) {
    this.namespace = opts.namespace;
    this.now = opts.now ?? Date.now;
    this.base = `/apis/apps/v1/namespaces/${encodeURIComponent(opts.namespace)}/deployments`;
    const lw: ListerWatcher<WireObject> = {
      list: async () => {
        const list = await opts.rest.request<{ items: WireObject[]; metadata: { resourceVersion: string } }>('GET', this.base);
        return { items: list.items, resourceVersion: list.metadata.resourceVersion } satisfies ObjectList<WireObject>;
      },
      watch: (rv, h) => opts.rest.watch(this.base, rv, h),
    };
    this.informer = new Informer('deployments', lw, systemClock, {
      onUpsert: (d) => void this.sync(asKubeObject(d)),
      onDelete: (d) => opts.readiness.setDesired(key(asKubeObject(d)), 0),
      onError: (err) => opts.onError?.(err),
      backoff: { initialMs: 200, maxMs: 2000 },
    });
    opts.readiness.onChange((k) => {
      const d = this.informer.get(k);
      if (d) void this.sync(asKubeObject(d));
    });
  }

  /** Starts the list + watch and resolves once the cache holds the first list. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.informer.start();
    const deadline = Date.now() + timeoutMs;
    while (!this.informer.hasSynced()) {
      if (Date.now() > deadline) throw new Error(`the Deployments of ${this.namespace} were not listed within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): void {
    this.informer.stop();
    this.opts.readiness.dispose();
  }

  list(): KubeObject[] {
    return this.informer.list().map(asKubeObject);
  }

  get(name: string): KubeObject | undefined {
    const d = this.informer.get(`${this.namespace}/${name}`);
    return d && asKubeObject(d);
  }

  async scale(name: string, replicas: number): Promise<void> {
    await this.opts.rest.request(
      'PATCH',
      `${this.base}/${encodeURIComponent(name)}/scale`,
      { spec: { replicas } },
      'application/merge-patch+json',
    );
  }

  private async sync(d: KubeObject): Promise<void> {
    const name = d.metadata.name!;
    try {
      const clamped = this.opts.ce ? ceClampedReplicas(d) : undefined;
      if (clamped !== undefined) {
        // faas-netes updates the Deployment; its watch event brings the clamped spec back here.
        await this.opts.rest.request(
          'PATCH',
          `${this.base}/${encodeURIComponent(name)}`,
          { spec: { replicas: clamped } },
          'application/merge-patch+json',
        );
        return;
      }
      const desired = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      this.opts.readiness.setDesired(key(d), desired);
      const status = deploymentStatus(d, desired, Math.min(this.opts.readiness.ready(key(d)), desired), this.now());
      if (isDeepStrictEqual(status, d.status)) return;
      await this.opts.rest.request('PUT', `${this.base}/${encodeURIComponent(name)}/status`, { ...d, status });
    } catch (err) {
      if (err instanceof KubeApiError && (err.conflict || err.notFound)) return;
      this.opts.onError?.(err as Error);
    }
  }
}

/** Decoded JSON: every timestamp is still a string, as the sandbox's KubeObject has it. */
function asKubeObject(d: WireObject): KubeObject {
  return d as unknown as KubeObject;
}

function key(d: KubeObject): string {
  return `${d.metadata.namespace}/${d.metadata.name}`;
}
