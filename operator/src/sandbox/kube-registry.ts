/**
 * The API semantics of the emulated server, independent of HTTP: create / get / list / update /
 * patch / delete / watch of any served kind, the status and scale subresources, optimistic
 * concurrency on metadata.resourceVersion, generation bookkeeping, admission (defaults, schema,
 * CEL), finalizers, namespaces and CRDs. kube-api.ts maps HTTP requests onto this; in-process
 * code (the Deployment controller, tests) may call it directly.
 */
import { randomUUID } from 'node:crypto';
import type { CustomResourceDefinition } from '../api/crd.js';
import { invalid as fieldInvalid, required as fieldRequired, type FieldError } from '../api/field-errors.js';
import type { Clock } from '#kernel/clock.js';
import { isDeepStrictEqual } from 'node:util';
import { alreadyExists, ApiError, badRequest, conflict, expired, invalid, notFound } from './kube-errors.js';
import { applyPatch } from './kube-patch.js';
import {
  apiVersionOf,
  BUILTIN_RESOURCES,
  customResourceDefinitions,
  namespaces,
  resourceFromCrd,
  resourceKey,
  type KubeObject,
  type ResourceType,
} from './kube-resources.js';
import { parseFieldSelector, parseLabelSelector } from './kube-selectors.js';
import type { EventType, ObjectStore, StoredEvent } from './kube-store.js';

/** Which object a write is about. */
export interface ObjectRef {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** `Strict` rejects unknown fields (400), `Warn` (default) and `Ignore` prune them. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Collects Warning headers for the response. */
  warnings?: string[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type Subresource = 'status' | undefined;

export type WatchSink = (type: EventType, object: KubeObject) => void;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function equalIgnoringVersion(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return isDeepStrictEqual(strip(a), strip(b));
}

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((n, k) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[k] : undefined), obj);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}

export class Registry {
  private readonly types = new Map<string, ResourceType>();

  constructor(
    readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {
    for (const t of BUILTIN_RESOURCES) this.types.set(resourceKey(t), t);
  }

  /** Served kinds, built-in first, then custom resources in the order their CRDs arrived. */
  resourceTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    const t = this.types.get(resourceKey({ group, plural }));
    return t && t.version === version ? t : undefined;
  }

