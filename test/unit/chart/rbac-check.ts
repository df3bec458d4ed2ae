/**
 * Compare the API calls the operator makes with what the chart's RBAC grants, both ways:
 *
 *   ungranted  a call that kube-apiserver would refuse with 403 (the operator breaks in a cluster)
 *   unused     a verb the chart grants that no recorded call needed (not least privilege)
 *
 * Authorization follows Kubernetes RBAC: a namespaced call is allowed by a ClusterRoleBinding, or by
 * a RoleBinding in the call's namespace (to a Role there or to a ClusterRole); a call without a
 * namespace (a cluster-wide list/watch) only by a ClusterRoleBinding. A rule matches when its
 * apiGroups, resources ("resource/subresource" for a subresource) and verbs contain the call's
 * (or "*"), and its resourceNames, when set, contain the object's name.
 */
import type { Manifest } from './helm.js';

/** One request the operator sent to the API server, as the emulator's audit log records it. */
export interface ApiCall {
  /** RBAC verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** API group; "" for the core group. */
  group: string;
  /** Plural resource, e.g. deployments. */
  resource: string;
  /** e.g. scale, status. */
  subresource?: string;
  /** Absent for cluster-wide requests. */
  namespace?: string;
  /** Object name, when the request names one. */
  name?: string;
}

export interface Subject {
  name: string;
  namespace: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A rule of a Role/ClusterRole bound to the subject, with where it applies. */
interface Grant {
  /** e.g. "ClusterRole fas-faas-autoscaler" or "Role openfaas-fn/fas-faas-autoscaler-functions". */
  role: string;
  /** undefined: every namespace and cluster-wide requests (ClusterRoleBinding). */
  namespace: string | undefined;
  rule: PolicyRule;
}

export interface UnusedGrant {
  role: string;
  group: string;
  resource: string;
  verb: string;
}

export interface RbacComparison {
  ungranted: ApiCall[];
  unused: UnusedGrant[];
}

export function describeCall(call: ApiCall): string {
  const resource = call.subresource ? `${call.resource}/${call.subresource}` : call.resource;
  return `${call.verb} ${call.group === '' ? 'core' : call.group}/${resource} in ${call.namespace ?? '(all namespaces)'}${call.name ? ` name=${call.name}` : ''}`;
}

/** Every rule the rendered manifests grant to `subject`, through bindings that refer to it. */
export function grantsFor(manifests: readonly Manifest[], subject: Subject): Grant[] {
  const boundTo = (binding: Manifest): boolean =>
    ((binding.subjects ?? []) as { kind: string; name: string; namespace?: string }[]).some(
      (s) => s.kind === 'ServiceAccount' && s.name === subject.name && s.namespace === subject.namespace,
    );
  const role = (kind: string, name: string, namespace?: string): Manifest | undefined =>
    manifests.find((m) => m.kind === kind && m.metadata.name === name && (kind === 'ClusterRole' || m.metadata.namespace === namespace));

  const grants: Grant[] = [];
  for (const binding of manifests) {
    if ((binding.kind !== 'RoleBinding' && binding.kind !== 'ClusterRoleBinding') || !boundTo(binding)) continue;
    const ref = binding.roleRef as { kind: string; name: string };
    // A ClusterRoleBinding can only refer to a ClusterRole; a RoleBinding to either.
    if (binding.kind === 'ClusterRoleBinding' && ref.kind !== 'ClusterRole') continue;
    const target = role(ref.kind, ref.name, binding.metadata.namespace);
    if (target === undefined) continue; // a dangling reference grants nothing
    const namespace = binding.kind === 'ClusterRoleBinding' ? undefined : binding.metadata.namespace;
    const label = target.kind === 'ClusterRole' ? `ClusterRole ${ref.name}` : `Role ${target.metadata.namespace}/${ref.name}`;
    for (const rule of (target.rules ?? []) as PolicyRule[]) grants.push({ role: label, namespace, rule });
  }
  return grants;
}

function ruleAllows(rule: PolicyRule, call: ApiCall): boolean {
  const resource = call.subresource ? `${call.resource}/${call.subresource}` : call.resource;
  const has = (list: string[] | undefined, value: string): boolean => (list ?? []).includes(value) || (list ?? []).includes('*');
  if (!has(rule.apiGroups, call.group) || !has(rule.resources, resource) || !has(rule.verbs, call.verb)) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return call.name !== undefined && rule.resourceNames.includes(call.name);
  return true;
}

function grantAllows(grant: Grant, call: ApiCall): boolean {
  // Namespaced grant: only requests inside that namespace (never cluster-wide ones).
  if (grant.namespace !== undefined && call.namespace !== grant.namespace) return false;
  return ruleAllows(grant.rule, call);
}

/** Both directions at once; empty lists mean the RBAC is exactly what the calls need. */
export function compareRbac(calls: readonly ApiCall[], manifests: readonly Manifest[], subject: Subject): RbacComparison {
  const grants = grantsFor(manifests, subject);
  const seen = new Set<string>();
  const ungranted: ApiCall[] = [];
  for (const call of calls) {
    const key = describeCall({ ...call, name: undefined });
    if (seen.has(key)) continue;
    seen.add(key);
    if (!grants.some((g) => grantAllows(g, call))) ungranted.push({ ...call, name: undefined });
  }

  // A granted (group, resource, verb) is used when some call needed it, in any namespace: a Role in
  // a second function namespace is the same permission the scenarios exercised in the first. (Which
  // scope each permission has is the chart's layout, checked in chart.test.ts.)
  const unused: UnusedGrant[] = [];
  for (const grant of grants) {
    for (const group of grant.rule.apiGroups ?? []) {
      for (const resource of grant.rule.resources ?? []) {
        for (const verb of grant.rule.verbs) {
          const [plural, subresource] = resource.split('/', 2) as [string, string | undefined];
          const used = calls.some(
            (c) => c.group === group && c.resource === plural && (c.subresource ?? undefined) === subresource && c.verb === verb,
          );
          const entry = { role: grant.role, group, resource, verb };
          if (!used && !unused.some((u) => u.role === entry.role && u.group === group && u.resource === resource && u.verb === verb)) {
            unused.push(entry);
          }
        }
      }
    }
  }
  return { ungranted, unused };
}
