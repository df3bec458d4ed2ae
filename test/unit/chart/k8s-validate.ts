/**
 * Validate rendered manifests the way the API server would, without one:
 *
 * 1. Schema: the OpenAPI schemas of Kubernetes itself, compiled into the `kubernetes-models`
 *    validators (types, required fields, enums, formats, int-or-string). They accept unknown
 *    fields, like the OpenAPI documents they come from.
 * 2. Unknown fields: what `kubectl apply --validate=strict` rejects (a typo such as
 *    `securityContex` is otherwise silently dropped by the API server). Checked against the
 *    field lists of @kubernetes/client-node's generated models.
 *
 * A kind the table does not know is an error, so a new template cannot go unchecked.
 */
import { createRequire } from 'node:module';
import * as k8s from '@kubernetes/client-node';
import type { Manifest } from './helm.js';

const require = createRequire(import.meta.url);

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** apiVersion/kind → [kubernetes-models module, exported class, client-node model for strict fields]. */
const MODELS: Record<string, [module: string, className: string, strictModel: string | undefined]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'ConfigMap', 'V1ConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'Service', 'V1Service'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'ServiceAccount', 'V1ServiceAccount'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'Secret', 'V1Secret'],
  // the `helm test` pod
  'v1/Pod': ['kubernetes-models/v1/Pod', 'Pod', 'V1Pod'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'PodDisruptionBudget', 'V1PodDisruptionBudget'],
  'networking.k8s.io/v1/NetworkPolicy': ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'NetworkPolicy', 'V1NetworkPolicy'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment', 'V1Deployment'],
  'rbac.authorization.k8s.io/v1/ClusterRole': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
    'ClusterRole',
    'V1ClusterRole',
  ],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    'ClusterRoleBinding',
    'V1ClusterRoleBinding',
  ],
  'rbac.authorization.k8s.io/v1/Role': ['kubernetes-models/rbac.authorization.k8s.io/v1/Role', 'Role', 'V1Role'],
  'rbac.authorization.k8s.io/v1/RoleBinding': [
    'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
    'RoleBinding',
    'V1RoleBinding',
  ],
  'apiextensions.k8s.io/v1/CustomResourceDefinition': [
    'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition',
    'CustomResourceDefinition',
    'V1CustomResourceDefinition',
  ],
  // prometheus-operator's CRD; client-node has no model for it, so only the schema check applies.
  'monitoring.coreos.com/v1/ServiceMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'ServiceMonitor',
    undefined,
  ],
  'monitoring.coreos.com/v1/PrometheusRule': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    'PrometheusRule',
    undefined,
  ],
};

export function knownKinds(): string[] {
  return Object.keys(MODELS);
}

/** Problems with one manifest, one line each; empty when it is valid. */
export function validateManifest(manifest: Manifest): string[] {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const entry = MODELS[key];
  const where = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
  if (entry === undefined) return [`${where}: no validator for ${key} (add it to k8s-validate.ts)`];
  const [module, className, strictModel] = entry;
  const problems: string[] = [];
  const Model = (require(module) as Record<string, ModelClass>)[className]!;
  try {
    new Model(manifest).validate();
  } catch (err) {
    problems.push(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (strictModel !== undefined) {
    problems.push(...unknownFields(manifest, strictModel).map((p) => `${where}: unknown field ${p}`));
  }
  return problems;
}

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
}
interface ModelWithTypes {
  getAttributeTypeMap(): AttributeType[];
}

// Types whose content is free-form JSON (JSONSchemaProps' `x-kubernetes-*` values, `default`,
// `example`, raw extensions): nothing to check inside.
const OPAQUE = new Set(['any', 'object', 'string', 'number', 'boolean', 'Date', 'IntOrString', 'RuntimeRawExtension']);

/** JSON paths of fields the model `typeName` does not have, walking nested models, arrays and maps. */
export function unknownFields(value: unknown, typeName: string, path = ''): string[] {
  const arrayOf = /^Array<(.+)>$/.exec(typeName);
  if (arrayOf) {
    return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, arrayOf[1]!, `${path}[${i}]`)) : [];
  }
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(typeName);
  if (mapOf) {
    return isObject(value) ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, mapOf[1]!, `${path}.${k}`)) : [];
  }
  if (OPAQUE.has(typeName) || !isObject(value)) return [];
  const model = (k8s as unknown as Record<string, ModelWithTypes | undefined>)[typeName];
  if (model === undefined || typeof model.getAttributeTypeMap !== 'function') return [];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childType = attributes.get(key);
    const childPath = path === '' ? key : `${path}.${key}`;
    if (childType === undefined) problems.push(childPath);
    else problems.push(...unknownFields(child, childType, childPath));
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
