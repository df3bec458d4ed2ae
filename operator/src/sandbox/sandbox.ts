/**
 * The whole emulated cluster on 127.0.0.1 (`faas-autoscaler sandbox`): the Kubernetes API subset
 * (kube-api.ts), the OpenFaaS gateway (gateway.ts) with one real-time runtime per function
 * (function-runtime.ts), the cAdvisor endpoint (cadvisor.ts), optionally the real Prometheus, and
 * a small control endpoint for tests. Wiring:
 *
 *   kubectl / operator ──> KubeApiServer ── Deployment spec.replicas ──> DeploymentController
 *                              ▲                                              │ RuntimeReadiness
 *   gateway /system/scale ─────┘ (writes /scale)                              ▼
 *   loadgen ──> gateway /function/<name> ─────────────────────────────> FunctionRuntime (pods)
 *   Prometheus ──> gateway metrics port /metrics (role A), cAdvisor /metrics/cadvisor (role B) <──┘
 *                  kube-state-metrics /metrics (role B: Deployment replicas, for `record`)
 *
 * `DIR` receives `kubeconfig`, `prometheus.yml`, `gateway-basic-auth` (admin:password, for the
 * operator's --gateway-basic-auth-file) and, once everything listens, `sandbox.json` with every
 * URL (scripts and tests wait for it).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { functionAutoscalerCrd } from '../api/crd.js';
import { KubeApiError } from '../controller/kube.js';
import { ApiDeploymentController, KubeRest } from './api-deployment-controller.js';
import { CadvisorEndpoint } from './cadvisor.js';
import { systemClock, type Clock } from '#kernel/clock.js';
import { DelayedReadiness, type ReadinessModel } from './deployments.js';
import { ceClampedReplicas, RegistryDeployments, type FunctionDeployments } from './function-deployments.js';
import { FunctionRuntime, RuntimeReadiness } from './function-runtime.js';
import { CE_MAX_FUNCTIONS, Gateway } from './gateway.js';
import { closeServer, listen } from './http-server.js';
import { KubeApiServer } from './kube-api.js';
import { startKubeApiserver, type KubeApiserverProcess } from './kube-apiserver-process.js';
import { deployments, type KubeObject } from './kube-resources.js';
import { writeKubeconfig } from './kubeconfig.js';
import { KubeStateMetricsEndpoint } from './kube-state-metrics.js';
import { CADVISOR_JOB, GATEWAY_JOB, KUBE_STATE_METRICS_JOB, renderPrometheusConfig } from './prometheus-config.js';
import { startPrometheus, waitForTargetsUp, type PrometheusProcess } from './prometheus-process.js';
import type { SandboxFunction } from './sandbox-config.js';

/** faas-netes' functions namespace. */
export const FUNCTION_NAMESPACE = 'openfaas-fn';

export interface SandboxOptions {
  dir: string;
  functions: readonly SandboxFunction[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Ports; 0 or absent: a free one. */
  ports?: {
    kube?: number;
    gateway?: number;
    gatewayMetrics?: number;
    cadvisor?: number;
    kubeStateMetrics?: number;
    prometheus?: number;
    control?: number;
  };
  /** Gateway basic auth; the password is generated when absent. */
  gatewayUser?: string;
  gatewayPassword?: string;
  /** OpenFaaS CE limits (scale 1..5, no 0, at most 15 functions). */
  ce?: boolean;
  /** Wall-clock compression of service times, cold starts and time-outs (function-runtime.ts). */
  timeScale?: number;
  seed?: number;
  scrapeIntervalSeconds?: number;
  /** Start the real Prometheus with the generated configuration. */
  withPrometheus?: boolean;
  prometheusBinary?: string;
  clock?: Clock;
  /**
   * Run etcd and this real kube-apiserver binary (scripts/fetch-kube-apiserver.sh) instead of the
   * emulated API server; api-deployment-controller.ts then does the Deployment controller's,
   * kubelets' and faas-netes' part against it.
   */
  kubeApiserver?: string;
  etcdBinary?: string;
}

/** What `DIR/sandbox.json` holds. */
export interface SandboxInfo {
  pid: number;
  dir: string;
  kubeconfig: string;
  kubeApiUrl: string;
  /** Set when the API server is the real kube-apiserver: its version and audit log. */
  kubeApiserver?: { version: string; auditLog: string; caFile: string; adminToken: string };
  gatewayUrl: string;
  /** The gateway's metrics server (the real gateway's port 8082): `${gatewayMetricsUrl}/metrics`. */
  gatewayMetricsUrl: string;
  gatewayUser: string;
  gatewayPassword: string;
  gatewayBasicAuthFile: string;
  cadvisorUrl: string;
  kubeStateMetricsUrl: string;
  prometheusConfig: string;
  /** Set with --with-prometheus. */
  prometheusUrl?: string;
  controlUrl: string;
  functionNamespace: string;
  timeScale: number;
  ce: boolean;
  functions: {
    name: string;
    source: string;
    serviceMeanMs: number;
    concurrencyPerReplica: number;
    coldStartSeconds: number;
    initialReplicas: number;
  }[];
}

export interface RunningSandbox {
  info: SandboxInfo;
  /** The emulated API server (absent with `kubeApiserver`). */
  kube?: KubeApiServer;
  /** The real API server's processes (with `kubeApiserver`). */
  apiserver?: KubeApiserverProcess;
  gateway: Gateway;
  cadvisor: CadvisorEndpoint;
  runtimes: ReadonlyMap<string, FunctionRuntime>;
  prometheus?: PrometheusProcess;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.clock ?? systemClock;
  const timeScale = opts.timeScale ?? 1;
  const ce = opts.ce ?? false;
  if (opts.functions.length === 0) throw new InputError('functions: the sandbox needs at least one function');
  if (ce && opts.functions.length > CE_MAX_FUNCTIONS) {
    throw new InputError(
      `functions: OpenFaaS CE allows at most ${CE_MAX_FUNCTIONS} functions, got ${opts.functions.length} (drop --ce to emulate Pro)`,
    );
  }
  if (ce) {
    const zero = opts.functions.find((f) => f.config.initialReplicas === 0);
    if (zero) throw new InputError(`function ${zero.name}: initialReplicas 0 is not possible in OpenFaaS CE`);
  }
  await mkdir(opts.dir, { recursive: true });

