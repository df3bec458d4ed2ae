/**
 * An emulated Kubernetes API server on 127.0.0.1 for tests, demos and the sandbox: the subset of
 * kube-apiserver the operator and `kubectl` use, with real semantics (see README.md in this
 * directory for the subset and every known deviation).
 *
 *   const kube = new KubeApiServer({ readyDelayMs: 2000 });
 *   const url = await kube.start();                      // http://127.0.0.1:<port>
 *   await writeKubeconfig(path, { server: url });         // for client-node and kubectl
 *   kube.faults.failNext(1, { verb: 'update', subresource: 'scale' }, { code: 409 });
 *   kube.getAuditLog();                                   // every call, in RBAC terms
 *
 * HTTP is mapped onto the Registry (kube-registry.ts), which holds the semantics; watches stream
 * JSON lines; Tables are served for `kubectl get`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { functionAutoscalerCrd, type CustomResourceDefinition } from '../api/crd.js';
import { systemClock, type Cancel, type Clock } from '#kernel/clock.js';
import { DelayedReadiness, DeploymentController, type ReadinessModel } from './deployments.js';
import { ApiError, badRequest, errorForCode, internalError, methodNotAllowed, unauthorized } from './kube-errors.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './kube-discovery.js';
import { groupVersionPath, openApiDocument, openApiIndex } from './kube-openapi.js';
import { FaultInjector, matches, type FaultMatch, type RequestInfo } from './kube-faults.js';
import { Registry, type ListOptions, type WriteOptions } from './kube-registry.js';
import { apiVersionOf, namespaces, type KubeObject, type ResourceType } from './kube-resources.js';
import { ObjectStore } from './kube-store.js';
import { toTable, type IncludeObject } from './kube-table.js';

export interface KubeApiServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  clock?: Clock;
  /** CRDs served from the start (default: the FunctionAutoscaler CRD). More can be created through the API. */
  crds?: readonly CustomResourceDefinition[];
  /** Namespaces that exist from the start. */
  namespaces?: readonly string[];
  /** When Deployment pods become ready (default: `readyDelayMs` after they are created). */
  readiness?: ReadinessModel;
  /** Delay before a new pod is ready, when no `readiness` model is given. Default 0. */
  readyDelayMs?: number;
  /**
   * Another controller's rewrite of Deployment replicas, applied before status is kept: OpenFaaS
   * CE's faas-netes clamp (`ceClampedReplicas`) with `sandbox --ce`.
   */
  clampReplicas?: (deployment: KubeObject) => number | undefined;
  /** Change events kept per resource for watches to resume from (older → 410). Default 1000. */
  watchWindow?: number;
  /** First resourceVersion. Default 1000. */
  startResourceVersion?: number;
  /** Bearer token → user name. When set, any other token (or none) is 401 Unauthorized. */
  tokens?: Readonly<Record<string, string>>;
  /** Interval of BOOKMARK events on watches that allow them. Default 60 s (on `clock`). */
  bookmarkIntervalMs?: number;
}

export interface AuditEntry extends RequestInfo {
  /** RFC 3339 with ms, from the server's clock. */
  time: string;
  user: string;
  /** HTTP status code of the response (200 for a watch that started). */
  code: number;
}

interface OpenWatch {
  info: RequestInfo;
  res: ServerResponse;
  close(how: 'close' | 'reset'): void;
  bookmark(): void;
}

export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'openfaas', 'openfaas-fn'] as const;

