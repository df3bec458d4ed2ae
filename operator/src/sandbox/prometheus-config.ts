/**
 * The Prometheus configuration the sandbox writes to `DIR/prometheus.yml`: one server in both
 * roles of DESIGN.md §1, with one job per role:
 *
 *   openfaas-gateway     role A: the gateway's /metrics (gateway_* series), as OpenFaaS' own
 *                        Prometheus scrapes it
 *   kubernetes-cadvisor  role B: the kubelet's /metrics/cadvisor (container_* series), as a cluster
 *                        Prometheus scrapes it
 *   kube-state-metrics   role B: Deployment replicas and ready replicas (kube_deployment_* series),
 *                        which `faas-autoscaler record` reads
 *
 * The operator points `--prometheus-a-url` and `--prometheus-b-url` at the same server. The
 * default scrape interval is 1 s, so that the shortest control interval the CRD allows (5 s) still
 * has several samples in its `increase(...[5s])` window (in a cluster, 15 s scrapes go with 30 s+
 * intervals).
 */
import { stringify } from 'yaml';
import { KUBE_STATE_METRICS_JOB } from './kube-state-metrics.js';

export interface PrometheusConfigOptions {
  /** host:port of the gateway (role A). */
  gateway: string;
  /** host:port of the cAdvisor endpoint (role B). */
  cadvisor: string;
  /** host:port of the kube-state-metrics endpoint (role B), if served. */
  kubeStateMetrics?: string;
  scrapeIntervalSeconds: number;
}

export const GATEWAY_JOB = 'openfaas-gateway';
export const CADVISOR_JOB = 'kubernetes-cadvisor';
export { KUBE_STATE_METRICS_JOB };

export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  const interval = formatSeconds(opts.scrapeIntervalSeconds);
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      { job_name: GATEWAY_JOB, metrics_path: '/metrics', static_configs: [{ targets: [opts.gateway], labels: { role: 'A' } }] },
      { job_name: CADVISOR_JOB, metrics_path: '/metrics/cadvisor', static_configs: [{ targets: [opts.cadvisor], labels: { role: 'B' } }] },
      ...(opts.kubeStateMetrics
        ? [
            {
              job_name: KUBE_STATE_METRICS_JOB,
              metrics_path: '/metrics',
              static_configs: [{ targets: [opts.kubeStateMetrics], labels: { role: 'B' } }],
            },
          ]
        : []),
    ],
  };
  return `# Written by \`faas-autoscaler sandbox\`: role A (gateway) and role B (cAdvisor) in one server.\n${stringify(config)}`;
}

/** A Prometheus duration in whole milliseconds: `1s`, `500ms`, `1500ms`. */
function formatSeconds(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
