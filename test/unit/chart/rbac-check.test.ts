/**
 * The RBAC comparison itself, on small hand-written Roles and call lists: it must say which call
 * would get a 403 and which granted verb is never used, following Kubernetes' RBAC rules.
 */
import { compareRbac, describeCall, type ApiCall } from './rbac-check.js';
import type { Manifest } from './helm.js';

const SA = { name: 'op', namespace: 'system' };
const subjects = [{ kind: 'ServiceAccount', name: 'op', namespace: 'system' }];

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

const clusterRole = (name: string, rules: Rule[]): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const role = (namespace: string, name: string, rules: Rule[]): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, namespace },
  rules,
});
const clusterBinding = (roleName: string, subj = subjects): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: roleName },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
  subjects: subj,
});
const binding = (namespace: string, roleName: string, kind = 'Role'): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: roleName, namespace },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName },
  subjects,
});

const FA: Rule = { apiGroups: ['faas-autoscaler.dev'], resources: ['functionautoscalers'], verbs: ['get', 'list', 'watch'] };
const SCALE: Rule = { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'update'] };

const listFAs: ApiCall = { verb: 'list', group: 'faas-autoscaler.dev', resource: 'functionautoscalers' };
const watchFAs: ApiCall = { verb: 'watch', group: 'faas-autoscaler.dev', resource: 'functionautoscalers' };
const getFA: ApiCall = { verb: 'get', group: 'faas-autoscaler.dev', resource: 'functionautoscalers', namespace: 'team-a', name: 'figlet' };
const getScale: ApiCall = { verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'fn', name: 'figlet' };
const updateScale: ApiCall = { ...getScale, verb: 'update' };

describe('compareRbac', () => {
  const cases: { name: string; manifests: Manifest[]; calls: ApiCall[]; ungranted: string[]; unused: string[] }[] = [
    // Exactly what is needed: nothing to report.
    {
      name: 'exact match',
      manifests: [clusterRole('w', [FA]), clusterBinding('w'), role('fn', 's', [SCALE]), binding('fn', 's')],
      calls: [listFAs, watchFAs, getFA, getScale, updateScale],
      ungranted: [],
      unused: [],
    },
    // The operator patches the scale but the Role only has update: a 403 in a real cluster.
    {
      name: 'missing verb',
      manifests: [role('fn', 's', [SCALE]), binding('fn', 's')],
      calls: [getScale, updateScale, { ...getScale, verb: 'patch' }],
      ungranted: ['patch apps/deployments/scale in fn'],
      unused: [],
    },
    // A Role only covers its own namespace.
    {
      name: 'call in another namespace',
      manifests: [role('fn', 's', [SCALE]), binding('fn', 's')],
      calls: [getScale, updateScale, { ...getScale, namespace: 'other' }],
      ungranted: ['get apps/deployments/scale in other'],
      unused: [],
    },
    // A cluster-wide list needs a ClusterRoleBinding, a RoleBinding to a ClusterRole is not enough.
    {
      name: 'cluster-wide list through a RoleBinding',
      manifests: [clusterRole('w', [FA]), binding('team-a', 'w', 'ClusterRole')],
      calls: [listFAs, { ...listFAs, namespace: 'team-a' }, { ...watchFAs, namespace: 'team-a' }, getFA],
      ungranted: ['list faas-autoscaler.dev/functionautoscalers in (all namespaces)'],
      unused: [],
    },
    // deployments/scale does not grant deployments, and a subresource call needs "resource/sub".
    {
      name: 'subresource is not the resource',
      manifests: [role('fn', 's', [SCALE]), binding('fn', 's')],
      calls: [getScale, updateScale, { verb: 'get', group: 'apps', resource: 'deployments', namespace: 'fn' }],
      ungranted: ['get apps/deployments in fn'],
      unused: [],
    },
    // Granted but never called: delete is not least privilege.
    {
      name: 'unused verbs',
      manifests: [role('fn', 's', [{ ...SCALE, verbs: ['get', 'update', 'delete'] }]), binding('fn', 's')],
      calls: [getScale, updateScale],
      ungranted: [],
      unused: ['Role fn/s apps/deployments/scale delete'],
    },
    // Wildcards are never "used" by a concrete call, so they always show up.
    {
      name: 'wildcard verb',
      manifests: [
        clusterRole('w', [{ apiGroups: ['faas-autoscaler.dev'], resources: ['functionautoscalers'], verbs: ['*'] }]),
        clusterBinding('w'),
      ],
      calls: [listFAs],
      ungranted: [],
      unused: ['ClusterRole w faas-autoscaler.dev/functionautoscalers *'],
    },
    // A binding to another ServiceAccount grants our operator nothing.
    {
      name: 'binding for someone else',
      manifests: [clusterRole('w', [FA]), clusterBinding('w', [{ kind: 'ServiceAccount', name: 'other', namespace: 'system' }])],
      calls: [listFAs],
      ungranted: ['list faas-autoscaler.dev/functionautoscalers in (all namespaces)'],
      unused: [],
    },
    // resourceNames restricts get to one Lease; creating it cannot be restricted by name.
    {
      name: 'resourceNames',
      manifests: [
        role('system', 'le', [
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['op-leader'] },
        ]),
        binding('system', 'le'),
      ],
      calls: [
        { verb: 'get', group: 'coordination.k8s.io', resource: 'leases', namespace: 'system', name: 'op-leader' },
        { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'system', name: 'someone-else' },
      ],
      ungranted: ['update coordination.k8s.io/leases in system'],
      unused: [],
    },
    // A RoleBinding pointing at a Role that is not rendered grants nothing.
    {
      name: 'dangling roleRef',
      manifests: [binding('fn', 'missing')],
      calls: [getScale],
      ungranted: ['get apps/deployments/scale in fn'],
      unused: [],
    },
  ];

  it.each(cases)('$name', ({ manifests, calls, ungranted, unused }) => {
    const got = compareRbac(calls, manifests, SA);
    expect({
      ungranted: got.ungranted.map(describeCall),
      unused: got.unused.map((u) => `${u.role} ${u.group}/${u.resource} ${u.verb}`),
    }).toEqual({ ungranted, unused });
  });
});
