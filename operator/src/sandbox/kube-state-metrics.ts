/**
 * A kube-state-metrics-shaped endpoint for the sandbox: the Deployment series `record` reads for
 * replicas and ready replicas (kube-state-metrics v2 names and labels), rendered from the function
 * Deployments (emulated or real API server) at scrape time:
 *
 *   kube_deployment_spec_replicas{namespace,deployment}              spec.replicas
 *   kube_deployment_status_replicas{namespace,deployment}            status.replicas
 *   kube_deployment_status_replicas_ready{namespace,deployment}      status.readyReplicas
 *   kube_deployment_status_replicas_available{namespace,deployment}  status.availableReplicas
 *
 * The Deployment controller (deployments.ts) updates status.readyReplicas the moment a cold start
 * ends, so the ready series steps up at the first scrape after it, as it would in a cluster.
 * Served on its own port and scraped as its own job, like the real kube-state-metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeLabelValue } from './cadvisor.js';
import type { FunctionDeployments } from './function-deployments.js';

export const KUBE_STATE_METRICS_JOB = 'kube-state-metrics';

export interface KubeStateMetricsOptions {
  /** The Deployments exported (those of the functions namespace). */
  deployments: FunctionDeployments;
  host?: string;
  port?: number;
}

const FAMILIES: ReadonlyArray<{ name: string; help: string; value: (d: DeploymentView) => number }> = [
  { name: 'kube_deployment_spec_replicas', help: 'Number of desired pods for a deployment.', value: (d) => d.spec },
  { name: 'kube_deployment_status_replicas', help: 'The number of replicas per deployment.', value: (d) => d.replicas },
  { name: 'kube_deployment_status_replicas_ready', help: 'The number of ready replicas per deployment.', value: (d) => d.ready },
  {
    name: 'kube_deployment_status_replicas_available',
    help: 'The number of available replicas per deployment.',
    value: (d) => d.available,
  },
];

interface DeploymentView {
  namespace: string;
  name: string;
  spec: number;
  replicas: number;
  ready: number;
  available: number;
}

/** The exposition text (format 0.0.4) for the Deployments of the functions namespace. */
export function renderKubeStateMetrics(source: FunctionDeployments): string {
  const views: DeploymentView[] = [];
  for (const d of source.list()) {
    const spec = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    // The API server leaves zero counts out of status (omitempty): absent means 0.
    const status = (d.status ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number };
    views.push({
      namespace: source.namespace,
      name: d.metadata.name!,
      spec,
      replicas: status.replicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
    });
  }
  let out = '';
  for (const f of FAMILIES) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`;
    for (const v of views)
      out += `${f.name}{namespace="${escapeLabelValue(v.namespace)}",deployment="${escapeLabelValue(v.name)}"} ${f.value(v)}\n`;
  }
  return out;
}

export class KubeStateMetricsEndpoint {
  private readonly server: Server;

  constructor(private readonly opts: KubeStateMetricsOptions) {
    this.server = createServer((req, res) => {
      req.resume();
      const path = new URL(req.url ?? '/', 'http://ksm').pathname;
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      const body = renderKubeStateMetrics(this.opts.deployments);
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) })
        .end(body);
    });
  }

  /** Listens (port 0: a free one) and returns the base URL; metrics are at `${url}/metrics`. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
