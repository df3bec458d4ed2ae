/**
 * The kinds the emulated API server serves, each described once: where it lives (group, version,
 * plural, scope), which subresources it has, and its strategy (defaults, validation, what counts
 * as a spec change for metadata.generation, how it prints as a Table). Custom resources get their
 * description from their CRD, so any CRD — ours first — is served the way the API server would.
 */
import { admitCustomResource } from './kube-custom-resources.js';
import type { CustomResourceDefinition } from '../api/crd.js';
import type { JSONSchemaProps } from '../api/schema.js';
import { invalid, required, type FieldError } from '../api/field-errors.js';
import type { Admission, KubeObject } from './kube-object.js';
import { age, column, defaultConvertor, NAME_COLUMN, printerColumnConvertor, type TableConvertor } from './kube-table.js';
import type { ResourceName } from './kube-errors.js';
import { isDeepStrictEqual } from 'node:util';

export type { Admission, KubeObject } from './kube-object.js';

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** The label selector string in Scale.status.selector. */
  selector(obj: KubeObject): string | undefined;
}

export interface ResourceType extends ResourceName {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** `status` subresource: the main resource ignores status, /status changes only status. */
  statusSubresource: boolean;
  scale?: ScaleSubresource;
  /** metadata.generation is kept (starts at 1, bumped by `specChanged`). */
  hasGeneration: boolean;
  specChanged(old: KubeObject, updated: KubeObject): boolean;
  /** An update without metadata.resourceVersion is allowed (false for custom resources). */
  allowUnconditionalUpdate: boolean;
  /** DELETE answers with the deleted object (custom resources) rather than a Status. */
  returnDeletedObject: boolean;
  /** Accepts application/strategic-merge-patch+json (built-in kinds only). */
  strategicMergePatch: boolean;
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  fieldSelectors: string[];
  /** Names must be DNS-1123 labels (namespaces) rather than subdomains. */
  nameIsLabel?: boolean;
  /** Clears what a client may not set on create (e.g. status). */
  prepareForCreate(obj: KubeObject): void;
  /**
   * What the server's JSON decoder refuses before any validation (a 400 BadRequest, not a 422):
   * returns the message, or undefined when the body decodes. Built-in kinds with typed fields only.
   */
  decode?(obj: KubeObject): string | undefined;
  /** Defaults (in place) and validation. `old` is set on update. */
  admit(obj: KubeObject, old?: KubeObject): Admission;
  table: TableConvertor;
  /** Published in OpenAPI v3 (custom resources: the CRD's schema). */
  openAPIV3Schema?: JSONSchemaProps;
}

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Key for lookups: `deployments.apps`, `events`, `functionautoscalers.faas-autoscaler.dev`. */
export function resourceKey(r: { group: string; plural: string }): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

const ok = (errors: FieldError[] = []): Admission => ({ errors, warnings: [], unknownFields: [] });

/** metav1.MicroTime's layout (apimachinery/pkg/apis/meta/v1/micro_time.go, RFC3339Micro): exactly six fractional digits. */
const MICRO_TIME_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;

/**
 * The decoder's refusal of a MicroTime field that is not in MICRO_TIME_LAYOUT, worded as the real
 * server's (`... cannot be handled as a Lease: v1.Lease.Spec: v1.LeaseSpec.AcquireTime:
 * unmarshalerDecoder: parsing time "..." as "2006-01-02T15:04:05.000000Z07:00" ...`); a
 * `toISOString()` value (three digits) is the classic case.
 */
function microTimeError(kind: string, typePath: string, fields: Record<string, unknown>): string | undefined {
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' && MICRO_TIME.test(value)) continue;
    const goField = field[0].toUpperCase() + field.slice(1);
    return `${kind} in version "v1" cannot be handled as a ${kind}: ${typePath}.${goField}: unmarshalerDecoder: parsing time ${JSON.stringify(String(value))} as "${MICRO_TIME_LAYOUT}"`;
  }
  return undefined;
}

const specOnly = (old: KubeObject, updated: KubeObject): boolean => !isDeepStrictEqual(old.spec, updated.spec);

/** Everything but metadata and status (custom resources bump generation on any such change). */
const allButMetadataAndStatus = (old: KubeObject, updated: KubeObject): boolean => {
  const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject): unknown => rest;
  return !isDeepStrictEqual(strip(old), strip(updated));
};