  const runtimes = new Map<string, FunctionRuntime>();
  for (const fn of opts.functions) {
    runtimes.set(
      fn.name,
      new FunctionRuntime({
        name: fn.name,
        namespace: FUNCTION_NAMESPACE,
        config: fn.config,
        serviceTime: fn.serviceTime,
        clock,
        timeScale,
        seed: opts.seed ?? 1,
      }),
    );
  }
  const byKey = new Map([...runtimes.values()].map((r) => [RuntimeReadiness.key(r), r]));
  // Deployments that are not functions (made with kubectl) get the default cold start.
  const fallback = new DelayedReadiness({ clock, readyDelayMs: 5000 / timeScale });
  const readiness = new RuntimeReadiness(byKey, fallback);

  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  };
  try {
    const cluster = opts.kubeApiserver
      ? await startRealCluster(opts, readiness, host)
      : await startEmulatedCluster(opts, readiness, host, clock);
    started.push(cluster);
    const functionDeployments = cluster.deployments;

    const gatewayUser = opts.gatewayUser ?? 'admin';
    const gatewayPassword = opts.gatewayPassword ?? randomBytes(12).toString('base64url');
    const gateway = new Gateway({
      deployments: functionDeployments,
      runtimes,
      auth: { username: gatewayUser, password: gatewayPassword },
      ce,
      host,
      port: opts.ports?.gateway,
      metricsPort: opts.ports?.gatewayMetrics,
    });
    const images = new Map(opts.functions.map((f) => [f.name, f.image]));
    const cadvisor = new CadvisorEndpoint({
      runtimes,
      image: (name) => images.get(name) ?? '',
      now: () => clock.now(),
      host,
      port: opts.ports?.cadvisor,
    });
    const kubeStateMetrics = new KubeStateMetricsEndpoint({ deployments: functionDeployments, host, port: opts.ports?.kubeStateMetrics });

    const kubeApiUrl = cluster.url;
    const gatewayUrl = await gateway.listen();
    started.push({ stop: () => gateway.close() });
    const cadvisorUrl = await cadvisor.listen();
    started.push({ stop: () => cadvisor.close() });
    const kubeStateMetricsUrl = await kubeStateMetrics.listen();
    started.push({ stop: () => kubeStateMetrics.close() });
    const control = await startControl(cluster, runtimes, host, opts.ports?.control ?? 0);
    started.push(control);

    const kubeconfig = await writeKubeconfig(join(opts.dir, 'kubeconfig'), {
      server: kubeApiUrl,
      namespace: 'default',
      ...cluster.credentials,
    });
    const prometheusConfig = join(opts.dir, 'prometheus.yml');
    await writeFile(
      prometheusConfig,
      renderPrometheusConfig({
        gateway: new URL(gateway.metricsUrl).host,
        cadvisor: new URL(cadvisorUrl).host,
        kubeStateMetrics: new URL(kubeStateMetricsUrl).host,
        scrapeIntervalSeconds: opts.scrapeIntervalSeconds ?? 1,
      }),
    );
    const gatewayBasicAuthFile = join(opts.dir, 'gateway-basic-auth');
    await writeFile(gatewayBasicAuthFile, `${gatewayUser}:${gatewayPassword}\n`, { mode: 0o600 });

    let prometheus: PrometheusProcess | undefined;
    if (opts.withPrometheus) {
      prometheus = await startPrometheus({
        configFile: prometheusConfig,
        dataDir: join(opts.dir, 'prometheus-data'),
        logFile: join(opts.dir, 'prometheus.log'),
        listen: { host, port: opts.ports?.prometheus ?? 0 },
        binary: opts.prometheusBinary,
      });
      const p = prometheus;
      started.push({ stop: () => p.stop() });
      await waitForTargetsUp(p.url, [GATEWAY_JOB, CADVISOR_JOB, KUBE_STATE_METRICS_JOB]);
    }

    const info: SandboxInfo = {
      pid: process.pid,
      dir: opts.dir,
      kubeconfig,
      kubeApiUrl,
      ...(cluster.apiserver
        ? {
            kubeApiserver: {
              version: cluster.apiserver.version,
              auditLog: cluster.apiserver.auditLog,
              caFile: cluster.apiserver.caFile,
              adminToken: cluster.apiserver.adminToken,
            },
          }
        : {}),
      gatewayUrl,
      gatewayMetricsUrl: gateway.metricsUrl,
      gatewayUser,
      gatewayPassword,
      gatewayBasicAuthFile,
      cadvisorUrl,
      kubeStateMetricsUrl,
      prometheusConfig,
      ...(prometheus ? { prometheusUrl: prometheus.url } : {}),
      controlUrl: control.url,
      functionNamespace: FUNCTION_NAMESPACE,
      timeScale,
      ce,
      functions: opts.functions.map((f) => ({
        name: f.name,
        source: f.source,
        serviceMeanMs: f.serviceTime.meanMs,
        concurrencyPerReplica: f.config.concurrencyPerReplica,
        coldStartSeconds: f.config.coldStartSeconds,
        initialReplicas: f.config.initialReplicas,
      })),
    };
    // Written last and atomically: its presence means everything listens.
    const infoFile = join(opts.dir, 'sandbox.json');
    await writeFile(`${infoFile}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    await rename(`${infoFile}.tmp`, infoFile);

    let stopping: Promise<void> | undefined;
    return {
      info,
      kube: cluster.emulated,
      apiserver: cluster.apiserver,
      gateway,
      cadvisor,
      runtimes,
      prometheus,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The Deployment faas-netes would create for a function (labels, probe, requests). */
export function functionDeployment(fn: SandboxFunction): KubeObject {
  const labels = { faas_function: fn.name, ...fn.labels };
  const cpuMillis = Math.round(fn.config.requests.cpuCores * 1000);
  const memoryMi = Math.round(fn.config.requests.memoryBytes / (1024 * 1024));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: fn.name, namespace: FUNCTION_NAMESPACE, labels, annotations: { 'prometheus.io.scrape': 'false' } },
    spec: {
      replicas: fn.config.initialReplicas,
      selector: { matchLabels: { faas_function: fn.name } },
      template: {
        metadata: { name: fn.name, labels, annotations: { 'prometheus.io.scrape': 'false' } },
        spec: {
          containers: [
            {
              name: fn.name,
              image: fn.image,
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [{ name: 'fprocess', value: fn.name }],
              resources: { requests: { cpu: `${cpuMillis}m`, memory: `${memoryMi}Mi` } },
              readinessProbe: {
                httpGet: { path: '/_/health', port: 8080, scheme: 'HTTP' },
                initialDelaySeconds: 2,
                periodSeconds: 2,
                timeoutSeconds: 1,
              },
            },
          ],
        },
      },
    },
  };
}

/**
 * Test hooks over HTTP (the end-to-end tests run the sandbox as a separate process):
 *   GET  /status                                 runtimes: desired, ready, queued, in service
 *   POST /kube/break-watches?how=close|reset     ends every open watch
 *   POST /kube/restart?keepState=true|false      an API server restart (watch cache lost → 410)
 *   POST /kube/compact                           watches from older resourceVersions get 410
 */
async function startControl(
  cluster: SandboxCluster,
  runtimes: ReadonlyMap<string, FunctionRuntime>,
  host: string,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const kube = cluster.emulated;
  const server = createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://control');
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    };
    if (req.method === 'GET' && url.pathname === '/status') {
      return json(200, {
        functions: [...runtimes.values()].map((r) => ({
          name: r.name,
          desired: r.desiredReplicas,
          ready: r.readyReplicas,
          queued: r.queueLength,
          inService: r.inService,
        })),
        ...(kube ? { openWatches: kube.openWatchCount() } : {}),
      });
    }
    if (req.method === 'POST' && url.pathname === '/kube/restart') {
      if (kube) {
        kube.restart({ keepState: url.searchParams.get('keepState') !== 'false' });
        return json(200, { restarted: true });
      }
      // The real API server: killed (SIGKILL, no graceful shutdown) and started again; etcd keeps the state.
      const apiserver = cluster.apiserver!;
      const downMs = Number(url.searchParams.get('downMs') ?? 0);
      void (async () => {
        await apiserver.kill();
        await new Promise((r) => setTimeout(r, Number.isFinite(downMs) ? downMs : 0));
        await apiserver.start();
      })().then(
        () => json(200, { restarted: true }),
        (err: Error) => json(500, { error: err.message }),
      );
      return;
    }
    if (kube && req.method === 'POST' && url.pathname === '/kube/break-watches') {
      const how = url.searchParams.get('how') === 'reset' ? 'reset' : 'close';
      return json(200, { broken: kube.breakWatches({}, how) });
    }
    if (kube && req.method === 'POST' && url.pathname === '/kube/compact') {
      kube.compact();
      return json(200, { compacted: true });
    }
    json(404, { error: `no route ${req.method} ${url.pathname}${kube ? '' : ' (the real API server has only /kube/restart)'}` });
  });
  return { url: await listen(server, host, port), stop: () => closeServer(server) };
}

/** The API server side of the sandbox: emulated in this process, or the real one as processes. */
interface SandboxCluster {
  url: string;
  deployments: FunctionDeployments;
  /** What the kubeconfig needs beyond the URL. */
  credentials: { token?: string; certificateAuthorityData?: string };
  emulated?: KubeApiServer;
  apiserver?: KubeApiserverProcess;
  stop(): Promise<void>;
}

async function startEmulatedCluster(opts: SandboxOptions, readiness: ReadinessModel, host: string, clock: Clock): Promise<SandboxCluster> {
  // No token check: kubectl sends no credentials to a plain-http server, and the sandbox only
  // listens on the host it is given (127.0.0.1 by default).
  const kube = new KubeApiServer({
    host,
    port: opts.ports?.kube ?? 0,
    clock,
    readiness,
    clampReplicas: opts.ce ? ceClampedReplicas : undefined,
  });
  for (const fn of opts.functions) kube.registry.create(deployments, FUNCTION_NAMESPACE, functionDeployment(fn));
  const url = await kube.start();
  return {
    url,
    deployments: new RegistryDeployments(kube.registry, FUNCTION_NAMESPACE),
    credentials: {},
    emulated: kube,
    stop: () => kube.stop(),
  };
}

async function startRealCluster(opts: SandboxOptions, readiness: ReadinessModel, host: string): Promise<SandboxCluster> {
  const apiserver = await startKubeApiserver({
    binary: opts.kubeApiserver!,
    etcdBinary: opts.etcdBinary,
    dir: join(opts.dir, 'kube-apiserver'),
    host,
    port: opts.ports?.kube,
  });
  const ca = await readFile(apiserver.caFile);
  const rest = new KubeRest({ url: apiserver.url, token: apiserver.adminToken, ca });
  let controller: ApiDeploymentController | undefined;
  const stop = async (): Promise<void> => {
    controller?.stop();
    await rest.close();
    await apiserver.stop();
  };
  try {
    for (const ns of ['openfaas', FUNCTION_NAMESPACE]) {
      await createIfAbsent(rest, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    await createIfAbsent(rest, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', functionAutoscalerCrd());
    await waitForCrdEstablished(rest, functionAutoscalerCrd().metadata.name);
    for (const fn of opts.functions) {
      await createIfAbsent(rest, `/apis/apps/v1/namespaces/${FUNCTION_NAMESPACE}/deployments`, functionDeployment(fn));
    }
    controller = new ApiDeploymentController({
      rest,
      namespace: FUNCTION_NAMESPACE,
      readiness,
      ce: opts.ce ?? false,
      onError: (err) => process.emitWarning(`sandbox: Deployment controller: ${err.message}`),
    });
    await controller.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: apiserver.url,
    deployments: controller,
    credentials: { token: apiserver.adminToken, certificateAuthorityData: ca.toString('base64') },
    apiserver,
    stop,
  };
}

async function createIfAbsent(rest: KubeRest, path: string, body: unknown): Promise<void> {
  try {
    await rest.request('POST', path, body);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.conflict)) throw err;
  }
}

async function waitForCrdEstablished(rest: KubeRest, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await rest.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      'GET',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
