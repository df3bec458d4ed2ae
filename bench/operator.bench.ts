/**
 * Reconcile ticks for N = 10, 100, 1,000 and 10,000 FunctionAutoscalers against a real Prometheus
 * (Debian package) holding their series, and the emulated Kubernetes API server. The API server
 * and the page Prometheus scrapes run in a child process (bench/operator-cluster.ts), so their CPU
 * and memory are not counted as the operator's.
 *
 * Prometheus scrapes the gateway and cAdvisor series of 10,000 functions (about 200,000 series)
 * every 5 s; the bench waits until a full 30-s window exists, so `increase(...[30s])` reads 6
 * samples per series. (Backfilling with promtool would be faster to set up but leaves Prometheus
 * answering from blocks on disk instead of its head — not what an operator meets in production.)
 *
 * Per N, two ticks are measured: the first (policies created, every status written, the first
 * scales), and a steady one (ticks repeated until one scales nothing, at most 12; then the median
 * of that tick and two more, by CPU time): PromQL
 * queries, wall time, the operator's own CPU time (the rest is waiting on the API server and
 * Prometheus), API writes by kind (status patches, /scale, Events), the resources whose
 * user-visible status changed (kubectl's columns and the conditions, read back from the API server
 * before and after), and the process' peak RSS and heap. Then, as ticks are an interval apart in
 * a cluster, one more steady tick after 20 s without one, and the RSS before it. Ratios are against
 * N = 10 in the same process.
 *
 * Environment: `BENCH_OPERATOR_MAX_N` caps N (default 10000); `BENCH_OPERATOR_ONLY_N` measures that
 * N alone; the measured operator processes run with the heap limit the chart gives the operator
 * (`heapLimitMiB` in charts/faas-autoscaler/values.yaml), or with `BENCH_OPERATOR_NODE_FLAGS` instead
 * when it is set (empty: node's defaults); at the largest N, `BENCH_OPERATOR_PROFILE=<prefix>` writes a CPU profile of one
 * more steady tick to `<prefix>-n<N>.cpuprofile` and an allocation profile of the next to
 * `<prefix>-n<N>.heapprofile`, and `BENCH_OPERATOR_HEAP_SNAPSHOT=<prefix>` a heap snapshot between
 * ticks (after a full GC) to `<prefix>-n<N>.heapsnapshot`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { Controller, type TickReport } from '../operator/src/controller/controller.js';
import type { Clock } from '../operator/src/controller/clock.js';
import { ClientNodeCluster, type ClusterClient } from '../operator/src/controller/kube.js';
import { gatherWindows } from '../operator/src/metrics/batched-metrics.js';
import { buildObservation } from '../operator/src/metrics/observation.js';
import { PrometheusSource } from '../operator/src/metrics/prometheus.js';
import { createPolicy } from '../operator/src/policies/registry.js';
import { Rails } from '../operator/src/rails/rails.js';
import { startPrometheus } from '../operator/src/sandbox/prometheus-process.js';
import { kubeconfigYaml } from '../operator/src/sandbox/kubeconfig.js';
import { packagePath } from '../operator/src/package-root.js';
import { functionName as fnName } from './operator-cluster.js';

const ALL_SIZES = [10, 100, 1000, 10_000];
const N_MAX = Math.min(10_000, Number(process.env.BENCH_OPERATOR_MAX_N ?? 10_000));
const SIZES = ALL_SIZES.filter((n) => n <= N_MAX);
const WINDOW_SECONDS = 30;
/** Ticks until one scales nothing: the synthetic load is constant, so the decisions settle. */
const MAX_TICKS = 12;
/** The pause before the last measured tick (the default interval is 30 s). */
const IDLE_MS = 20_000;
const SCRAPE_SECONDS = 5;
const POLICIES = ['hpa', 'keda', 'knative', 'openfaas-pro', 'static'];
const MiB = 2 ** 20;
const WRITES = ['patchAutoscalerStatus', 'replaceScale', 'createEvent', 'patchEventSeries'] as const;
type Write = (typeof WRITES)[number];

/** The API server and the scraped page in a child process; resolves with their addresses. */
async function startCluster(): Promise<{ child: ChildProcess; api: string; exporter: string }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, [join(here, 'operator-cluster.js'), String(N_MAX), ...SIZES.map((n) => `bench-n${n}`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (c) => reject(new Error(`the benchmark's cluster exited with ${c}`)));
  });
  return { child, ...(JSON.parse(line) as { api: string; exporter: string }) };
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