const BASE = {
  shortNames: [] as string[],
  categories: [] as string[],
  statusSubresource: false,
  hasGeneration: false,
  specChanged: specOnly,
  allowUnconditionalUpdate: true,
  returnDeletedObject: false,
  strategicMergePatch: true,
  fieldSelectors: [] as string[],
  prepareForCreate: (): void => {},
  admit: (): Admission => ok(),
  table: defaultConvertor,
};

export const namespaces: ResourceType = {
  ...BASE,
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  statusSubresource: true,
  nameIsLabel: true,
  fieldSelectors: ['status.phase'],
  prepareForCreate(obj) {
    obj.spec = { finalizers: ['kubernetes'] };
    obj.status = { phase: 'Active' };
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Status', 'string', 'The status of the namespace'),
      column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ],
    cells: (obj, now) => [obj.metadata?.name, (obj.status as { phase?: string })?.phase, age(obj.metadata?.creationTimestamp, now)],
  },
};

export const events: ResourceType = {
  ...BASE,
  group: '',
  version: 'v1',
  kind: 'Event',
  listKind: 'EventList',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  decode: (obj) => microTimeError('Event', 'v1.Event', { eventTime: (obj as { eventTime?: unknown }).eventTime }),
  fieldSelectors: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  admit(obj) {
    const involved = obj.involvedObject as { namespace?: string } | undefined;
    if (!involved) return ok([required('involvedObject')]);
    if (involved.namespace && involved.namespace !== obj.metadata.namespace) {
      return ok([invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace')]);
    }
    return ok();
  },
  table: {
    columns: [
      column('Last Seen', 'string', 'Time of the last occurrence'),
      column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      column(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column('Object', 'string', 'The object that this event is about.'),
      column('Subobject', 'string', 'The subobject that this event is about.', { priority: 1 }),
      column('Source', 'string', 'The component reporting this event.', { priority: 1 }),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
      column('First Seen', 'string', 'The time at which the event was first recorded.', { priority: 1 }),
      column('Count', 'integer', 'The number of times this event has occurred.', { priority: 1 }),
      { ...NAME_COLUMN, priority: 1 },
    ],
    cells(obj, now) {
      const e = obj as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const last = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
      const kind = String(e.involvedObject?.kind ?? '').toLowerCase();
      return [
        age(last, now),
        e.type ?? '',
        e.reason ?? '',
        `${kind}/${e.involvedObject?.name ?? ''}`,
        e.involvedObject?.fieldPath ?? '',
        [e.source?.component ?? e.reportingComponent, e.source?.host].filter(Boolean).join(', '),
        e.message ?? '',
        age(e.firstTimestamp ?? e.eventTime ?? last, now),
        e.count ?? 1,
        e.metadata?.name,
      ];
    },
  },
};

export const leases: ResourceType = {
  ...BASE,
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  listKind: 'LeaseList',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  decode(obj) {
    const spec = (obj.spec ?? {}) as { acquireTime?: unknown; renewTime?: unknown };
    return microTimeError('Lease', 'v1.Lease.Spec: v1.LeaseSpec', { acquireTime: spec.acquireTime, renewTime: spec.renewTime });
  },
  admit(obj) {
    const spec = (obj.spec ?? {}) as { leaseDurationSeconds?: number; leaseTransitions?: number };
    const errors: FieldError[] = [];
    if (spec.leaseDurationSeconds !== undefined && !(spec.leaseDurationSeconds > 0)) {
      errors.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
    }
    if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
      errors.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
    }
    return ok(errors);
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Holder', 'string', 'The holder of this lease.'),
      column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ],
    cells: (obj, now) => [
      obj.metadata?.name,
      (obj.spec as { holderIdentity?: string })?.holderIdentity ?? '',
      age(obj.metadata?.creationTimestamp, now),
    ],
  },
};

/** `app=figlet,tier=fn` from a LabelSelector's matchLabels (sorted, as metav1.FormatLabelSelector). */
export function formatLabelSelector(selector: unknown): string | undefined {
  const s = selector as
    { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;
  if (!s) return undefined;
  const terms = Object.keys(s.matchLabels ?? {})
    .sort()
    .map((k) => `${k}=${s.matchLabels![k]}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') terms.push(e.key);
    else if (op === 'doesnotexist') terms.push(`!${e.key}`);
    else terms.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return terms.join(',');
}

export const deployments: ResourceType = {
  ...BASE,
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  statusSubresource: true,
  hasGeneration: true,
  // The apps/v1 strategy also bumps the generation when annotations change (legacy rollback annotation).
  specChanged: (old, updated) =>
    specOnly(old, updated) || !isDeepStrictEqual(old.metadata.annotations ?? {}, updated.metadata.annotations ?? {}),
  scale: {
    specReplicasPath: 'spec.replicas',
    statusReplicasPath: 'status.replicas',
    selector: (obj) => formatLabelSelector((obj.spec as { selector?: unknown })?.selector),
  },
  prepareForCreate(obj) {
    obj.status = {};
  },
  admit(obj) {
    const spec = (obj.spec ??= {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
    const errors: FieldError[] = [];
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0) {
      errors.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
    }
    const matchLabels = spec.selector?.matchLabels as Record<string, string> | undefined;
    if (!spec.selector) errors.push(required('spec.selector'));
    const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
    if (matchLabels && Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) {
      errors.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
    }
    if (!Array.isArray(spec.template?.spec?.containers) || spec.template.spec.containers.length === 0) {
      errors.push(required('spec.template.spec.containers'));
    }
    return ok(errors);
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'string',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      ),
      column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
      column('Containers', 'string', 'Names of each container in the template.', { priority: 1 }),
      column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 }),
      column(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        { priority: 1 },
      ),
    ],
    cells(obj, now) {
      const d = obj as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const containers = (d.spec?.template?.spec?.containers ?? []) as { name: string; image: string }[];
      return [
        d.metadata?.name,
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(d.metadata?.creationTimestamp, now),
        containers.map((c) => c.name).join(','),
        containers.map((c) => c.image).join(','),
        formatLabelSelector(d.spec?.selector) ?? '<none>',
      ];
    },
  },
};

export const customResourceDefinitions: ResourceType = {
  ...BASE,
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  namespaced: false,
  statusSubresource: true,
  hasGeneration: true,
  strategicMergePatch: false,
  admit(obj) {
    const crd = obj as unknown as CustomResourceDefinition;
    const errors: FieldError[] = [];
    const expected = `${crd.spec?.names?.plural}.${crd.spec?.group}`;
    if (obj.metadata.name !== expected)
      errors.push(invalid('metadata.name', obj.metadata.name, `must be spec.names.plural+"."+spec.group`));
    if (!crd.spec?.versions?.some((v) => v.storage))
      errors.push(invalid('spec.versions', 'array', 'must have exactly one version marked as storage version'));
    errors.push(...rootMetadataErrors(crd));
    return ok(errors);
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ],
    cells: (obj) => [obj.metadata?.name, obj.metadata?.creationTimestamp],
  },
};

/**
 * The structural-schema rule on the root `metadata` property (apiextensions-apiserver
 * `validateStructuralMetadataInvariants`): it may say `type: object` and restrict `name` and
 * `generateName`, nothing else — not even a `description`. v1.20 reports it under
 * `spec.validation` when every version has the same schema, as a CRD with one version does.
 */
function rootMetadataErrors(crd: CustomResourceDefinition): FieldError[] {
  const versions = crd.spec?.versions ?? [];
  const errors: FieldError[] = [];
  versions.forEach((v, i) => {
    const metadata = v.schema?.openAPIV3Schema?.properties?.metadata as Record<string, unknown> | undefined;
    if (metadata === undefined) return;
    const extra = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'properties');
    const props = Object.keys((metadata.properties ?? {}) as object).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length === 0 && props.length === 0 && (metadata.type === undefined || metadata.type === 'object')) return;
    const path = versions.length === 1 ? 'spec.validation.openAPIV3Schema' : `spec.versions[${i}].schema.openAPIV3Schema`;
    errors.push({
      type: 'FieldValueForbidden',
      path: `${path}.properties[metadata]`,
      message: 'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
    });
  });
  return errors;
}

export const BUILTIN_RESOURCES: readonly ResourceType[] = [namespaces, events, deployments, leases, customResourceDefinitions];

/** The served version of a CRD as a ResourceType (the storage version; one version is served). */
export function resourceFromCrd(crd: CustomResourceDefinition): ResourceType {
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  const schema = version.schema.openAPIV3Schema;
  const names = crd.spec.names;
  return {
    ...BASE,
    group: crd.spec.group,
    version: version.name,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    namespaced: crd.spec.scope === 'Namespaced',
    statusSubresource: version.subresources?.status !== undefined,
    hasGeneration: true,
    specChanged: allButMetadataAndStatus,
    allowUnconditionalUpdate: false,
    returnDeletedObject: true,
    strategicMergePatch: false,
    prepareForCreate(obj) {
      if (version.subresources?.status !== undefined) delete obj.status;
    },
    admit: (obj, old) => admitCustomResource(obj, schema, old),
    table: printerColumnConvertor(version.additionalPrinterColumns),
    openAPIV3Schema: schema,
  };
}
