/**
 * The point of the sandbox's endpoints: the operator's own batched PromQL (metrics/), run by a
 * real Prometheus scraping the sandbox with the configuration the sandbox writes, gives the window
 * the load implies. The sandbox is started with `withPrometheus` (what `--with-prometheus` does).
 *
 * Load: 20 requests/s to a function with a fixed 50 ms service time on 2 replicas of one slot, so
 * on average 1 slot is busy: CPU ≈ 1 × 0.15 cores (the per-slot share of a 150m request) plus the
 * idle share of 2 pods; memory = 2 pods × 56 MiB exactly (the pause container and the pod-level
 * cgroup must not be counted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherWindows, type GatheredWindow } from '../../operator/src/metrics/batched-metrics.js';
import { buildObservation } from '../../operator/src/metrics/observation.js';
import { PrometheusSource } from '../../operator/src/metrics/prometheus.js';
import { resolveFunctions } from '../../operator/src/sandbox/sandbox-config.js';
import { startSandbox, type RunningSandbox } from '../../operator/src/sandbox/sandbox.js';

const RPS = 20;
const SERVICE_SECONDS = 0.05;
const WINDOW_SECONDS = 5;

let dir: string;
let sandbox: RunningSandbox;
let load: NodeJS.Timeout | undefined;
/** When each request was sent (ms). */
const sentAt: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-prom-'));
  const functions = resolveFunctions([{ name: 'figlet', profile: 'fixed:50ms', sim: { initialReplicas: 2 } }], undefined);
  sandbox = await startSandbox({ dir, functions, withPrometheus: true, ce: true });
}, 60_000);

afterAll(async () => {
  if (load) clearInterval(load);
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Polls the operator's gather step until `ok` accepts the window (or the deadline passes). */
async function gatherUntil(ok: (w: GatheredWindow) => boolean, limitMs: number): Promise<GatheredWindow & { atMs: number }> {
  const gateway = new PrometheusSource({ name: 'prometheus-a', url: sandbox.info.prometheusUrl! });
  const cadvisor = new PrometheusSource({ name: 'prometheus-b', url: sandbox.info.prometheusUrl! });
  const deadline = Date.now() + limitMs;
  for (;;) {
    const atMs = Date.now();
    const result = await gatherWindows({
      gateway,
      cadvisor,
      windowSeconds: WINDOW_SECONDS,
      targets: [{ name: 'figlet', namespace: 'openfaas-fn', replicas: 2, readyReplicas: 2 }],
      atMs,
    });
    const w = result.byKey.get('figlet.openfaas-fn')!;
    if (ok(w)) return { ...w, atMs };
    if (Date.now() > deadline) throw new Error(`window never became acceptable; last: ${JSON.stringify(w)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

it("feeds the operator's batched queries through a real Prometheus with the numbers the load implies", async () => {
  const started = Date.now();
  load = setInterval(() => {
    sentAt.push(Date.now());
    // Requests cut by the sandbox stopping at the end are of no interest.
    void fetch(`${sandbox.info.gatewayUrl}/function/figlet`).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
  }, 1000 / RPS);
  // Wait until the whole window lies inside the load (plus a scrape), then take the window.
  const { window, health, atMs } = await gatherUntil(
    (w) => Date.now() - started > (WINDOW_SECONDS + 2) * 1000 && w.health.traffic && w.health.resources && w.window.podsReporting === 2,
    40_000,
  );
  expect(health.gatewaySourceError).toBeNull();
  expect(health.cadvisorSourceError).toBeNull();
  // The only gap is CE's missing inflight gauge.
  expect(window.problems).toEqual([expect.stringMatching(/gateway_function_invocation_inflight: no series/)]);

  const requests = window.invocationsByCode!.get('200') ?? 0;
  // What was sent in the window (a busy machine sends fewer than RPS: the timer lags). increase()
  // extrapolates from the 1-s scrapes inside the window, and the last scrape may be a second old.
  const sentInWindow = sentAt.filter((t) => t > atMs - WINDOW_SECONDS * 1000 && t <= atMs).length;
  expect(requests / sentInWindow).toBeGreaterThan(0.65);
  expect(requests / sentInWindow).toBeLessThan(1.35);
  expect([...window.invocationsByCode!.keys()]).toEqual(['200']);
  // Every request took at least 50 ms: nothing in the buckets below; most (all, on an idle
  // machine) within 100 ms — a busy CI box delays timers and so queues some requests.
  const le = (bound: number): number => window.latencyBuckets!.find((b) => b.le === bound)!.count;
  expect(le(0.025)).toBe(0);
  expect(le(0.1)).toBeGreaterThan(0.5 * le(Number.POSITIVE_INFINITY));
  const meanSeconds = window.latencySumSeconds! / window.latencyCount!;
  expect(meanSeconds).toBeGreaterThanOrEqual(SERVICE_SECONDS);
  expect(meanSeconds).toBeLessThan(SERVICE_SECONDS * 2);

  // (sent/s) × 50 ms busy slots on average, × 0.15 cores per busy slot; + 2 idle pods × 0.001.
  const wantCpu = (sentInWindow / WINDOW_SECONDS) * SERVICE_SECONDS * 0.15 + 2 * 0.001;
  expect(window.cpuCores!).toBeGreaterThan(wantCpu * 0.6);
  expect(window.cpuCores!).toBeLessThan(wantCpu * 1.4);
  expect(window.memoryBytes).toBe(2 * 56 * 1024 * 1024);
  expect(window.podsReporting).toBe(2);

  const obs = buildObservation(window, { cpuCores: 0.15, memoryBytes: 256 * 1024 * 1024 });
  expect(obs.memoryPerReplica).toBeCloseTo(56 / 256, 6);
  expect(obs.cpuPerReplica!).toBeGreaterThan(0.3);
  expect(obs.p95LatencyMs!).toBeGreaterThanOrEqual(50);
  expect(obs.p95LatencyMs!).toBeLessThanOrEqual(100);
}, 60_000);
