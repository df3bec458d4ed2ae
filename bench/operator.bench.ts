/**
 * One reconcile tick for N = 10, 100 and 1,000 FunctionAutoscalers against a real Prometheus
 * (Debian package) holding their series, and the emulated Kubernetes API server (in a child
 * process, so its CPU and memory are not counted as the operator's).
 *
 * Prometheus scrapes a synthetic page with the gateway and cAdvisor series of 1,000 functions
 * every 2 s; the bench waits until a full 30-s window exists, so `increase(...[30s])` reads 15
 * samples per series, as in a cluster scraping every 2 s. (Backfilling with promtool would be
 * faster to set up but leaves Prometheus answering from blocks on disk instead of its head — not
 * what an operator meets in production.)
 *
 * Per N: PromQL queries per tick (flat: 9 per distinct window), wall time of a warm tick (policies
 * loaded, caches synced; it writes N statuses, the scales and their Events), the same batched
 * queries timed alone, the operator's own CPU time during the tick (the rest is waiting on the API
 * server and Prometheus), and the process' peak RSS and heap during the tick. Ratios are against
 * N = 10 measured in the same process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Controller, type TickReport } from '../operator/src/controller/controller.js';
import type { Clock } from '../operator/src/controller/clock.js';
import { ClientNodeCluster } from '../operator/src/controller/kube.js';
import { gatherWindows } from '../operator/src/metrics/batched-metrics.js';
import { buildObservation } from '../operator/src/metrics/observation.js';
import { PrometheusSource } from '../operator/src/metrics/prometheus.js';
import { createPolicy } from '../operator/src/policies/registry.js';
import { Rails } from '../operator/src/rails/rails.js';
import { startPrometheus } from '../operator/src/sandbox/prometheus-process.js';
import { kubeconfigYaml } from '../operator/src/sandbox/kubeconfig.js';

const N_MAX = 1000;
const SIZES = [10, 100, 1000];
const WINDOW_SECONDS = 30;
const SCRAPE_SECONDS = 2;
const POLICIES = ['hpa', 'keda', 'knative', 'openfaas-pro', 'static'];
const MiB = 2 ** 20;
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

const fnName = (i: number): string => `f${String(i).padStart(4, '0')}`;

/** Gateway + cAdvisor series of N_MAX functions; counters grow with real time at a fixed rate. */
function exposition(startMs: number): string {
  const t = (Date.now() - startMs) / 1000;
  const out: string[] = [];
  for (let i = 0; i < N_MAX; i++) {
    const name = fnName(i);
    const fn = `${name}.openfaas-fn`;
    const rps = 1 + (i % 50);
    const n = rps * t;
    out.push(`gateway_function_invocation_total{function_name="${fn}",code="200"} ${n}`);
    out.push(`gateway_function_invocation_started{function_name="${fn}"} ${n}`);
    BUCKETS.forEach((le, b) =>
      out.push(`gateway_functions_seconds_bucket{function_name="${fn}",code="200",le="${le}"} ${b >= 4 ? n : n * 0.1 * b}`),
    );
    out.push(`gateway_functions_seconds_sum{function_name="${fn}",code="200"} ${n * 0.07}`);
    out.push(`gateway_functions_seconds_count{function_name="${fn}",code="200"} ${n}`);
    const pod = `${name}-6c8f7d9b4-p0001`;
    const base = `namespace="openfaas-fn",pod="${pod}"`;
    out.push(`container_cpu_usage_seconds_total{${base},container="${name}"} ${t * 0.002 * rps}`);
    out.push(`container_cpu_usage_seconds_total{${base},container="POD"} ${t * 0.0001}`);
    out.push(`container_cpu_usage_seconds_total{${base},container=""} ${t * 0.002 * rps + t * 0.0001}`);
    out.push(`container_memory_working_set_bytes{${base},container="${name}"} ${(40 + (i % 20)) * MiB}`);
    out.push(`container_memory_working_set_bytes{${base},container="POD"} ${0.5 * MiB}`);
    out.push(`container_memory_working_set_bytes{${base},container=""} ${(40.5 + (i % 20)) * MiB}`);
  }
  return `${out.join('\n')}\n`;
}

async function startExporter(): Promise<{ server: Server; target: string; scrapes: () => number }> {
  const startMs = Date.now();
  let scrapes = 0;
  const server = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition(startMs));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, target: `127.0.0.1:${(server.address() as AddressInfo).port}`, scrapes: () => scrapes };
}