const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export class KubeApiServer {
  readonly clock: Clock;
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly faults = new FaultInjector();
  readonly readiness: ReadinessModel;
  private readonly deployments: DeploymentController;
  private readonly crds: readonly CustomResourceDefinition[];
  private readonly namespaceNames: readonly string[];
  private server?: Server;
  private connections = 0;

  /** TCP connections accepted since start: whether clients reuse them. */
  connectionsAccepted(): number {
    return this.connections;
  }
  private baseUrl = '';
  private readonly watches = new Set<OpenWatch>();
  private audit: AuditEntry[] = [];

  constructor(private readonly opts: KubeApiServerOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.store = new ObjectStore({ historySize: opts.watchWindow ?? 1000, startResourceVersion: opts.startResourceVersion ?? 1000 });
    this.registry = new Registry(this.store, this.clock);
    this.readiness = opts.readiness ?? new DelayedReadiness({ clock: this.clock, readyDelayMs: opts.readyDelayMs ?? 0 });
    this.deployments = new DeploymentController(this.registry, this.readiness, this.clock, opts.clampReplicas);
    this.deployments.start();
    this.crds = opts.crds ?? [functionAutoscalerCrd()];
    this.namespaceNames = opts.namespaces ?? DEFAULT_NAMESPACES;
    this.seed();
  }

  private seed(): void {
    for (const name of this.namespaceNames) this.registry.create(namespaces, undefined, { metadata: { name } });
    for (const crd of this.crds) this.registry.installCrd(crd);
  }

  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:40123`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', () => this.connections++);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://${addr.address}:${addr.port}`;
    return this.baseUrl;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('KubeApiServer is not started');
    return this.baseUrl;
  }

  /** Ends every watch and connection and stops listening. */
  async stop(): Promise<void> {
    for (const w of [...this.watches]) w.close('reset');
    this.deployments.stop();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every request so far, in RBAC terms (verb, group, resource, subresource, namespace, name). */
  getAuditLog(): readonly AuditEntry[] {
    return this.audit;
  }

  clearAuditLog(): void {
    this.audit = [];
  }

  openWatchCount(): number {
    return this.watches.size;
  }

  /**
   * Ends open watches (all, or those matching): `close` ends the stream cleanly (clients resume
   * from their last resourceVersion), `reset` destroys the connection. Returns how many.
   */
  breakWatches(match: FaultMatch = {}, how: 'close' | 'reset' = 'close'): number {
    const hit = [...this.watches].filter((w) => matches(match, w.info));
    for (const w of hit) w.close(how);
    return hit.length;
  }

  /**
   * A restart of the API server: connections and watches drop, and the watch cache starts over,
   * so watches resuming from an earlier resourceVersion get 410. With `keepState: false` the
   * objects are gone too (etcd wiped; namespaces and CRDs of the options are re-created).
   */
  restart(opts: { keepState: boolean }): void {
    for (const w of [...this.watches]) w.close('reset');
    this.server?.closeAllConnections();
    if (opts.keepState) {
      this.store.compact();
    } else {
      this.store.clear();
      this.seed();
    }
  }

  /** Forgets the watch history: any watch from a resourceVersion before now gets 410 Expired. */
  compact(): void {
    this.store.compact();
  }

  /** Sends a BOOKMARK now on every watch that allows them. */
  sendBookmarks(): void {
    for (const w of this.watches) w.bookmark();
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info = this.requestInfo(req.method ?? 'GET', url);
    const entry: AuditEntry = { ...info, time: new Date(this.clock.now()).toISOString(), user: 'system:anonymous', code: 0 };
    this.audit.push(entry);
    res.on('finish', () => (entry.code ||= res.statusCode));
    try {
      entry.user = this.authenticate(req);
      const delayMs = this.faults.takeDelay(info);
      if (delayMs > 0) await this.clock.sleep(delayMs);
      const failure = this.faults.takeFailure(info);
      if (failure) {
        const type = info.resource ? this.registry.find(info.apiGroup ?? '', info.apiVersion ?? '', info.resource) : undefined;
        throw errorForCode(failure.code, type, info.name ?? '', failure.message);
      }
      if (info.resourceRequest) await this.serveResource({ req, res }, url, info, entry);
      else this.serveNonResource(req, res, url);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
      if (!res.headersSent) {
        const headers: Record<string, string> = apiErr.details?.retryAfterSeconds
          ? { 'Retry-After': String(apiErr.details.retryAfterSeconds) }
          : {};
        this.send(res, apiErr.code, apiErr.toStatus(), headers);
      } else {
        res.destroy();
      }
    }
  }

  private authenticate(req: IncomingMessage): string {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (this.opts.tokens) {
      const user = this.opts.tokens[token];
      if (!user) throw unauthorized();
      return user;
    }
    return token ? 'sandbox-user' : 'system:anonymous';
  }

  private requestInfo(method: string, url: URL): RequestInfo {
    const segments = url.pathname.split('/').filter(Boolean);
    const base = { method, path: url.pathname };
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) {
      [group, version, rest] = ['', segments[1], segments.slice(2)];
    } else if (segments[0] === 'apis' && segments.length >= 4) {
      [group, version, rest] = [segments[1], segments[2], segments.slice(3)];
    } else {
      return { ...base, verb: method.toLowerCase(), resourceRequest: false };
    }
    let namespace: string | undefined;
    let parts = rest;
    // `namespaces/<ns>/<resource>/...`, unless it is the namespaces resource itself (`namespaces/<name>/status`).
    if (rest[0] === 'namespaces' && rest.length >= 3 && this.registry.find(group, version, rest[2])) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    const [resource, name, subresource] = parts;
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const verb =
      method === 'GET'
        ? watch
          ? 'watch'
          : name
            ? 'get'
            : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PUT'
            ? 'update'
            : method === 'PATCH'
              ? 'patch'
              : method === 'DELETE'
                ? name
                  ? 'delete'
                  : 'deletecollection'
                : method.toLowerCase();
    return { ...base, verb, resourceRequest: true, apiGroup: group, apiVersion: version, resource, name, subresource, namespace };
  }

  /** JSON by default; `headers` may set another Content-Type (a Table). */
  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-cache, private',
      ...headers,
    });
    res.end(text);
  }

  private serveNonResource(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET') throw methodNotAllowed();
    const types = this.registry.resourceTypes();
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const segments = p.split('/').filter(Boolean);
    let body: unknown;
    if (p === '/version') body = SERVER_VERSION;
    else if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    } else if (p === '/api') body = apiVersions(new URL(this.baseUrl || 'http://127.0.0.1').host);
    else if (p === '/apis') body = apiGroupList(types);
    else if (segments[0] === 'api' && segments.length === 2) body = apiResourceList(types, '', segments[1]);
    else if (segments[0] === 'apis' && segments.length === 2) body = apiGroupDoc(types, segments[1]);
    else if (segments[0] === 'apis' && segments.length === 3) body = apiResourceList(types, segments[1], segments[2]);
    else if (p === '/openapi/v3') body = openApiIndex(types, (g, v) => openApiDocument(types, g, v));
    else if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const gv = types.find((t) => `/openapi/v3/${groupVersionPath(t)}` === p);
      if (gv) body = openApiDocument(types, gv.group, gv.version);
    }
    if (body === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    this.send(res, 200, body);
  }

  private async serveResource(
    http: { req: IncomingMessage; res: ServerResponse },
    url: URL,
    info: RequestInfo,
    entry: AuditEntry,
  ): Promise<void> {
    const { req, res } = http;
    const notFound = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const type = this.registry.find(info.apiGroup!, info.apiVersion!, info.resource!);
    if (!type) throw notFound();
    if (type.namespaced === false && info.namespace !== undefined) throw notFound();
    if (type.namespaced && info.namespace === undefined && info.name !== undefined) throw notFound();
    const q = url.searchParams;
    const sub = info.subresource;
    if (sub !== undefined && sub !== 'status' && !(sub === 'scale' && type.scale)) throw notFound();
    const warnings: string[] = [];
    const write: WriteOptions = {
      dryRun: q.getAll('dryRun').includes('All'),
      fieldValidation: (q.get('fieldValidation') as WriteOptions['fieldValidation']) ?? 'Warn',
      warnings,
    };
    const ns = info.namespace;
    const name = info.name;
    const table = wantsTable(req.headers.accept);
    const respond = (code: number, obj: KubeObject): void => {
      const headers: Record<string, string> = warnings.length
        ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') }
        : {};
      if (table && req.method === 'GET' && obj.kind !== 'Scale') {
        this.send(res, code, toTable(type.table, [obj], { now: this.clock.now(), includeObject: includeObject(q) }), {
          ...headers,
          'Content-Type': TABLE_CONTENT_TYPE,
        });
      } else {
        this.send(res, code, obj, headers);
      }
    };
    const listOpts: ListOptions = {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    };

    switch (info.verb) {
      case 'watch':
        return this.serveWatch({ req, res }, type, { info, listOpts, q }, entry);
      case 'list': {
        const { items, resourceVersion } = this.registry.list(type, ns, listOpts);
        if (table) {
          this.send(res, 200, toTable(type.table, items, { now: this.clock.now(), resourceVersion, includeObject: includeObject(q) }), {
            'Content-Type': TABLE_CONTENT_TYPE,
          });
        } else {
          this.send(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion }, items });
        }
        return;
      }
      case 'get':
        return respond(200, sub === 'scale' ? this.registry.getScale(type, ns, name!) : this.registry.get(type, ns, name!));
      case 'create':
        return respond(201, this.registry.create(type, ns, await readBody(req), write));
      case 'update': {
        const body = await readBody(req);
        if (sub === 'scale') return respond(200, this.registry.updateScale({ type, namespace: ns, name: name! }, body, write));
        return respond(
          200,
          this.registry.update({ type, namespace: ns, name: name! }, body, write, sub === 'status' ? 'status' : undefined),
        );
      }
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const body = await readBody(req);
        if (sub === 'scale')
          return respond(200, this.registry.patchScale({ type, namespace: ns, name: name! }, { contentType, patch: body }, write));
        return respond(
          200,
          this.registry.patch(
            { type, namespace: ns, name: name! },
            { contentType, patch: body },
            write,
            sub === 'status' ? 'status' : undefined,
          ),
        );
      }
      case 'delete': {
        if (sub !== undefined) throw methodNotAllowed();
        const options = ((await readBody(req)) ?? {}) as { preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: string[] };
        if (options.dryRun?.includes('All')) write.dryRun = true;
        const deleted = this.registry.delete({ type, namespace: ns, name: name! }, options, write);
        const stillThere = deleted.metadata.deletionTimestamp !== undefined && !!deleted.metadata.finalizers?.length;
        if (type.returnDeletedObject || stillThere) return respond(200, deleted);
        this.send(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, group: type.group, kind: type.plural, uid: deleted.metadata.uid },
        });
        return;
      }
      default:
        throw methodNotAllowed();
    }
  }

  private serveWatch(
    http: { req: IncomingMessage; res: ServerResponse },
    type: ResourceType,
    request: { info: RequestInfo; listOpts: ListOptions; q: URLSearchParams },
    entry: AuditEntry,
  ): void {
    const { req, res } = http;
    const { info, listOpts, q } = request;
    const opts = { ...listOpts };
    if (info.name) opts.fieldSelector = [`metadata.name=${info.name}`, opts.fieldSelector].filter(Boolean).join(',');
    const table = wantsTable(req.headers.accept);
    const encode = (eventType: string, object: unknown): string => {
      const obj =
        table && eventType !== 'ERROR' && eventType !== 'BOOKMARK'
          ? toTable(type.table, [object as KubeObject], { now: this.clock.now(), includeObject: includeObject(q) })
          : object;
      return JSON.stringify({ type: eventType, object: obj }) + '\n';
    };
    // Events produced while the watch starts are buffered until the response head is out.
    let buffer: string[] | undefined = [];
    const emit = (line: string): void => {
      if (buffer) buffer.push(line);
      else if (!res.writableEnded && !res.destroyed) res.write(line);
    };
    const startHead = (): void => {
      entry.code = 200;
      res.writeHead(200, {
        'Content-Type': table ? TABLE_CONTENT_TYPE : 'application/json',
        'Cache-Control': 'no-cache, private',
        'Transfer-Encoding': 'chunked',
      });
      res.flushHeaders();
    };
    let stopWatch: () => void;
    try {
      stopWatch = this.registry.watch(type, info.namespace, opts, (t, obj) => emit(encode(t, obj)));
    } catch (err) {
      // A resourceVersion too old for the window is not an HTTP error: the stream carries one ERROR event and ends.
      if (err instanceof ApiError && err.code === 410) {
        startHead();
        res.end(encode('ERROR', err.toStatus()));
        return;
      }
      throw err;
    }
    startHead();
    for (const line of buffer) res.write(line);
    buffer = undefined;

    let timeoutTimer: Cancel | undefined;
    let bookmarkTimer: Cancel | undefined;
    const watch: OpenWatch = {
      info,
      res,
      close: (how) => {
        cleanup();
        if (how === 'reset') res.destroy();
        else res.end();
      },
      bookmark: () => {
        if (q.get('allowWatchBookmarks') !== 'true' || table) return;
        emit(
          encode('BOOKMARK', {
            kind: type.kind,
            apiVersion: apiVersionOf(type),
            metadata: { resourceVersion: String(this.store.resourceVersion()) },
          }),
        );
      },
    };
    const cleanup = (): void => {
      stopWatch();
      timeoutTimer?.();
      bookmarkTimer?.();
      this.watches.delete(watch);
    };
    this.watches.add(watch);
    // res 'close' fires when the client goes away (req 'close' fires as soon as the request is read).
    res.on('close', cleanup);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) timeoutTimer = this.clock.setTimeout(() => watch.close('close'), timeoutSeconds * 1000);
    if (q.get('allowWatchBookmarks') === 'true') {
      const every = this.opts.bookmarkIntervalMs ?? 60_000;
      const arm = (): void => {
        bookmarkTimer = this.clock.setTimeout(() => {
          watch.bookmark();
          if (this.watches.has(watch)) arm();
        }, every);
      };
      arm();
    }
  }
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  // Typed clients (kubectl's `create deployment`, client-go) may send protobuf or CBOR; only JSON and YAML are served.
  if (type.includes('protobuf') || type.includes('cbor')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the sandbox API server does not decode ${type})`,
    );
  }
  try {
    return type.endsWith('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}
