/**
 * A cAdvisor-style endpoint (the kubelet's `/metrics/cadvisor`) with the CPU and memory of every
 * function pod, labelled as the kubelet labels them: `namespace`, `pod`, `container`, `id`,
 * `image`, `name`. As on a real node each pod shows three series per metric:
 *
 *   container="<fn>"   the function's container (what autoscalers should read)
 *   container="POD"    the pause (sandbox) container, a few MiB and next to no CPU
 *   container=""       the pod-level cgroup, the sum of the two above
 *
 * so a query that forgets `container!=""` or `container!="POD"` double counts here as it would in a
 * cluster. The text exposition is written by hand: pods come and go with every scale, and a pod
 * that has ended must vanish from the output (its series go stale in Prometheus), which a
 * long-lived client-library registry would have to be told about one label set at a time.
 */
import { createServer, type Server } from 'node:http';
import type { FunctionRuntime } from './function-runtime.js';
import { baseUrl, closeServer, listen } from './http-server.js';

/** The pause container's working set and CPU rate (registry.k8s.io/pause: ~1 MiB, idle). */
const PAUSE_MEMORY_BYTES = 1024 * 1024;
const PAUSE_CPU_CORES = 0.00005;
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface CadvisorOptions {
  runtimes: ReadonlyMap<string, FunctionRuntime>;
  /** Container image of a function (from its Deployment). */
  image(name: string): string;
  /** Wall-clock now in ms (for the pause container's CPU). */
  now(): number;
  host?: string;
  port?: number;
}

interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Renders the two cAdvisor metrics for all pods of all runtimes. */
export function renderCadvisorMetrics(opts: Pick<CadvisorOptions, 'runtimes' | 'image' | 'now'>): string {
  const cpu: Series[] = [];
  const memory: Series[] = [];
  const now = opts.now();
  for (const runtime of opts.runtimes.values()) {
    const image = opts.image(runtime.name);
    for (const pod of runtime.podViews()) {
      const cgroup = `/kubepods/burstable/pod${pod.uid}`;
      const containerId = containerHash(`${pod.uid}/${runtime.name}`);
      const pauseId = containerHash(`${pod.uid}/pause`);
      const base = { namespace: runtime.namespace, pod: pod.name };
      const pauseCpu = ((now - pod.createdMs) / 1000) * PAUSE_CPU_CORES;
      const fnLabels = { ...base, container: runtime.name, id: `${cgroup}/${containerId}`, image, name: containerId };
      const pauseLabels = { ...base, container: 'POD', id: `${cgroup}/${pauseId}`, image: PAUSE_IMAGE, name: pauseId };
      const podLabels = { ...base, container: '', id: cgroup, image: '', name: '' };
      cpu.push(
        { labels: fnLabels, value: pod.cpuSeconds },
        { labels: pauseLabels, value: pauseCpu },
        { labels: podLabels, value: pod.cpuSeconds + pauseCpu },
      );
      memory.push(
        { labels: fnLabels, value: pod.memoryBytes },
        { labels: pauseLabels, value: PAUSE_MEMORY_BYTES },
        { labels: podLabels, value: pod.memoryBytes + PAUSE_MEMORY_BYTES },
      );
    }
  }
  return (
    family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.', cpu) +
    family('container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.', memory)
  );
}

function family(name: string, type: string, help: string, series: Series[]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  for (const s of series) {
    const labels = Object.keys(s.labels)
      .sort()
      .map((k) => `${k}="${escapeLabelValue(s.labels[k])}"`)
      .join(',');
    out += `${name}{${labels}} ${formatValue(s.value)}\n`;
  }
  return out;
}

/** Label values escape backslash, double quote and line feed (text format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** A 64-hex container id, stable for a pod and container. */
function containerHash(seed: string): string {
  let out = '';
  let h = 2166136261;
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
    h = Math.imul(h ^ round, 16777619);
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

export class CadvisorEndpoint {
  private readonly server: Server;

  constructor(private readonly opts: CadvisorOptions) {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://kubelet').pathname;
      req.resume();
      if (req.method !== 'GET' || (path !== '/metrics/cadvisor' && path !== '/metrics')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      const body = renderCadvisorMetrics(this.opts);
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) })
        .end(body);
    });
  }

  listen(): Promise<string> {
    return listen(this.server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0);
  }

  /** Base URL; metrics are at `${url}/metrics/cadvisor`. */
  get url(): string {
    return baseUrl(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}
