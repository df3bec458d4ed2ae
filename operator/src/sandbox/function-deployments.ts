/**
 * The function Deployments as the gateway (faas-netes) and the kube-state-metrics endpoint see
 * them: read from a cache, scaled through the Deployment's `/scale` subresource. Two sources:
 * the emulated API server in this process (`RegistryDeployments`), or a real kube-apiserver
 * (`ApiDeploymentController` in api-deployment-controller.ts).
 */
import { ApiError } from './kube-errors.js';
import type { Registry } from './kube-registry.js';
import { deployments, type KubeObject } from './kube-resources.js';

export interface FunctionDeployments {
  /** The functions namespace (faas-netes' `openfaas-fn`). */
  readonly namespace: string;
  /** Every Deployment in the namespace. */
  list(): KubeObject[];
  get(name: string): KubeObject | undefined;
  /** Writes spec.replicas through `/scale`, as faas-netes does for `/system/scale-function`. */
  scale(name: string, replicas: number): Promise<void>;
}

/** OpenFaaS CE's replica range (gateway/scaling/ranges.go, faas-netes' Deployment informer). */
export const CE_MIN_REPLICAS = 1;
export const CE_MAX_REPLICAS = 5;

/**
 * What OpenFaaS CE's faas-netes (0.18.10 and later, pkg/handlers/informers.go) does to a function
 * Deployment on add, update and every resync: spec.replicas 0 → 1 and > 5 → 5. Returns the
 * replicas it would write, or undefined when it leaves the Deployment alone (not a function, or
 * already within 1..5).
 */
export function ceClampedReplicas(d: KubeObject): number | undefined {
  if (d.metadata.labels?.faas_function === undefined) return undefined;
  const replicas = (d.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const clamped = Math.min(Math.max(replicas, CE_MIN_REPLICAS), CE_MAX_REPLICAS);
  return clamped === replicas ? undefined : clamped;
}

export class RegistryDeployments implements FunctionDeployments {
  constructor(
    private readonly registry: Registry,
    readonly namespace: string,
  ) {}

  list(): KubeObject[] {
    return this.registry.list(deployments, this.namespace).items;
  }

  get(name: string): KubeObject | undefined {
    try {
      return this.registry.get(deployments, this.namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  scale(name: string, replicas: number): Promise<void> {
    this.registry.updateScale({ type: deployments, namespace: this.namespace, name }, { spec: { replicas } });
    return Promise.resolve();
  }
}
