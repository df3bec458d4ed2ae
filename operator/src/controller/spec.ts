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

/**
 * Memoized on the spec's JSON: the informer hands us a new object after every status write, but
 * the spec only changes with a user's edit, and validation (schema + CEL) costs ~0.5 ms.
 */
const cache = new Map<string, SpecResult>();
const CACHE_LIMIT = 20_000;

export function resolveSpec(obj: AutoscalerObject): SpecResult {
  const key = `${obj.metadata.name}\u0000${JSON.stringify(obj.spec ?? null)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { object, errors } = admitFunctionAutoscaler({ apiVersion: 'faas-autoscaler.dev/v1alpha1', kind: 'FunctionAutoscaler', ...obj, status: undefined });
  const result: SpecResult = errors.length > 0 ? { ok: false, message: invalidMessage(object, errors) } : { ok: true, spec: object.spec };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
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
