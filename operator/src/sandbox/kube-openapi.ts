/**
 * A minimal OpenAPI v3 publication (`/openapi/v3` and `/openapi/v3/{api/v1 | apis/<g>/<v>}`):
 * the paths of every served resource with the PATCH operation's query parameters, tagged with
 * `x-kubernetes-group-version-kind`, and the schemas of custom resources (from their CRDs).
 *
 * Why: `kubectl apply` (and `create -f`) validates with `--validate=strict` by default. It first
 * asks OpenAPI v3 whether the server supports the `fieldValidation` query parameter for the
 * kind's PATCH; when it does, validation is left to the server. Without this document kubectl
 * falls back to client-side validation against OpenAPI v2 and fails with "failed to download
 * openapi". Built-in kinds are published without schemas (kubectl then uses its compiled-in types).
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceType } from './kube-resources.js';

const PATCH_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string', uniqueItems: true },
}));

/** `api/v1` or `apis/<group>/<version>`. */
export function groupVersionPath(r: { group: string; version: string }): string {
  return r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
}

function schemaName(t: ResourceType): string {
  // e.g. dev.faas-autoscaler.v1alpha1.FunctionAutoscaler (reversed group, as the API server names them).
  const group = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${group}.${t.version}.${t.kind}`;
}

function gvk(t: ResourceType): Record<string, string> {
  return { group: t.group, version: t.version, kind: t.kind };
}

function operation(t: ResourceType, action: string, parameters: unknown[]): unknown {
  return {
    operationId: `${action}${t.kind}`,
    parameters,
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t),
  };
}

/** The OpenAPI v3 document of one group-version. */
export function openApiDocument(types: readonly ResourceType[], group: string, version: string): unknown {
  const paths: Record<string, unknown> = {};
  const components: Record<string, unknown> = {};
  for (const t of types.filter((x) => x.group === group && x.version === version)) {
    const prefix = `/${groupVersionPath(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths[prefix] = { get: operation(t, 'list', []), post: operation(t, 'post', WRITE_PARAMETERS) };
    paths[`${prefix}/{name}`] = {
      get: operation(t, 'get', []),
      put: operation(t, 'put', WRITE_PARAMETERS),
      patch: operation(t, 'patch', PATCH_PARAMETERS),
      delete: operation(t, 'delete', []),
    };
    if (t.statusSubresource)
      paths[`${prefix}/{name}/status`] = { patch: operation(t, 'patch', PATCH_PARAMETERS), put: operation(t, 'put', WRITE_PARAMETERS) };
    const schema = t.openAPIV3Schema;
    if (schema) components[schemaName(t)] = { ...schema, 'x-kubernetes-group-version-kind': [gvk(t)] };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (faas-autoscaler sandbox)', version: 'v1.32.0' },
    paths,
    components: { schemas: components },
  };
}

/** `/openapi/v3`: where each group-version's document is, with a content hash for client caches. */
export function openApiIndex(types: readonly ResourceType[], render: (group: string, version: string) => unknown): unknown {
  const paths: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const t of types) {
    const gv = apiVersionOf(t);
    if (seen.has(gv)) continue;
    seen.add(gv);
    const hash = createHash('sha512')
      .update(JSON.stringify(render(t.group, t.version)))
      .digest('hex')
      .slice(0, 128)
      .toUpperCase();
    paths[groupVersionPath(t)] = { serverRelativeURL: `/openapi/v3/${groupVersionPath(t)}?hash=${hash}` };
  }
  return { paths };
}
