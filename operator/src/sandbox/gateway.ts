/**
 * The sandbox's OpenFaaS gateway (with faas-netes behind it): the routes, metric names, labels and
 * CE limits of the real one (REFERENCE.md, DESIGN.md §3), served from the function runtimes and the
 * emulated API server's Deployments.
 *
 *   /function/<name>[.<ns>][/...]      any method; answered by the function's runtime in real time
 *   GET  /system/functions?namespace=   function list from the Deployments (basic auth)
 *   GET  /system/function/<name>        one function (basic auth)
 *   POST /system/scale-function/<name>  {"serviceName","replicas","namespace"} → 202 (basic auth)
 *   GET  /system/info                   provider info (basic auth)
 *   GET  /healthz                       200
 *
 * and on its own port, as the real gateway's runMetricsServer (8082) keeps them off the proxy:
 *
 *   GET  /metrics                       gateway_* metrics in the Prometheus text format
 *   GET  /healthz                       200
 *
 * Accounting follows the real gateway (gateway/handlers/forwarding_proxy.go, notifiers.go,
 * scaling/function_scaler.go): a request for a function with no available replica first waits in
 * the scale-from-zero handler (scaling a Deployment at 0 to its minimum); only then is
 * `gateway_function_invocation_started` counted and the upstream call timed, so the wait is in
 * neither the histogram nor the invocation counter, and a request that gives up waiting (500) is
 * not counted at all. An upstream time-out is answered and counted as 502.
 *
 * Replicas live in the Deployment (spec.replicas), as with faas-netes: a scale request writes the
 * Deployment's /scale subresource, so watchers of the Deployment (the operator) see it, and the
 * Deployment controller hands the new count to the runtime. `gateway_service_count` is the
 * Deployment's spec.replicas, as the gateway's exporter reads it from the provider.
 *
 * OpenFaaS CE mode (`ce: true`): a scale request for 0 is refused with CE's message, others are
 * clamped to 1..5, and at most 15 functions may exist (checked by the sandbox at start-up).
 * Otherwise the gateway behaves like Pro's: 0 is allowed and `gateway_function_invocation_inflight`
 * is exported (requests queued or in service, sampled at scrape time).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry } from 'prom-client';
import { GATEWAY_LATENCY_BUCKETS_SECONDS } from '../metrics/observation.js';
import { CE_MAX_REPLICAS, CE_MIN_REPLICAS, type FunctionDeployments } from './function-deployments.js';
import type { KubeObject } from './kube-resources.js';
import type { FunctionRuntime } from './function-runtime.js';
import { baseUrl, closeServer, listen } from './http-server.js';

export { CE_MAX_REPLICAS, CE_MIN_REPLICAS };
/** OpenFaaS CE's limits (faas-netes, gateway/scaling/ranges.go). */
export const CE_MAX_FUNCTIONS = 15;
export const CE_ZERO_MESSAGE = 'replicas cannot be set to 0 in OpenFaaS CE';

export interface GatewayOptions {
  /** The function Deployments (emulated or real API server); their namespace is the gateway's. */
  deployments: FunctionDeployments;
  /** Runtimes by function name (all in the Deployments' namespace). */
  runtimes: ReadonlyMap<string, FunctionRuntime>;
  auth: { username: string; password: string };
  ce: boolean;
  host?: string;
  port?: number;
  /** Port of the metrics server (the real gateway's 8082); 0 or absent: a free one. */
  metricsPort?: number;
}

/** The gateway's metrics, named and labelled as in gateway/metrics/metrics.go. */
export class GatewayMetrics {
  readonly registry = new MetricsRegistry();
  readonly invocationTotal: Counter<'function_name' | 'code'>;
  readonly invocationStarted: Counter<'function_name'>;
  readonly functionsSeconds: Histogram<'function_name' | 'code'>;
  readonly serviceCount: Gauge<'function_name'>;
  /** Pro only (CE has no inflight metric): requests inside the gateway, queued or in service. */
  readonly inflight?: Gauge<'function_name'>;

