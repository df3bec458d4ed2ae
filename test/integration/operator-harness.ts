/**
 * Real parts for the operator's integration tests and benchmark:
 *
 *  - `startExporter`: a local HTTP endpoint serving gateway- and cAdvisor-shaped metrics for a set
 *    of functions whose load the test changes at will. Counters grow with real time at the current
 *    rate, so `increase()` over a window sees exactly that rate (up to Prometheus' extrapolation).
 *    Pod names follow a Deployment's (`<fn>-<replicaset hash>-<pod id>`), with the pod-level
 *    aggregate (container="") and the pause container (container="POD") that real cAdvisor also
 *    exports, so the queries' filters are exercised.
 *  - `startPrometheus`: the Debian `prometheus` binary on 127.0.0.1, own config and temp TSDB,
 *    1-s scrapes of the exporter.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort as freePortOn, startPrometheus as startPrometheusProcess } from '../../operator/src/sandbox/prometheus-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExportedFunction {
  name: string;
  namespace: string;
  rps: number;
  /** Seconds; every request lands in the first bucket >= this. */
  latencySeconds: number;
  /** Share of requests answered 500. */
  errorShare?: number;
  pods: number;
  cpuCoresPerPod: number;
  memoryBytesPerPod: number;
}

interface FunctionState extends ExportedFunction {
  /** Accumulated at the last load change. */
  requests: number;
  cpuSeconds: number;
  since: number;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Exporter {
  private readonly fns = new Map<string, FunctionState>();
  server!: Server;
  url = '';
  scrapes = 0;

  set(fn: ExportedFunction, now = Date.now()): void {
    const key = `${fn.name}.${fn.namespace}`;
    const old = this.fns.get(key);
    const acc = old ? this.accumulated(old, now) : { requests: 0, cpuSeconds: 0 };
    this.fns.set(key, { ...fn, ...acc, since: now });
  }

  private accumulated(s: FunctionState, now: number): { requests: number; cpuSeconds: number } {
    const dt = (now - s.since) / 1000;
    return { requests: s.requests + s.rps * dt, cpuSeconds: s.cpuSeconds + s.cpuCoresPerPod * dt };
  }

  /** The exposition text at `now` (also used by the benchmark to backfill). */
  render(now = Date.now()): string {
    const lines: string[] = [
      '# TYPE gateway_function_invocation_total counter',
      '# TYPE gateway_function_invocation_started counter',
      '# TYPE gateway_functions_seconds histogram',
      '# TYPE gateway_service_count gauge',
      '# TYPE container_cpu_usage_seconds_total counter',
      '# TYPE container_memory_working_set_bytes gauge',
    ];
    for (const s of this.fns.values()) {
      const fn = `${s.name}.${s.namespace}`;
      const { requests, cpuSeconds } = this.accumulated(s, now);
      const errors = requests * (s.errorShare ?? 0);
      const ok = requests - errors;
      lines.push(`gateway_function_invocation_total{function_name="${fn}",code="200"} ${ok}`);
      if (s.errorShare) lines.push(`gateway_function_invocation_total{function_name="${fn}",code="500"} ${errors}`);
      lines.push(`gateway_function_invocation_started{function_name="${fn}"} ${requests}`);
      for (const le of BUCKETS)
        lines.push(`gateway_functions_seconds_bucket{function_name="${fn}",code="200",le="${le}"} ${le >= s.latencySeconds ? ok : 0}`);
      lines.push(`gateway_functions_seconds_bucket{function_name="${fn}",code="200",le="+Inf"} ${ok}`);
      lines.push(`gateway_functions_seconds_sum{function_name="${fn}",code="200"} ${ok * s.latencySeconds}`);
      lines.push(`gateway_functions_seconds_count{function_name="${fn}",code="200"} ${ok}`);
      lines.push(`gateway_service_count{function_name="${fn}"} ${s.pods}`);
      for (let p = 0; p < s.pods; p++) {
        const pod = `${s.name}-7d9f8c6b5-p${String(p).padStart(4, '0')}`;
        const base = `namespace="${s.namespace}",pod="${pod}"`;
        lines.push(`container_cpu_usage_seconds_total{${base},container="${s.name}"} ${cpuSeconds}`);
        // cAdvisor's pod-level cgroup (container="") and the pause container: must not be counted.
        lines.push(`container_cpu_usage_seconds_total{${base},container=""} ${cpuSeconds * 1.01}`);
        lines.push(`container_cpu_usage_seconds_total{${base},container="POD"} 0.001`);
        lines.push(`container_memory_working_set_bytes{${base},container="${s.name}"} ${s.memoryBytesPerPod}`);
        lines.push(`container_memory_working_set_bytes{${base},container=""} ${s.memoryBytesPerPod + 1e6}`);
        lines.push(`container_memory_working_set_bytes{${base},container="POD"} 500000`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A free port on 127.0.0.1 (the sandbox's helper). */
export const freePort = (): Promise<number> => freePortOn('127.0.0.1');

export interface RunningPrometheus {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Kills Prometheus (SIGKILL: it must look like a crash to the operator). */
  kill(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

/**
 * The real Prometheus (operator/src/sandbox/prometheus-process.ts starts it) scraping `targets`
 * every `scrapeSeconds`; resolves when /-/ready answers 200.
 */
export async function startPrometheus(opts: { targets: string[]; scrapeSeconds?: number; dataDir?: string }): Promise<RunningPrometheus> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fa-prom-'));
  const scrape = opts.scrapeSeconds ?? 1;
  const config = [
    'global:',
    `  scrape_interval: ${scrape}s`,
    `  evaluation_interval: ${scrape}s`,
    'scrape_configs:',
    '  - job_name: exporter',
    `    scrape_interval: ${scrape}s`,
    `    scrape_timeout: ${Math.max(Math.round(scrape * 900), 500)}ms`,
    '    static_configs:',
    `      - targets: [${opts.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const prom = await startPrometheusProcess({
    configFile: join(dir, 'prometheus.yml'),
    dataDir: join(dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    logFile: join(dir, 'prometheus.log'),
  });
  const kill = (): Promise<void> => prom.stop(0);
  return {
    url: prom.url,
    dataDir: dir,
    process: prom.child,
    kill,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` every 200 ms until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
