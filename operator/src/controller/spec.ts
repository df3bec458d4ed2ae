/**
 * Turns a FunctionAutoscaler off the wire into the spec the controller acts on, with the api/
 * module's own defaulting and validation (the CRD is the single source of truth). The API server
 * has normally done both already; we do them again because a cluster may run an older CRD, and a
 * decision on an invalid spec would be wrong in ways no condition could explain.
 */
import { admitFunctionAutoscaler, invalidMessage } from '../api/validation.js';
import { parseQuantity } from '../api/quantity.js';
import { API_VERSION, type BoundedSpec, type BoundsStatus, type FunctionAutoscalerSpec } from '../api/types.js';
import type { AutoscalerObject } from './kube.js';

export type SpecResult = { ok: true; spec: FunctionAutoscalerSpec } | { ok: false; message: string };

/**
 * Memoized on the spec's JSON: the informer hands us a new object after every status write, but
 * the spec only changes with a user's edit, and validation (schema + CEL) costs ~0.5 ms.
 */
const cache = new Map<string, SpecResult>();
const CACHE_LIMIT = 20_000;

/** The same object again (no write since the last tick): no JSON at all. */
const byObject = new WeakMap<AutoscalerObject, SpecResult>();

export function resolveSpec(obj: AutoscalerObject): SpecResult {
  const known = byObject.get(obj);
  if (known) return known;
  const result = resolveSpecByJson(obj);
  byObject.set(obj, result);
  return result;
}

function resolveSpecByJson(obj: AutoscalerObject): SpecResult {
  const key = `${obj.metadata.name}\u0000${JSON.stringify(obj.spec ?? null)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { object, errors } = admitFunctionAutoscaler({
    apiVersion: API_VERSION,
    kind: 'FunctionAutoscaler',
    ...obj,
    status: undefined,
  });
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

/** OpenFaaS' labels on a function (faas-netes copies them onto its Deployment). */
export const OPENFAAS_SCALE_LABELS = {
  min: 'com.openfaas.scale.min',
  max: 'com.openfaas.scale.max',
  zero: 'com.openfaas.scale.zero',
  target: 'com.openfaas.scale.target',
  type: 'com.openfaas.scale.type',
} as const;

/** OpenFaaS' own defaults when neither the resource nor a label says (Pro: min 1, max 20). */
export const DEFAULT_BOUNDS = { min: 1, max: 20 } as const;

export type BoundsResult = { ok: true; spec: BoundedSpec; bounds: BoundsStatus } | { ok: false; message: string; bounds: BoundsStatus };

/**
 * The replica bounds in force. Precedence, for each bound: the FunctionAutoscaler's spec, then the
 * function's `com.openfaas.scale.*` label (`.zero=true` makes the lower bound 0), then OpenFaaS'
 * default (1 and 20). A label that is not a whole number in range is ignored, and `minFrom` /
 * `maxFrom` say so. Bounds that cross (from whichever source) are an error naming both sources.
 */
export function resolveBounds(spec: FunctionAutoscalerSpec, labels: Readonly<Record<string, string>> | undefined): BoundsResult {
  const l = labels ?? {};
  const whole = (key: string, min: number): { value?: number; note?: string } => {
    const raw = l[key];
    if (raw === undefined) return {};
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && raw.trim() !== ''
      ? { value: n }
      : { note: `label ${key}=${JSON.stringify(raw)} ignored: not a whole number >= ${min}` };
  };
  let minReplicas: number;
  let minFrom: string;
  if (spec.minReplicas !== undefined) [minReplicas, minFrom] = [spec.minReplicas, 'spec'];
  else if (l[OPENFAAS_SCALE_LABELS.zero] === 'true') [minReplicas, minFrom] = [0, `label ${OPENFAAS_SCALE_LABELS.zero}`];
  else {
    const label = whole(OPENFAAS_SCALE_LABELS.min, 0);
    [minReplicas, minFrom] =
      label.value !== undefined
        ? [label.value, `label ${OPENFAAS_SCALE_LABELS.min}`]
        : [DEFAULT_BOUNDS.min, label.note ? `default (${label.note})` : 'default'];
  }
  let maxReplicas: number;
  let maxFrom: string;
  if (spec.maxReplicas !== undefined) [maxReplicas, maxFrom] = [spec.maxReplicas, 'spec'];
  else {
    const label = whole(OPENFAAS_SCALE_LABELS.max, 1);
    [maxReplicas, maxFrom] =
      label.value !== undefined
        ? [label.value, `label ${OPENFAAS_SCALE_LABELS.max}`]
        : [DEFAULT_BOUNDS.max, label.note ? `default (${label.note})` : 'default'];
  }
  const bounds: BoundsStatus = { minReplicas, maxReplicas, minFrom, maxFrom };
  if (minReplicas > maxReplicas) {
    return {
      ok: false,
      bounds,
      message: `minReplicas ${minReplicas} (from ${minFrom}) is above maxReplicas ${maxReplicas} (from ${maxFrom})`,
    };
  }
  return { ok: true, spec: { ...spec, minReplicas, maxReplicas }, bounds };
}

/**
 * The openfaas-pro policy's `type` and `target` from the function's labels, where
 * spec.policy.params leaves them unset (OpenFaaS Pro reads the same labels).
 */
export function labelPolicyParams(policy: string, labels: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (policy !== 'openfaas-pro' || !labels) return {};
  const out: Record<string, unknown> = {};
  if (labels[OPENFAAS_SCALE_LABELS.type] !== undefined) out.type = labels[OPENFAAS_SCALE_LABELS.type];
  const target = Number(labels[OPENFAAS_SCALE_LABELS.target]);
  if (labels[OPENFAAS_SCALE_LABELS.target] !== undefined && Number.isFinite(target) && target > 0) out.target = target;
  return out;
}