  constructor(
    replicas: () => ReadonlyArray<{ functionName: string; replicas: number }>,
    inflight?: () => ReadonlyArray<{ functionName: string; inflight: number }>,
  ) {
    const registers = [this.registry];
    this.functionsSeconds = new Histogram({
      name: 'gateway_functions_seconds',
      help: 'Function time taken',
      labelNames: ['function_name', 'code'],
      buckets: [...GATEWAY_LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.invocationTotal = new Counter({
      name: 'gateway_function_invocation_total',
      help: 'Function metrics',
      labelNames: ['function_name', 'code'],
      registers,
    });
    this.invocationStarted = new Counter({
      name: 'gateway_function_invocation_started',
      help: 'The total number of function HTTP requests started.',
      labelNames: ['function_name'],
      registers,
    });
    this.serviceCount = new Gauge({
      name: 'gateway_service_count',
      help: 'Current count of replicas for function',
      labelNames: ['function_name'],
      registers,
      collect() {
        this.reset();
        for (const r of replicas()) this.set({ function_name: r.functionName }, r.replicas);
      },
    });
    if (inflight) {
      this.inflight = new Gauge({
        name: 'gateway_function_invocation_inflight',
        help: 'The number of function HTTP requests in flight.',
        labelNames: ['function_name'],
        registers,
        collect() {
          this.reset();
          for (const r of inflight()) this.set({ function_name: r.functionName }, r.inflight);
        },
      });
    }
  }
}

/** faas-provider's FunctionStatus, the fields the CLI and UI read. */
export interface FunctionStatus {
  name: string;
  image: string;
  namespace: string;
  envProcess: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  replicas: number;
  availableReplicas: number;
  invocationCount: number;
  createdAt: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Gateway {
  readonly metrics: GatewayMetrics;
  private readonly server: Server;
  private readonly metricsServer: Server;
  private readonly invocations = new Map<string, number>();
  private readonly expectedAuth: Buffer;

  private readonly namespace: string;

  constructor(private readonly opts: GatewayOptions) {
    this.namespace = opts.deployments.namespace;
    const key = (name: string): string => `${name}.${this.namespace}`;
    this.metrics = new GatewayMetrics(
      () => this.functionDeployments().map((d) => ({ functionName: key(d.metadata.name!), replicas: specReplicas(d) })),
      opts.ce
        ? undefined
        : () => [...opts.runtimes.values()].map((r) => ({ functionName: key(r.name), inflight: r.queueLength + r.inService })),
    );
    this.expectedAuth = Buffer.from(`Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    // Invocations may wait as long as the upstream time-out; keep-alive clients reuse sockets.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 65_000;
    this.metricsServer = createServer((req, res) => {
      req.resume();
      const path = new URL(req.url ?? '/', 'http://gateway').pathname;
      if (path === '/metrics' && req.method === 'GET') {
        void this.metrics.registry.metrics().then((text) => send(res, 200, text, this.metrics.registry.contentType));
      } else if (path === '/healthz') {
        send(res, 200, 'OK');
      } else {
        send(res, 404, '404 page not found');
      }
    });
  }

  /** Listens on both ports (0: any free port) and returns the proxy's base URL; `metricsUrl` has the other. */
  async listen(): Promise<string> {
    const url = await listen(this.server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0);
    await listen(this.metricsServer, this.opts.host ?? '127.0.0.1', this.opts.metricsPort ?? 0);
    return url;
  }

  get url(): string {
    return baseUrl(this.server);
  }

  /** Base URL of the metrics server: `${metricsUrl}/metrics`. */
  get metricsUrl(): string {
    return baseUrl(this.metricsServer);
  }

  /** Stops listening and drops every connection, in-flight invocations included. */
  async close(): Promise<void> {
    await closeServer(this.metricsServer);
    await closeServer(this.server);
  }

  // ---- routing --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const invoke = /^\/function\/([^/]+)(\/.*)?$/.exec(path);
    if (invoke) return this.invoke(req, res, decodeURIComponent(invoke[1]));
    if (path === '/healthz') return send(res, 200, 'OK');
    if (path.startsWith('/system/')) {
      if (!this.authorized(req)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Restricted"');
        return send(res, 401, 'invalid credentials');
      }
      const body = await readBody(req);
      if (path === '/system/functions' && req.method === 'GET') return this.listFunctions(res, url);
      const one = /^\/system\/function\/([^/]+)$/.exec(path);
      if (one && req.method === 'GET') return this.getFunction(res, url, decodeURIComponent(one[1]));
      const scale = /^\/system\/scale-function\/([^/]+)$/.exec(path);
      if (scale && req.method === 'POST') return this.scaleFunction(res, url, decodeURIComponent(scale[1]), body);
      if (path === '/system/info' && req.method === 'GET') return this.info(res);
    }
    await readBody(req);
    send(res, 404, '404 page not found');
  }

  private authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === this.expectedAuth.length && timingSafeEqual(given, this.expectedAuth);
  }

  // ---- /function/<name> -----------------------------------------------------------------------

  private async invoke(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    await readBody(req);
    const dot = target.lastIndexOf('.');
    const name = dot > 0 ? target.slice(0, dot) : target;
    const namespace = dot > 0 ? target.slice(dot + 1) : this.namespace;
    const runtime = namespace === this.namespace ? this.opts.runtimes.get(name) : undefined;
    const deployment = runtime && this.deployment(name);
    if (!runtime || !deployment) return send(res, 404, `error finding function ${name}.${namespace}: not found`);
    const functionName = `${name}.${namespace}`;
    if (runtime.readyReplicas === 0) {
      // The scaling handler: scale a Deployment at 0 to its minimum, wait for an available replica.
      if (specReplicas(deployment) === 0) void this.scaleFromZero(deployment);
      if (!(await runtime.whenReady())) {
        return send(res, 500, `unable to scale function ${functionName} from zero: no replica became available\n`);
      }
    }
    this.metrics.invocationStarted.inc({ function_name: functionName });
    const result = await runtime.invoke();
    const code = String(result.status);
    this.metrics.functionsSeconds.observe({ function_name: functionName, code }, result.durationSeconds);
    this.metrics.invocationTotal.inc({ function_name: functionName, code });
    this.invocations.set(name, (this.invocations.get(name) ?? 0) + 1);
    res.setHeader('X-Duration-Seconds', result.durationSeconds.toFixed(6));
    if (result.status === 200) send(res, 200, `${name} served by ${result.pod}\n`);
    else send(res, result.status, `${name}: upstream timed out after ${result.durationSeconds.toFixed(3)}s\n`);
  }

  /** The gateway's scale-from-zero: a Deployment at 0 goes to its minimum (label com.openfaas.scale.min, default 1). */
  private async scaleFromZero(deployment: KubeObject): Promise<void> {
    const min = Number(deployment.metadata.labels?.['com.openfaas.scale.min'] ?? 1);
    try {
      await this.opts.deployments.scale(deployment.metadata.name!, Number.isInteger(min) && min > 0 ? min : 1);
    } catch (err) {
      // The request waits in the queue either way; the next invocation tries again, as the gateway does.
      process.emitWarning(`gateway: scale from zero of ${deployment.metadata.name}: ${(err as Error).message}`);
    }
  }

  // ---- /system --------------------------------------------------------------------------------

  private listFunctions(res: ServerResponse, url: URL): void {
    this.checkNamespace(url.searchParams.get('namespace'));
    sendJson(
      res,
      200,
      this.functionDeployments().map((d) => this.status(d)),
    );
  }

  private getFunction(res: ServerResponse, url: URL, name: string): void {
    this.checkNamespace(url.searchParams.get('namespace'));
    const d = this.deployment(name);
    if (!d) throw new HttpError(404, `function ${name} not found in ${this.namespace}`);
    sendJson(res, 200, this.status(d));
  }

  private async scaleFunction(res: ServerResponse, url: URL, name: string, body: string): Promise<void> {
    let request: { serviceName?: unknown; replicas?: unknown; namespace?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      throw new HttpError(400, 'cannot parse request body: expected {"serviceName":"...","replicas":N,"namespace":"..."}');
    }
    const namespace =
      url.searchParams.get('namespace') || (typeof request.namespace === 'string' ? request.namespace : '') || this.namespace;
    this.checkNamespace(namespace);
    const replicas = request.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new HttpError(400, `replicas: must be an integer >= 0, got ${JSON.stringify(replicas)}`);
    }
    let wanted = replicas;
    if (this.opts.ce) {
      if (replicas === 0) throw new HttpError(400, CE_ZERO_MESSAGE);
      wanted = Math.min(Math.max(replicas, CE_MIN_REPLICAS), CE_MAX_REPLICAS);
    }
    if (!this.deployment(name)) throw new HttpError(404, `unable to lookup function deployment ${name} in ${namespace}`);
    await this.opts.deployments.scale(name, wanted);
    send(res, 202, '');
  }

  private info(res: ServerResponse): void {
    sendJson(res, 200, {
      provider: { provider: 'faas-netes', orchestration: 'kubernetes', version: { release: 'sandbox', sha: 'sandbox' } },
      version: { release: 'sandbox', sha: 'sandbox' },
      arch: process.arch,
      openfaasEdition: this.opts.ce ? 'ce' : 'pro',
    });
  }

  private checkNamespace(namespace: string | null): void {
    if (namespace && namespace !== this.namespace) {
      throw new HttpError(400, `namespace ${namespace} is not allowed: this gateway serves ${this.namespace}`);
    }
  }

  // ---- Deployments ----------------------------------------------------------------------------

  private functionDeployments(): KubeObject[] {
    return this.opts.deployments.list().filter((d) => this.opts.runtimes.has(d.metadata.name!));
  }

  private deployment(name: string): KubeObject | undefined {
    return this.opts.deployments.get(name);
  }

  private status(d: KubeObject): FunctionStatus {
    const spec = d.spec as {
      template?: {
        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
        spec?: { containers?: { image?: string; env?: { name: string; value?: string }[] }[] };
      };
    };
    const container = spec.template?.spec?.containers?.[0];
    return {
      name: d.metadata.name!,
      image: container?.image ?? '',
      namespace: this.namespace,
      envProcess: container?.env?.find((e) => e.name === 'fprocess')?.value ?? '',
      labels: spec.template?.metadata?.labels ?? {},
      annotations: spec.template?.metadata?.annotations ?? {},
      replicas: specReplicas(d),
      availableReplicas: (d.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0,
      invocationCount: this.invocations.get(d.metadata.name!) ?? 0,
      createdAt: d.metadata.creationTimestamp ?? '',
    };
  }
}

function specReplicas(d: KubeObject): number {
  return (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

async function readBody(req: IncomingMessage): Promise<string> {
  if (req.readableEnded) return '';
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}
