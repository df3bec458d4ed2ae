/**
 * The operator benchmark's cluster, in a child process of its own so that none of its CPU or memory
 * is counted as the operator's: the emulated Kubernetes API server, and a page with the gateway
 * and cAdvisor series of `functions` functions for Prometheus to scrape (counters growing with
 * real time at a fixed rate per function). Prints one JSON line: `{ "api": url, "exporter": host:port }`.
 *
 * Usage: node dist/bench/operator-cluster.js <functions> <namespace>...
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApiServer } from '../operator/src/sandbox/kube-api.js';

const MiB = 2 ** 20;
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

export const functionName = (i: number): string => `f${String(i).padStart(5, '0')}`;

/**
 * One function's series at `t` seconds since the start: a fixed rate of 1..50 requests per second,
 * and CPU of 1 ms per request (at most half the 100m request). The page does not know the
 * replicas, so the CPU per pod it reports does not fall when a function is scaled out; kept below
 * every target, it leaves the CPU-driven policies settled instead of scaling up every tick.
 */
function seriesOf(i: number, t: number, out: string[]): void {
  const name = functionName(i);
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
  const base = `namespace="openfaas-fn",pod="${name}-6c8f7d9b4-p0001"`;
  out.push(`container_cpu_usage_seconds_total{${base},container="${name}"} ${t * 0.001 * rps}`);
  out.push(`container_cpu_usage_seconds_total{${base},container="POD"} ${t * 0.0001}`);
  out.push(`container_cpu_usage_seconds_total{${base},container=""} ${t * 0.001 * rps + t * 0.0001}`);
  out.push(`container_memory_working_set_bytes{${base},container="${name}"} ${(40 + (i % 20)) * MiB}`);
  out.push(`container_memory_working_set_bytes{${base},container="POD"} ${0.5 * MiB}`);
  out.push(`container_memory_working_set_bytes{${base},container=""} ${(40.5 + (i % 20)) * MiB}`);
}

async function main(): Promise<void> {
  const functions = Number(process.argv[2]);
  const namespaces = process.argv.slice(3);
  const startMs = Date.now();
  const exporter = createServer((_req, res) => {
    const t = (Date.now() - startMs) / 1000;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    // Written in chunks: the page for 10,000 functions is about 30 MB.
    const chunk = 500;
    for (let from = 0; from < functions; from += chunk) {
      const out: string[] = [];
      for (let i = from; i < Math.min(functions, from + chunk); i++) seriesOf(i, t, out);
      res.write(`${out.join('\n')}\n`);
    }
    res.end();
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
  const api = new KubeApiServer({ namespaces: ['default', 'openfaas-fn', ...namespaces], watchWindow: 50_000 });
  const url = await api.start();
  console.log(JSON.stringify({ api: url, exporter: `127.0.0.1:${(exporter.address() as AddressInfo).port}` }));
}

if (process.argv[1]?.endsWith('operator-cluster.js')) await main();
