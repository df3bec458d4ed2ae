/**
 * The batched PromQL against a real Prometheus (Debian package) scraping a local endpoint with
 * gateway- and cAdvisor-shaped series: the queries parse, the pod → Deployment join works, the
 * pod-level and pause-container series are not double counted, and a stopped Prometheus is an
 * `unreachable` error. Windows are 5 s with 1-s scrapes, so the test waits a few seconds of real
 * time for data (there is no other way to feed a live Prometheus).
 */
import { gatherWindows, type FunctionTarget } from '../../operator/src/metrics/batched-metrics.js';
import { PrometheusError, PrometheusSource } from '../../operator/src/metrics/prometheus.js';
import { Exporter, startPrometheus, waitFor, type RunningPrometheus } from './operator-harness.js';

const MiB = 2 ** 20;
let exporter: Exporter;
let prom: RunningPrometheus;

beforeAll(async () => {
  exporter = new Exporter();
  const start = Date.now();
  exporter.set(
    {
      name: 'echo',
      namespace: 'openfaas-fn',
      rps: 20,
      latencySeconds: 0.08,
      errorShare: 0.1,
      pods: 2,
      cpuCoresPerPod: 0.25,
      memoryBytesPerPod: 100 * MiB,
    },
    start,
  );
  exporter.set(
    { name: 'echo-slow', namespace: 'openfaas-fn', rps: 4, latencySeconds: 0.7, pods: 1, cpuCoresPerPod: 0.5, memoryBytesPerPod: 50 * MiB },
    start,
  );
  exporter.set(
    { name: 'echo', namespace: 'team-b', rps: 2, latencySeconds: 0.02, pods: 1, cpuCoresPerPod: 0.1, memoryBytesPerPod: 10 * MiB },
    start,
  );
  await exporter.start();
  prom = await startPrometheus({ targets: [exporter.url] });
}, 30_000);

afterAll(async () => {
  await prom?.stop();
  await exporter?.stop();
});

const targets: FunctionTarget[] = [
  { name: 'echo', namespace: 'openfaas-fn', replicas: 2, readyReplicas: 2 },
  { name: 'echo-slow', namespace: 'openfaas-fn', replicas: 1, readyReplicas: 1 },
  { name: 'echo', namespace: 'team-b', replicas: 1, readyReplicas: 1 },
  // Known to the operator but never invoked: no series at all.
  { name: 'idle', namespace: 'openfaas-fn', replicas: 1, readyReplicas: 1 },
];

function within(got: number | null, want: number, rel: number): boolean {
  return got !== null && Math.abs(got - want) <= Math.abs(want) * rel;
}

describe('batched PromQL on a real Prometheus', () => {
  it('gives each function its own rates, latency histogram, CPU, memory and pod count', async () => {
    const src = {
      gateway: new PrometheusSource({ name: 'prometheus-a', url: prom.url }),
      cadvisor: new PrometheusSource({ name: 'prometheus-b', url: prom.url }),
    };
    // Wait until the series are older than one 5-s window (younger series are extrapolated less).
    // Prometheus 2.42 starts scraping up to ~5 s after it is ready (its discovery update throttle).
    const res = await waitFor('a full window of samples', async () => {
      if (exporter.scrapes < 7) return undefined;
      const r = await gatherWindows({ ...src, windowSeconds: 5, targets, atMs: Date.now() });
      const w = r.byKey.get('echo.openfaas-fn')!.window;
      return w.invocationsByCode && (w.invocationsByCode.get('200') ?? 0) > 50 && w.cpuCores !== null ? r : undefined;
    });
    expect(res.queries).toBe(9);
    expect(res.errors).toEqual([]);
    const echo = res.byKey.get('echo.openfaas-fn')!.window;
    const slow = res.byKey.get('echo-slow.openfaas-fn')!.window;
    const other = res.byKey.get('echo.team-b')!.window;
    // increase() over 5 s of a counter growing at 18 + 2 req/s; Prometheus extrapolates, so ±25 %.
    const checks = {
      echo200: within(echo.invocationsByCode!.get('200') ?? null, 18 * 5, 0.25),
      echo500: within(echo.invocationsByCode!.get('500') ?? null, 2 * 5, 0.25),
      // All of echo's requests sit at 80 ms: the 0.05 bucket is empty, the 0.1 bucket has them all.
      echoBucket:
        echo.latencyBuckets!.find((b) => b.le === 0.05)!.count === 0 &&
        within(echo.latencyBuckets!.find((b) => b.le === 0.1)!.count, 90, 0.25),
      echoMeanLatency: within(echo.latencySumSeconds! / echo.latencyCount!, 0.08, 0.01),
      // 2 pods × 0.25 cores; the container="" and "POD" series would add 1 % and a constant.
      echoCpu: within(echo.cpuCores, 0.5, 0.1),
      // Memory is a gauge: exact, and only the function's containers (2 × 100 MiB).
      echoMemory: echo.memoryBytes === 200 * MiB,
      echoPods: echo.podsReporting === 2,
      slowCpu: within(slow.cpuCores, 0.5, 0.1),
      // Same function name in another namespace stays apart.
      otherMemory: other.memoryBytes === 10 * MiB,
      otherRps: within(other.invocationsByCode!.get('200') ?? null, 10, 0.25),
    };
    if (!Object.values(checks).every(Boolean)) console.log(JSON.stringify({ echo, slow, other }, null, 1));
    expect(checks).toEqual(Object.fromEntries(Object.keys(checks).map((k) => [k, true])));
    // No series for a function that was never invoked: a named problem, not a zero.
    const idle = res.byKey.get('idle.openfaas-fn')!;
    expect({ traffic: idle.health.traffic, cpu: idle.window.cpuCores }).toEqual({ traffic: false, cpu: null });
  });

  it('reports a stopped Prometheus as unreachable for every function', async () => {
    const dead = await startPrometheus({ targets: [exporter.url] });
    await dead.stop();
    const src = new PrometheusSource({ name: 'prometheus-a', url: dead.url, timeoutMs: 2000 });
    const r = await gatherWindows({ gateway: src, cadvisor: src, windowSeconds: 5, targets, atMs: Date.now() });
    expect(r.errors.map((e) => [e.source, e.kind])).toEqual([['prometheus-a', 'unreachable']]);
    expect(r.byKey.get('echo.openfaas-fn')!.health.gatewaySourceError).toBeInstanceOf(PrometheusError);
  });
});
