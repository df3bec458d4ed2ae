/** Shared setup for the sandbox API server integration tests: a started server and client-node APIs on it. */
import { ApiException, AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer, type KubeApiServerOptions } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';

export interface Cluster {
  kube: KubeApiServer;
  kc: KubeConfig;
  custom: CustomObjectsApi;
  apps: AppsV1Api;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export async function startCluster(opts: KubeApiServerOptions = {}): Promise<Cluster> {
  const kube = new KubeApiServer(opts);
  const url = await kube.start();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml({ server: url }));
  return {
    kube,
    kc,
    custom: kc.makeApiClient(CustomObjectsApi),
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

/** The Status object of a failed call (code, reason, message, details), or a failure if it did not fail. */
export async function statusOf(
  call: Promise<unknown>,
): Promise<{ code: number; reason?: string; message?: string; details?: Record<string, unknown> }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, reason: body?.reason, message: body?.message, details: body?.details };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Resolves once `predicate` holds, checking after each turn of the event loop (I/O, not time). */
export async function eventually(predicate: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const FAS = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' } as const;

export function fasBody(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'faas-autoscaler.dev/v1alpha1',
    kind: 'FunctionAutoscaler',
    metadata: { name },
    spec: { functionName: name, maxReplicas: 10, slo: { p95LatencyMs: 300 }, ...spec },
  };
}

export function deploymentBody(name: string, replicas = 1): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { faas_function: name } },
    spec: {
      replicas,
      selector: { matchLabels: { faas_function: name } },
      template: {
        metadata: { labels: { faas_function: name } },
        spec: { containers: [{ name, image: `ghcr.io/openfaas/${name}:latest` }] },
      },
    },
  };
}
