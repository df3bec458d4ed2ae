/**
 * The operator benchmark's cluster, in a child process of its own so that none of its CPU or memory
 * is counted as the operator's: the emulated Kubernetes API server, and a page with the gateway
 * and cAdvisor series of `functions` functions for Prometheus to scrape (counters growing with
 * real time at a fixed rate per function), and `POST /visible-changes?namespace=` on the same port:
 * how many FunctionAutoscalers' user-visible status changed since the last call. Prints one JSON
 * line: `{ "api": url, "exporter": host:port }`.
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

/**
 * What a user reads in a status (`kubectl get` columns, `kubectl describe`): all of it but the
 * observation, the decision's time and reason text, and the conditions' message texts.
 */
function visible(status: Record<string, unknown> | undefined): string {
  const {
    lastObservation: _o,
    lastDecision,
    conditions,
    ...rest
  } = (status ?? {}) as {
    lastObservation?: unknown;
    lastDecision?: { desiredReplicas?: number; rawDesiredReplicas?: number; limitedBy?: string };
    conditions?: Array<{ type: string; status: string; reason: string }>;
  };
  const decision = [lastDecision?.desiredReplicas, lastDecision?.rawDesiredReplicas, lastDecision?.limitedBy];
  const conds = (conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).sort();
  return JSON.stringify([Object.entries(rest).sort(), decision, conds]);
}

/** The FunctionAutoscalers of a namespace whose user-visible status changed since the last call. */
async function visibleChanges(api: string, namespace: string, last: Map<string, Map<string, string>>): Promise<number> {
  const res = await fetch(`${api}/apis/faas-autoscaler.dev/v1alpha1/namespaces/${namespace}/functionautoscalers`);
  if (!res.ok) throw new Error(`listing ${namespace}: HTTP ${res.status}`);
  const items = ((await res.json()) as { items: Array<{ metadata: { name: string }; status?: Record<string, unknown> }> }).items;
  const now = new Map(items.map((o) => [o.metadata.name, visible(o.status)]));
  const before = last.get(namespace) ?? new Map<string, string>();
  last.set(namespace, now);
  let changed = 0;
  for (const [name, v] of now) if (before.get(name) !== v) changed++;
  return changed;
}

async function main(): Promise<void> {
  const functions = Number(process.argv[2]);
  const namespaces = process.argv.slice(3);
  const startMs = Date.now();
  const seen = new Map<string, Map<string, string>>();
  const api = new KubeApiServer({ namespaces: ['default', 'openfaas-fn', ...namespaces], watchWindow: 50_000 });
  const apiUrl = await api.start();
  const exporter = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/visible-changes') {
      visibleChanges(apiUrl, url.searchParams.get('namespace') ?? '', seen).then(
        (changed) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ changed })),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
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
  console.log(JSON.stringify({ api: apiUrl, exporter: `127.0.0.1:${(exporter.address() as AddressInfo).port}` }));
}

if (process.argv[1]?.endsWith('operator-cluster.js')) await main();
