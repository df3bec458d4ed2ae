/**
 * Turns a FunctionAutoscaler off the wire into the spec the controller acts on, with the api/
 * module's own defaulting and validation (the CRD is the single source of truth). The API server
 * has normally done both already; we do them again because a cluster may run an older CRD, and a
 * decision on an invalid spec would be wrong in ways no condition could explain.
 */
import { admitFunctionAutoscaler, invalidMessage } from '../api/validation.js';
import { parseQuantity } from '../api/quantity.js';
import type { FunctionAutoscalerSpec } from '../api/types.js';
import type { AutoscalerObject } from './kube.js';

export type SpecResult = { ok: true; spec: FunctionAutoscalerSpec } | { ok: false; message: string };

const cache = new WeakMap<AutoscalerObject, SpecResult>();

/** Memoized per object: the informer hands us a new object on every change. */
export function resolveSpec(obj: AutoscalerObject): SpecResult {
  const hit = cache.get(obj);
  if (hit) return hit;
  const { object, errors } = admitFunctionAutoscaler({ apiVersion: 'faas-autoscaler.dev/v1alpha1', kind: 'FunctionAutoscaler', ...obj, status: undefined });
  const result: SpecResult = errors.length > 0 ? { ok: false, message: invalidMessage(object, errors) } : { ok: true, spec: object.spec };
  cache.set(obj, result);
  return result;
}

/** A Kubernetes quantity ("100m", "0.5", "128Mi", 1) as a number; undefined when absent or unparsable. */
export function quantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  try {
    const n = parseQuantity(q);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