/** Counts the API writes (and reads) the controller sends, by method. */
function counting(cluster: ClusterClient): { client: ClusterClient; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const client = new Proxy(cluster, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(prop), (counts.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client, counts };
}

interface TickRow {
  queries: number;
  tickMs: number;
  cpuMs: number;
  writes: Record<Write, number>;
  changed: number;
  scaled: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** What the peak RSS was made of: V8's committed heap and memory outside it (Buffers among it). */
  atPeakMiB: { heapTotal: number; external: number; arrayBuffers: number };
}

interface Row {
  n: number;
  first: TickRow;
  steady: TickRow;
  steadyAfter: number;
  promqlMs: number;
  promqlPeakRssMiB: number;
  /** A steady tick after IDLE_MS without one, as ticks are an interval apart in a cluster. */
  afterIdle: TickRow;
  /** Heap and RSS after a full GC once the ticks are done; RSS after IDLE_MS idle. */
  liveMiB: { heap: number; rss: number; idleRss: number };
}

async function measure(n: number, kc: KubeConfig, promUrl: string, exporter: string): Promise<Row> {
  const gateway = new PrometheusSource({ name: 'prometheus-a', url: promUrl, timeoutMs: 60_000 });
  const cadvisor = new PrometheusSource({ name: 'prometheus-b', url: promUrl, timeoutMs: 60_000 });
  const { client, counts } = counting(new ClientNodeCluster(kc, { timeoutMs: 60_000 }));
  const namespace = `bench-n${n}`;
  const controller = new Controller({
    cluster: client,
    gateway,
    cadvisor,
    clock: benchClock,
    logger: pino({ level: 'silent' }),
    createPolicy,
    createRails: (c) => new Rails(c),
    buildObservation,
    namespaces: [namespace],
    identity: `bench-${n}`,
    limits: { maxReplicas: 500, maxScaleUpFactor: 10, functionNamespaces: ['openfaas-fn'] },
  });
  controller.start();
  for (let i = 0; i < 1200 && !(controller.readiness().ok && controller.managedKeys().length === n); i++)
    await new Promise((r) => setTimeout(r, 100));
  // The cluster's process reads the statuses back and counts those a user would see change: a
  // list of thousands of objects here would be counted in the operator's own memory.
  const changedSinceLast = async (): Promise<number> => {
    const res = await fetch(`http://${exporter}/visible-changes?namespace=${namespace}`, { method: 'POST' });
    if (!res.ok) throw new Error(`visible-changes: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { changed: number }).changed;
  };
  const timedTick = async (around: (tick: () => Promise<TickReport>) => Promise<TickReport> = (t) => t()): Promise<TickRow> => {
    await changedSinceLast();
    counts.clear();
    controller.dueAll();
    const cpu0 = process.cpuUsage();
    const { result: report, peakRss, peakHeap, atPeak } = await peakMemoryDuring(() => around(() => controller.tick()));
    const cpu = process.cpuUsage(cpu0);
    // Let the watch deliver our own writes before reading back.
    await new Promise((r) => setTimeout(r, 200));
    const changed = await changedSinceLast();
    return {
      queries: report.queries,
      tickMs: report.durationMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      writes: Object.fromEntries(WRITES.map((w) => [w, counts.get(w) ?? 0])) as Record<Write, number>,
      changed,
      scaled: report.scaled,
      peakRssMiB: peakRss / MiB,
      peakHeapMiB: peakHeap / MiB,
      atPeakMiB: { heapTotal: atPeak.heapTotal / MiB, external: atPeak.external / MiB, arrayBuffers: atPeak.arrayBuffers / MiB },
    };
  };
  const first = await timedTick();
  let steady = await timedTick();
  let steadyAfter = 2;
  while (steady.scaled > 0 && steadyAfter < MAX_TICKS) {
    steady = await timedTick();
    steadyAfter++;
  }
  // One tick is a noisy sample on a shared machine: the median of three steady ones, by CPU time.
  const more = [steady, await timedTick(), await timedTick()].sort((a, b) => a.cpuMs - b.cpuMs);
  steady = more[1];
  const profile = process.env.BENCH_OPERATOR_PROFILE;
  if (profile && n === SIZES.at(-1)) {
    await timedTick((tick) => profiled(`${profile}-n${n}.cpuprofile`, tick));
    await timedTick((tick) => allocationProfiled(`${profile}-n${n}.heapprofile`, tick));
  }
  // In a cluster the ticks are an interval apart, and V8 gives memory back while it idles (its
  // memory reducer starts after about 8 s): RSS after a pause, and the peak of the tick after it,
  // are what the pod uses. The ticks above ran back to back.
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = process.memoryUsage();
  const afterIdle = await timedTick();
  // What the operator holds between ticks (the peaks above include garbage not yet collected).
  (globalThis as { gc?: () => void }).gc?.();
  const live = process.memoryUsage();
  const snapshot = process.env.BENCH_OPERATOR_HEAP_SNAPSHOT;
  if (snapshot && n === SIZES.at(-1)) console.log(`heap snapshot between ticks: ${writeHeapSnapshot(`${snapshot}-n${n}.heapsnapshot`)}`);
  const liveMiB = { heap: live.heapUsed / MiB, rss: live.rss / MiB, idleRss: idle.rss / MiB };
  await controller.stop();
  // The PromQL part alone: the same batched queries for the same N functions.
  const targets = Array.from({ length: n }, (_, i) => ({ name: fnName(i), namespace: 'openfaas-fn', replicas: 1, readyReplicas: 1 }));
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const promql = await peakMemoryDuring(() =>
    gatherWindows({ gateway, cadvisor, windowSeconds: WINDOW_SECONDS, targets, atMs: Date.now() }),
  );
  const promqlMs = performance.now() - t0;
  return { n, first, steady, steadyAfter, afterIdle, promqlMs, promqlPeakRssMiB: promql.peakRss / MiB, liveMiB };
}

const writesOf = (t: TickRow): string =>
  `${t.writes.patchAutoscalerStatus} / ${t.writes.replaceScale} / ${t.writes.createEvent + t.writes.patchEventSeries}`;

function printRows(rows: Row[]): void {
  const ref = rows[0];
  console.log(`operator processes: node ${['--expose-gc', ...operatorNodeFlags()].join(' ')}`);
  console.log(
    `(${WINDOW_SECONDS}-s windows, Prometheus scraping every ${SCRAPE_SECONDS} s, ${N_MAX} functions' series held; API writes: status / scale / Events)`,
  );
  console.log(
    '| N | tick | PromQL queries | tick wall (ms) | ×N=10 | operator CPU (ms) | CPU per function (ms) | API writes | statuses changed | peak RSS (MiB) | peak heap (MiB) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    for (const [label, t, rt] of [
      ['first', r.first, ref.first],
      [`steady (from tick ${r.steadyAfter})`, r.steady, ref.steady],
      [`steady, after ${IDLE_MS / 1000} s idle`, r.afterIdle, ref.afterIdle],
    ] as const) {
      console.log(
        `| ${r.n} | ${label} | ${t.queries} | ${t.tickMs.toFixed(0)} | ${(t.tickMs / rt.tickMs).toFixed(1)} | ${t.cpuMs.toFixed(0)} | ${(t.cpuMs / r.n).toFixed(3)} | ${writesOf(t)} | ${t.changed} | ${t.peakRssMiB.toFixed(0)} | ${t.peakHeapMiB.toFixed(0)} |`,
      );
    }
  }
  console.log(
    `PromQL alone (the same batched queries, after a full GC): ${rows
      .map((r) => `N=${r.n} ${r.promqlMs.toFixed(0)} ms, peak RSS ${r.promqlPeakRssMiB.toFixed(0)} MiB`)
      .join('; ')}`,
  );
  const largest = rows.at(-1)!;
  const parts = largest.afterIdle.atPeakMiB;
  console.log(
    `at the peak RSS of N=${largest.n}'s tick after idle: V8 heap committed ${parts.heapTotal.toFixed(0)} MiB, outside the heap ${parts.external.toFixed(0)} MiB (Buffers ${parts.arrayBuffers.toFixed(0)} MiB)`,
  );
  console.log(
    `between ticks: ${rows.map((r) => `N=${r.n} RSS ${r.liveMiB.idleRss.toFixed(0)} MiB after ${IDLE_MS / 1000} s idle, heap ${r.liveMiB.heap.toFixed(0)} MiB held after a full GC`).join('; ')}`,
  );
  const flat = rows.every((r) => r.first.queries === ref.first.queries && r.steady.queries === ref.first.queries);
  console.log(`queries per tick flat in N: ${flat ? 'yes' : 'NO'} (${rows.map((r) => r.steady.queries).join(', ')})`);
  const over = rows.filter((r) => r.steady.writes.patchAutoscalerStatus > r.steady.changed);
  console.log(
    `status writes per steady tick ≤ statuses changed: ${over.length === 0 ? 'yes' : `NO at N = ${over.map((r) => r.n).join(', ')}`}`,
  );
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fa-bench-op-'));
  const cluster = await startCluster();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    `global:\n  scrape_interval: ${SCRAPE_SECONDS}s\n  scrape_timeout: ${SCRAPE_SECONDS}s\nscrape_configs:\n  - job_name: functions\n    static_configs:\n      - targets: ['${cluster.exporter}']\n`,
  );
  const prom = await startPrometheus({
    configFile,
    dataDir: join(dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    logFile: join(dir, 'prometheus.log'),
  });
  try {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml({ server: cluster.api }));
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
            functionNamespace: 'openfaas-fn',
            maxReplicas: 20,
            intervalSeconds: WINDOW_SECONDS,
            slo: { p95LatencyMs: 200 },
            policy: { name: POLICIES[i % POLICIES.length] },
          },
        },
      }),
    );
    console.log(`setup: ${N_MAX} Deployments and ${fas.length} FunctionAutoscalers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // A full window of samples: WINDOW/SCRAPE scrapes after the first, and one more.
    const ready = await firstSampleMs(prom.url);
    const waitMs = ready + (WINDOW_SECONDS + 2 * SCRAPE_SECONDS) * 1000 - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    const rows: Row[] = [];
    const only = process.env.BENCH_OPERATOR_ONLY_N ? Number(process.env.BENCH_OPERATOR_ONLY_N) : undefined;
    for (const n of SIZES.filter((s) => only === undefined || s === only)) rows.push(await measureInChild(n, cluster, prom.url));
    printRows(rows);
  } finally {
    await prom.stop();
    cluster.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Each N is measured in a process of its own (this module run as a script), so its RSS and heap are
 * that operator's alone, not what an earlier N left behind.
 */
async function measureInChild(n: number, cluster: { api: string; exporter: string }, promUrl: string): Promise<Row> {
  const flags = operatorNodeFlags();
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...flags, fileURLToPath(import.meta.url), 'measure', String(n), cluster.api, promUrl, cluster.exporter],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`measuring N = ${n} failed (exit ${code}): ${out.slice(-2000)}`);
  for (const l of out.trim().split('\n').slice(0, -1)) console.log(l);
  return JSON.parse(line) as Row;
}

/** The operator's node flags as the chart deploys it (its heap limit), unless BENCH_OPERATOR_NODE_FLAGS says otherwise. */
function operatorNodeFlags(): string[] {
  const given = process.env.BENCH_OPERATOR_NODE_FLAGS;
  if (given !== undefined) return given.split(' ').filter(Boolean);
  const values = parseYaml(readFileSync(packagePath('charts', 'faas-autoscaler', 'values.yaml'), 'utf8')) as {
    heapLimitMiB?: number | null;
  };
  return values.heapLimitMiB ? [`--max-old-space-size=${values.heapLimitMiB}`] : [];
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'measure') {
  const [n, api, promUrl, exporter] = [Number(process.argv[3]), process.argv[4], process.argv[5], process.argv[6]];
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml({ server: api }));
  console.log(JSON.stringify(await measure(n, kc, promUrl, exporter)));
  process.exit(0);
}

/** Runs `fn` under the V8 CPU profiler and writes the profile (for Chrome DevTools) to `file`. */
function profiled<T>(file: string, fn: () => Promise<T>): Promise<T> {
  return underInspector(file, fn, { domain: 'Profiler', start: 'start', stop: 'stop', what: 'CPU profile' });
}

/** `fn`'s result, and the process' highest RSS and heap in use while it ran (sampled every 20 ms). */
async function peakMemoryDuring<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; peakRss: number; peakHeap: number; atPeak: NodeJS.MemoryUsage }> {
  let peakRss = 0;
  let peakHeap = 0;
  let atPeak = process.memoryUsage();
  const sample = (): void => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) {
      peakRss = m.rss;
      atPeak = m;
    }
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 20);
  try {
    const result = await fn();
    sample();
    return { result, peakRss, peakHeap, atPeak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `fn` under V8's sampling heap profiler, counting what was allocated whether or not it was
 * collected since (the tick's garbage is its peak), and writes the profile (Chrome DevTools) to `file`.
 */
function allocationProfiled<T>(file: string, fn: () => Promise<T>): Promise<T> {
  return underInspector(file, fn, {
    domain: 'HeapProfiler',
    start: 'startSampling',
    stop: 'stopSampling',
    startParams: { samplingInterval: 32 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true },
    what: 'allocation profile',
  });
}

/** `fn` between an inspector domain's start and stop; the profile the stop returns is written to `file`. */
async function underInspector<T>(
  file: string,
  fn: () => Promise<T>,
  how: { domain: string; start: string; stop: string; startParams?: object; what: string },
): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  try {
    await post(`${how.domain}.enable`);
    await post(`${how.domain}.${how.start}`, how.startParams);
    const result = await fn();
    const { profile } = (await post(`${how.domain}.${how.stop}`)) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    console.log(`${how.what} of one more steady tick: ${file}`);
    return result;
  } finally {
    session.disconnect();
  }
}

/** When Prometheus first held samples of the last function (wall clock, ms). */
async function firstSampleMs(promUrl: string): Promise<number> {
  const query = `gateway_function_invocation_started{function_name="${fnName(N_MAX - 1)}.openfaas-fn"}`;
  for (;;) {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data?: { result?: unknown[] } };
    if ((body.data?.result?.length ?? 0) > 0) return Date.now();
    await new Promise((r) => setTimeout(r, 500));
  }
}