/** The emulated API server in a child process; resolves with its URL. */
async function startApiServer(): Promise<{ child: ChildProcess; url: string }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const module = pathToFileURL(join(here, '..', 'operator', 'src', 'sandbox', 'kube-api.js')).href;
  const code = `const { KubeApiServer } = await import(${JSON.stringify(module)}); const k = new KubeApiServer({ namespaces: ['default', 'openfaas-fn', ${SIZES.map((n) => `'bench-n${n}'`).join(', ')}], watchWindow: 20000 }); console.log(await k.start()); setInterval(() => {}, 1 << 30);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`API server exited with ${c}`)));
  });
  return { child, url };
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** Real time, but timers never fire: ticks happen only when the bench calls `tick()`. */
const benchClock: Clock = {
  monotonic: () => performance.now(),
  now: () => Date.now(),
  setTimeout: () => () => undefined,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

interface Row {
  n: number;
  queries: number;
  tickMs: number;
  promqlMs: number;
  scaled: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  cpuMs: number;
}

async function measure(n: number, kc: KubeConfig, promUrl: string): Promise<Row> {
  const gateway = new PrometheusSource({ name: 'prometheus-a', url: promUrl, timeoutMs: 30_000 });
  const cadvisor = new PrometheusSource({ name: 'prometheus-b', url: promUrl, timeoutMs: 30_000 });
  const controller = new Controller({
    cluster: new ClientNodeCluster(kc, { timeoutMs: 30_000 }),
    gateway,
    cadvisor,
    clock: benchClock,
    logger: pino({ level: 'silent' }),
    createPolicy,
    createRails: (c) => new Rails(c),
    buildObservation,
    namespaces: [`bench-n${n}`],
    identity: `bench-${n}`,
  });
  controller.start();
  for (let i = 0; i < 600 && !(controller.readiness().ok && controller.managedKeys().length === n); i++)
    await new Promise((r) => setTimeout(r, 100));
  // Cold tick: policies created, first scale and status writes. Then the measured warm tick.
  controller.dueAll();
  await controller.tick();
  controller.dueAll();
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 5);
  const cpu0 = process.cpuUsage();
  const report: TickReport = await controller.tick();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  sample();
  await controller.stop();
  // The PromQL part alone: the same batched queries for the same N functions.
  const targets = Array.from({ length: n }, (_, i) => ({ name: fnName(i), namespace: 'openfaas-fn', replicas: 1, readyReplicas: 1 }));
  const t0 = performance.now();
  await gatherWindows({ gateway, cadvisor, windowSeconds: WINDOW_SECONDS, targets, atMs: Date.now() });
  const promqlMs = performance.now() - t0;
  return {
    n,
    queries: report.queries,
    tickMs: report.durationMs,
    promqlMs,
    scaled: report.scaled,
    peakRssMiB: peakRss / MiB,
    peakHeapMiB: peakHeap / MiB,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fa-bench-op-'));
  const exporter = await startExporter();
  const api = await startApiServer();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    `global:\n  scrape_interval: ${SCRAPE_SECONDS}s\nscrape_configs:\n  - job_name: functions\n    static_configs:\n      - targets: ['${exporter.target}']\n`,
  );
  const prom = await startPrometheus({
    configFile,
    dataDir: join(dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    logFile: join(dir, 'prometheus.log'),
  });
  try {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml({ server: api.url }));
    const apps = kc.makeApiClient(AppsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const t0 = performance.now();
    await pool(
      Array.from({ length: N_MAX }, (_, i) => i),
      32,
      (i) =>
        apps.createNamespacedDeployment({
          namespace: 'openfaas-fn',
          body: {
            metadata: { name: fnName(i) },
            spec: {
              replicas: 1,
              selector: { matchLabels: { faas_function: fnName(i) } },
              template: {
                metadata: { labels: { faas_function: fnName(i) } },
                spec: { containers: [{ name: fnName(i), image: 'fn', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
              },
            },
          },
        }),
    );
    const fas = SIZES.flatMap((n) => Array.from({ length: n }, (_, i) => ({ n, i })));
    await pool(fas, 32, ({ n, i }) =>
      custom.createNamespacedCustomObject({
        group: 'faas-autoscaler.dev',
        version: 'v1alpha1',
        plural: 'functionautoscalers',
        namespace: `bench-n${n}`,
        body: {
          apiVersion: 'faas-autoscaler.dev/v1alpha1',
          kind: 'FunctionAutoscaler',
          metadata: { name: fnName(i) },
          spec: {
            functionName: fnName(i),
            maxReplicas: 20,
            intervalSeconds: WINDOW_SECONDS,
            slo: { p95LatencyMs: 200 },
            policy: { name: POLICIES[i % POLICIES.length] },
          },
        },
      }),
    );
    console.log(`setup: ${N_MAX} Deployments and ${fas.length} FunctionAutoscalers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const needed = Math.ceil(WINDOW_SECONDS / SCRAPE_SECONDS) + 4;
    while (exporter.scrapes() < needed) await new Promise((r) => setTimeout(r, 500));
    const rows: Row[] = [];
    for (const n of SIZES) rows.push(await measure(n, kc, prom.url));
    const ref = rows[0];
    console.log(
      `one warm tick (${WINDOW_SECONDS}-s windows, Prometheus scraping every ${SCRAPE_SECONDS} s, ${N_MAX} functions' series held)`,
    );
    console.log(
      '| N | PromQL queries/tick | tick wall (ms) | ×N=10 | PromQL alone (ms) | operator CPU (ms) | scale writes | peak RSS (MiB) | peak heap (MiB) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(
        `| ${r.n} | ${r.queries} | ${r.tickMs.toFixed(0)} | ${(r.tickMs / ref.tickMs).toFixed(1)} | ${r.promqlMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${r.scaled} | ${r.peakRssMiB.toFixed(0)} | ${r.peakHeapMiB.toFixed(0)} |`,
      );
    }
    console.log(
      `queries per tick flat in N: ${rows.every((r) => r.queries === ref.queries) ? 'yes' : 'NO'} (${rows.map((r) => r.queries).join(', ')})`,
    );
  } finally {
    await prom.stop();
    api.child.kill('SIGKILL');
    exporter.server.closeAllConnections();
    await new Promise<void>((r) => exporter.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}
