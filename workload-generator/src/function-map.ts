/**
 * Which OpenFaaS function receives a trace function's traffic.
 *
 * `--map traceFn=openfaasFn,...`: the left side is anything `--function` accepts for one function
 * (a hash/id, `row:N`, `rank:N`) or `*` for every selected function without an entry of its own.
 * Unmapped functions get a default name (see `defaultFunctionName`). Requests go to
 * `<gateway>/function/<openfaasFn>`; `name.namespace` is allowed, as the gateway accepts it.
 */
import { InputError } from '#kernel/input-error.js';

/** OpenFaaS names are DNS-1123 labels; the gateway also takes `name.namespace`. */
const OPENFAAS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;
const HASH_LIKE = /^[0-9a-f]{16,}$/i;

/**
 * Default rule: `fn-` followed by each `/`-separated part of the trace id, where a hash-like part
 * (16+ hex digits, as in the Azure traces) is cut to its first 8 digits and anything else is
 * lower-cased with characters outside [a-z0-9-] turned into `-`; cut to 63 characters.
 * Examples: 2019 hash `0f18b823c1f7…` → `fn-0f18b823`; 2021 `7b2c43a2…/e3cdb488…` →
 * `fn-7b2c43a2-e3cdb488`; JSON file `request_count_raw` → `fn-request-count-raw`.
 */
export function defaultFunctionName(traceId: string): string {
  const parts = traceId
    .split('/')
    .map((p) => (HASH_LIKE.test(p) ? p.slice(0, 8).toLowerCase() : p.toLowerCase().replace(/[^a-z0-9-]+/g, '-')));
  const name = `fn-${parts.join('-')}`.replace(/-+/g, '-').slice(0, 63).replace(/-+$/, '');
  return name;
}

export interface FunctionTarget {
  traceId: string;
  openfaasName: string;
}

/**
 * Resolve the OpenFaaS name of each selected trace function. `resolve` turns a `--map` key into a
 * trace function id (it throws InputError for an unknown selector).
 */
export function resolveTargets(
  selectedIds: readonly string[],
  mapText: string | undefined,
  resolve: (key: string) => string,
): FunctionTarget[] {
  const explicit = new Map<string, string>();
  let wildcard: string | undefined;
  const selected = new Set(selectedIds);
  for (const entry of (mapText ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const eq = entry.lastIndexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw new InputError(`--map: "${entry}" is not traceFn=openfaasFn (traceFn: hash, row:N, rank:N or *)`);
    }
    const key = entry.slice(0, eq).trim();
    const name = entry.slice(eq + 1).trim();
    if (!OPENFAAS_NAME.test(name)) {
      throw new InputError(`--map: "${name}" is not an OpenFaaS function name (lower-case letters, digits and '-', optionally .namespace)`);
    }
    if (key === '*') {
      wildcard = name;
      continue;
    }
    const id = resolve(key);
    if (!selected.has(id)) throw new InputError(`--map: trace function ${key} (${id}) is not selected by --function`);
    if (explicit.has(id)) throw new InputError(`--map: trace function ${key} (${id}) is mapped twice`);
    explicit.set(id, name);
  }
  const targets = selectedIds.map((id) => ({ traceId: id, openfaasName: explicit.get(id) ?? wildcard ?? defaultFunctionName(id) }));
  // Two functions silently sharing a default name would merge their traffic; an explicit --map
  // may do that on purpose, a default never does.
  const byDefault = new Map<string, string>();
  for (const t of targets) {
    if (explicit.has(t.traceId) || wildcard !== undefined) continue;
    const other = byDefault.get(t.openfaasName);
    if (other !== undefined) {
      throw new InputError(`--map: trace functions ${other} and ${t.traceId} both default to ${t.openfaasName}; map them explicitly`);
    }
    byDefault.set(t.openfaasName, t.traceId);
  }
  return targets;
}