  // ---- reads ---------------------------------------------------------------------------------

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(resourceKey(type), namespace, name);
    if (!obj) throw notFound(type, name);
    return this.withTypeMeta(type, obj);
  }

  list(type: ResourceType, namespace: string | undefined, opts: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const current = this.store.resourceVersion();
    if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const requested = this.parseResourceVersion(opts.resourceVersion);
      // No snapshots are kept: an exact read is possible only at the current version.
      if (opts.resourceVersionMatch === 'Exact' && requested !== current) throw expired(requested, current);
      if (requested > current) {
        throw new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, { retryAfterSeconds: 1 });
      }
    }
    const label = parseLabelSelector(opts.labelSelector);
    const field = parseFieldSelector(opts.fieldSelector, type.fieldSelectors);
    const items = this.store
      .list(resourceKey(type), namespace)
      .filter((o) => label(o) && field(o))
      .map((o) => this.withTypeMeta(type, o));
    return { items, resourceVersion: String(current) };
  }

  /**
   * Starts a watch: events after `resourceVersion` (410 Expired when older than the window), or,
   * without one, ADDED for every current object first. Returns a function that stops it.
   */
  watch(type: ResourceType, namespace: string | undefined, opts: ListOptions, sink: WatchSink): () => void {
    const key = resourceKey(type);
    const label = parseLabelSelector(opts.labelSelector);
    const field = parseFieldSelector(opts.fieldSelector, type.fieldSelectors);
    const matches = (o: KubeObject): boolean => (namespace === undefined || o.metadata.namespace === namespace) && label(o) && field(o);
    const deliver = (e: StoredEvent): void => {
      if (e.resource !== key) return;
      const now = matches(e.object);
      const was = e.type === 'MODIFIED' && e.previous ? matches(e.previous) : now;
      // An object that starts or stops matching the selectors is ADDED or DELETED for this watch.
      const type2: EventType | undefined =
        e.type !== 'MODIFIED' ? (now ? e.type : undefined) : was && now ? 'MODIFIED' : now ? 'ADDED' : was ? 'DELETED' : undefined;
      if (type2) sink(type2, this.withTypeMeta(type, structuredClone(e.object)));
    };
    if (!opts.resourceVersion || opts.resourceVersion === '0') {
      for (const obj of this.store.list(key, namespace)) if (matches(obj)) sink('ADDED', this.withTypeMeta(type, obj));
    } else {
      for (const e of this.store.eventsAfter(key, this.parseResourceVersion(opts.resourceVersion))) deliver(e);
    }
    return this.store.subscribe(deliver);
  }

  // ---- writes --------------------------------------------------------------------------------

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): KubeObject {
    const obj = this.checkBody(type, namespace, body);
    if (obj.metadata.resourceVersion)
      throw new ApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + this.randomSuffix();
    this.validateName(type, obj);
    if (type.namespaced && !this.store.get(resourceKey(namespaces), undefined, namespace!)) throw notFound(namespaces, namespace!);
    if (this.store.get(resourceKey(type), namespace, obj.metadata.name!)) throw alreadyExists(type, obj.metadata.name!);
    type.prepareForCreate(obj);
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields'] as const) delete obj.metadata[k];
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = rfc3339(this.clock.now());
    if (type.hasGeneration) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    this.admit(type, obj, undefined, opts);
    if (opts.dryRun) return obj;
    const created = this.store.write(resourceKey(type), 'ADDED', obj);
    if (type === customResourceDefinitions) this.established(created as unknown as CustomResourceDefinition);
    return this.withTypeMeta(type, created);
  }

  update(ref: ObjectRef, body: unknown, opts: WriteOptions = {}, subresource?: Subresource): KubeObject {
    const { type, namespace, name } = ref;
    const obj = this.checkBody(type, namespace, body);
    if (obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    const current = this.store.get(resourceKey(type), namespace, name);
    if (!current) throw notFound(type, name);
    this.checkPrecondition(type, current, obj.metadata.resourceVersion);
    let next: KubeObject;
    if (subresource === 'status') {
      // Only status changes; everything else stays as stored.
      next = structuredClone(current);
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
    } else {
      next = obj;
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) {
        if (current.metadata[k] === undefined) delete next.metadata[k];
        else next.metadata[k] = current.metadata[k] as never;
      }
      // With a status subresource, the main resource ignores status changes.
      if (type.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
    }
    this.admit(type, next, current, opts);
    if (type.hasGeneration && subresource !== 'status' && type.specChanged(current, next)) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    const result = this.commit(type, current, next, opts);
    if (type === customResourceDefinitions && subresource !== 'status' && !opts.dryRun) {
      const served = resourceFromCrd(result as unknown as CustomResourceDefinition);
      this.types.set(resourceKey(served), served);
    }
    return result;
  }

  patch(ref: ObjectRef, change: { contentType: string; patch: unknown }, opts: WriteOptions = {}, subresource?: Subresource): KubeObject {
    const { type, namespace, name } = ref;
    const { contentType, patch } = change;
    const current = this.get(type, namespace, name);
    const patched = applyPatch(current, contentType, patch, type.strategicMergePatch);
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
    const obj = patched as KubeObject;
    obj.metadata ??= {};
    // A patch is unconditional unless it names a resourceVersion itself.
    obj.metadata.resourceVersion ??= current.metadata.resourceVersion;
    return this.update({ type, namespace, name }, obj, opts, subresource);
  }

  delete(ref: ObjectRef, options: DeleteOptions = {}, opts: WriteOptions = {}): KubeObject {
    const { type, namespace, name } = ref;
    const current = this.store.get(resourceKey(type), namespace, name);
    if (!current) throw notFound(type, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return this.withTypeMeta(type, current);
    if (current.metadata.finalizers?.length) {
      // Finalizers hold the object: it is only marked; it goes when the last finalizer is removed.
      if (current.metadata.deletionTimestamp) return this.withTypeMeta(type, current);
      const marked = structuredClone(current);
      marked.metadata.deletionTimestamp = rfc3339(this.clock.now());
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (type.hasGeneration) marked.metadata.generation = (current.metadata.generation ?? 0) + 1;
      return this.withTypeMeta(type, this.store.write(resourceKey(type), 'MODIFIED', marked, current));
    }
    return this.remove(type, current);
  }

  private remove(type: ResourceType, current: KubeObject): KubeObject {
    const deleted = this.store.write(resourceKey(type), 'DELETED', current);
    if (type === namespaces) {
      for (const t of this.types.values()) {
        if (!t.namespaced) continue;
        for (const obj of this.store.list(resourceKey(t), current.metadata.name)) this.store.write(resourceKey(t), 'DELETED', obj);
      }
    }
    if (type === customResourceDefinitions) this.uninstall(current as unknown as CustomResourceDefinition);
    return this.withTypeMeta(type, deleted);
  }

  // ---- scale subresource ---------------------------------------------------------------------

  getScale(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.scaleOf(type, this.get(type, namespace, name));
  }

  updateScale(ref: ObjectRef, body: unknown, opts: WriteOptions = {}): KubeObject {
    const { type, namespace, name } = ref;
    const scale = body as { metadata?: { name?: string; resourceVersion?: string }; spec?: { replicas?: unknown } };
    if (scale?.metadata?.name !== undefined && scale.metadata.name !== name) {
      throw badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
    }
    const current = this.get(type, namespace, name);
    const rv = scale?.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(type, name);
    const replicas = scale?.spec?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid({ group: 'autoscaling', kind: 'Scale', plural: 'scales' }, name, [
        fieldInvalid('spec.replicas', replicas, 'must be greater than or equal to 0'),
      ]);
    }
    const next = structuredClone(current);
    setPath(next, type.scale!.specReplicasPath, replicas);
    return this.scaleOf(type, this.update({ type, namespace, name }, next, opts));
  }

  patchScale(ref: ObjectRef, change: { contentType: string; patch: unknown }, opts: WriteOptions = {}): KubeObject {
    const { type, namespace, name } = ref;
    const { contentType, patch } = change;
    const scale = this.getScale(type, namespace, name);
    // Scale is a built-in kind: strategic merge patches apply to it even for custom resources.
    const patched = applyPatch(scale, contentType, patch, true) as KubeObject;
    return this.updateScale({ type, namespace, name }, patched, opts);
  }

  private scaleOf(type: ResourceType, obj: KubeObject): KubeObject {
    const m = obj.metadata;
    const selector = type.scale!.selector(obj);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
        creationTimestamp: m.creationTimestamp,
      },
      spec: { replicas: getPath(obj, type.scale!.specReplicasPath) ?? 0 },
      status: { replicas: getPath(obj, type.scale!.statusReplicasPath) ?? 0, ...(selector ? { selector } : {}) },
    };
  }

  // ---- CRDs ----------------------------------------------------------------------------------

  /** Serves a CRD's kind (as if `kubectl apply -f crd.yaml` had run); replaces an earlier version. */
  installCrd(crd: CustomResourceDefinition): void {
    const existing = this.store.get(resourceKey(customResourceDefinitions), undefined, crd.metadata.name);
    if (existing)
      this.update(
        { type: customResourceDefinitions, namespace: undefined, name: crd.metadata.name },
        {
          ...structuredClone(crd),
          metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion },
        },
      );
    else this.create(customResourceDefinitions, undefined, structuredClone(crd));
  }

  private established(crd: CustomResourceDefinition): void {
    const type = resourceFromCrd(crd);
    this.types.set(resourceKey(type), type);
    const now = rfc3339(this.clock.now());
    const condition = (t: string, reason: string, message: string): unknown => ({
      type: t,
      status: 'True',
      lastTransitionTime: now,
      reason,
      message,
    });
    this.update(
      { type: customResourceDefinitions, namespace: undefined, name: crd.metadata.name },
      {
        ...crd,
        status: {
          conditions: [
            condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
            condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
          ],
          acceptedNames: crd.spec.names,
          storedVersions: crd.spec.versions.filter((v) => v.storage).map((v) => v.name),
        },
      },
      {},
      'status',
    );
  }

  private uninstall(crd: CustomResourceDefinition): void {
    const key = `${crd.spec.names.plural}.${crd.spec.group}`;
    for (const obj of this.store.list(key)) this.store.write(key, 'DELETED', obj);
    this.types.delete(key);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
    return { apiVersion: apiVersionOf(type), kind: type.kind, ...obj };
  }

  private parseResourceVersion(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw badRequest(`invalid resource version: ${JSON.stringify(text)}`);
    return n;
  }

  /** Decoded body with apiVersion/kind filled in (or checked) and the namespace matched to the URL. */
  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request must be a JSON object');
    const obj = structuredClone(body) as KubeObject;
    const apiVersion = apiVersionOf(type);
    if ((obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) || (obj.kind !== undefined && obj.kind !== type.kind)) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    const undecodable = type.decode?.(obj);
    if (undecodable !== undefined) throw badRequest(undecodable);
    obj.apiVersion = apiVersion;
    obj.kind = type.kind;
    obj.metadata ??= {};
    if (type.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  private validateName(type: ResourceType, obj: KubeObject): void {
    const name = obj.metadata.name;
    let error: FieldError | undefined;
    if (!name) error = fieldRequired('metadata.name');
    else if (type.nameIsLabel ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      const what = type.nameIsLabel ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
      error = fieldInvalid(
        'metadata.name',
        name,
        `${what} must consist of lower case alphanumeric characters, '-'${type.nameIsLabel ? '' : " or '.'"}, and must start and end with an alphanumeric character`,
      );
    }
    if (error) {
      if (error.type === 'FieldValueRequired') error.message = 'Required value: name or generateName is required';
      throw invalid(type, name ?? '', [error]);
    }
  }

  private checkPrecondition(type: ResourceType, current: KubeObject, resourceVersion: string | undefined): void {
    if (resourceVersion) {
      if (resourceVersion !== current.metadata.resourceVersion) throw conflict(type, current.metadata.name!);
    } else if (!type.allowUnconditionalUpdate) {
      throw invalid(type, current.metadata.name!, [fieldInvalid('metadata.resourceVersion', 0, 'must be specified for an update')]);
    }
  }

  private admit(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions): void {
    const result = type.admit(obj, old);
    if (opts.fieldValidation === 'Strict' && result.unknownFields.length > 0) {
      const fields = result.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ');
      throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${fields}`);
    }
    if (opts.fieldValidation !== 'Ignore') opts.warnings?.push(...result.warnings);
    if (result.errors.length > 0) throw invalid(type, obj.metadata.name ?? '', result.errors);
  }

  private commit(type: ResourceType, current: KubeObject, next: KubeObject, opts: WriteOptions): KubeObject {
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    // An update that changes nothing is not written: no new resourceVersion, no watch event.
    if (equalIgnoringVersion(next, current)) return this.withTypeMeta(type, current);
    if (opts.dryRun) return this.withTypeMeta(type, next);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) return this.remove(type, next);
    return this.withTypeMeta(type, this.store.write(resourceKey(type), 'MODIFIED', next, current));
  }

  private randomSuffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
    return s;
  }
}
