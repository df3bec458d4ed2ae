/**
 * The three patch formats of PATCH requests:
 *  - JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge, `null` deletes,
 *    anything else (lists included) replaces.
 *  - JSON patch (RFC 6902, `application/json-patch+json`): add/remove/replace/move/copy/test.
 *  - Strategic merge patch (`application/strategic-merge-patch+json`, built-in kinds only): a merge
 *    patch where lists of objects with a known merge key (containers by `name`, ...) merge item by
 *    item. Subset: the `$patch: replace|delete` directive on maps and list items is honoured,
 *    `$setElementOrder/...`, `$retainKeys` and `$deleteFromPrimitiveList/...` are accepted and ignored.
 */
import { ApiError } from './kube-errors.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keys are data, as in the API server: `__proto__` or `constructor` in a patch or a pointer name a
 * field like any other, never an object's prototype (reading follows own properties only, writing
 * defines an own property).
 */
function own(obj: JsonObject, key: string): Json {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function setOwn(obj: JsonObject, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386. Returns a new value; `target` is not modified. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, mergePatch(own(result, key), value));
  }
  return result;
}

/** Why a JSON patch could not be applied; the API server answers 422 (or 400 for a malformed one). */
function patchFailed(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new ApiError(400, 'BadRequest', `invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, path: string[], op: string): { parent: JsonObject | Json[]; key: string } {
  let node = doc;
  for (const part of path.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = own(node, part);
    else node = undefined;
    if (node === undefined) throw patchFailed(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  }
  if (!Array.isArray(node) && !isObject(node)) throw patchFailed(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  return { parent: node, key: path[path.length - 1] };
}

function getAt(doc: Json, path: string[], op: string): Json {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path, op);
  const value = Array.isArray(parent) ? parent[Number(key)] : own(parent, key);
  if (value === undefined) throw patchFailed(`${op} operation does not apply: doc is missing path: /${path.join('/')}`);
  return value;
}

function removeAt(doc: Json, path: string[], op: string): Json {
  const value = getAt(doc, path, op);
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return value;
}

function addAt(doc: Json, path: string[], value: Json, how: { op: string; replace: boolean }): Json {
  const { op, replace } = how;
  if (path.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length - (replace ? 1 : 0)) {
      throw patchFailed(`${op} operation does not apply: index out of range: /${path.join('/')}`);
    }
    parent.splice(index, replace ? 1 : 0, structuredClone(value));
  } else {
    if (replace && !Object.hasOwn(parent, key))
      throw patchFailed(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
    setOwn(parent, key, structuredClone(value));
  }
  return doc;
}

interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: Json;
  from?: string;
}

/** RFC 6902. Returns a new document. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    const path = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, path, raw.value, { op: 'add', replace: false });
        break;
      case 'replace':
        doc = addAt(doc, path, raw.value, { op: 'replace', replace: true });
        break;
      case 'remove':
        removeAt(doc, path, 'remove');
        break;
      case 'move': {
        const value = removeAt(doc, parsePointer(raw.from ?? ''), 'move');
        doc = addAt(doc, path, value, { op: 'move', replace: false });
        break;
      }
      case 'copy':
        doc = addAt(doc, path, getAt(doc, parsePointer(raw.from ?? ''), 'copy'), { op: 'copy', replace: false });
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path, 'test')) !== JSON.stringify(raw.value)) {
          throw patchFailed(`testing value /${path.join('/')} failed: test failed`);
        }
        break;
      default:
        throw new ApiError(400, 'BadRequest', `Unexpected kind: ${String((raw as { op: unknown }).op)}`);
    }
  }
  return doc;
}

/**
 * Merge keys of the built-in lists we serve (from the `patchMergeKey` tags of k8s.io/api), keyed
 * by field name. Lists not named here are replaced whole, as atomic lists are.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
};

function isDirective(key: string): boolean {
  return key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/');
}

/** Strategic merge patch for built-in kinds (subset described in the module comment). */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (isDirective(key)) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && Object.hasOwn(MERGE_KEYS, key) && Array.isArray(own(result, key))) {
      setOwn(result, key, mergeList(own(result, key) as Json[], value, MERGE_KEYS[key], key));
    } else {
      const merged = strategicMergePatch(own(result, key), value);
      if (merged === undefined) delete result[key];
      else setOwn(result, key, merged);
    }
  }
  return result;
}

function mergeList(current: Json[], patch: Json[], mergeKey: string, field: string): Json[] {
  const result = structuredClone(current);
  for (const item of patch) {
    if (!isObject(item) || item[mergeKey] === undefined) {
      throw new ApiError(400, 'BadRequest', `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey} (in ${field})`);
    }
    const at = result.findIndex((c) => isObject(c) && c[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (at >= 0) result.splice(at, 1);
    } else if (at >= 0) {
      result[at] = strategicMergePatch(result[at], item);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !isDirective(k))
      .map(([k, v]) => [k, stripDirectives(v)]),
  );
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Applies a PATCH body of the given content type (no parameters) to `target`. */
export function applyPatch(target: Json, contentType: string, body: Json, allowStrategic: boolean): Json {
  switch (contentType) {
    case PATCH_TYPES.merge:
      return mergePatch(target, body);
    case PATCH_TYPES.json:
      return jsonPatch(target, body);
    case PATCH_TYPES.strategic:
      if (allowStrategic) return strategicMergePatch(target, body);
      break;
  }
  const accepted: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge];
  if (allowStrategic) accepted.push(PATCH_TYPES.strategic);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}
