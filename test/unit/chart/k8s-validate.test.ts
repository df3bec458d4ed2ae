/**
 * The validators the chart tests rely on must really reject broken manifests; otherwise "the
 * rendered chart validates" would prove nothing.
 */
import { validateManifest } from './k8s-validate.js';
import type { Manifest } from './helm.js';

function deployment(container: Record<string, unknown>, extraSpec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'op' },
    spec: {
      selector: { matchLabels: { app: 'op' } },
      template: { metadata: { labels: { app: 'op' } }, spec: { containers: [{ name: 'op', image: 'img:1', ...container }] } },
      ...extraSpec,
    },
  };
}

const role = (rule: Record<string, unknown>): Manifest => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'r', namespace: 'ns' },
  rules: [rule],
});

describe('validateManifest', () => {
  const cases: { name: string; manifest: Manifest; want: RegExp | null }[] = [
    // The baseline: a minimal correct Deployment passes.
    { name: 'valid deployment', manifest: deployment({}), want: null },
    // Schema: a port must be an integer.
    {
      name: 'containerPort as a word',
      manifest: deployment({ ports: [{ containerPort: 'http' }] }),
      want: /containerPort must be integer/,
    },
    // Schema: replicas is an int32.
    { name: 'replicas as a string', manifest: deployment({}, { replicas: 'two' }), want: /replicas must be integer/ },
    // Schema: a container needs a name.
    {
      name: 'container without name',
      manifest: { ...deployment({}), spec: { selector: {}, template: { spec: { containers: [{ image: 'x' }] } } } },
      want: /containers\/0 must have required property name/,
    },
    // Strict fields: a typo in a nested field is caught (the schema alone accepts it).
    {
      name: 'securityContex typo',
      manifest: deployment({ securityContex: { runAsNonRoot: true } }),
      want: /unknown field spec\.template\.spec\.containers\[0\]\.securityContex/,
    },
    // Strict fields: a misplaced key inside a map-typed value is still walked.
    {
      name: 'typo under resources',
      manifest: deployment({ resources: { request: { cpu: '1' } } }),
      want: /containers\[0\]\.resources\.request/,
    },
    // RBAC: verbs must be a list.
    { name: 'verbs as a string', manifest: role({ apiGroups: [''], resources: ['events'], verbs: 'create' }), want: /verbs must be array/ },
    // RBAC: a typo in a rule key.
    {
      name: 'rule with resource (singular)',
      manifest: role({ apiGroups: [''], resource: ['events'], verbs: ['create'] }),
      want: /unknown field rules\[0\]\.resource/,
    },
    // An unknown kind is an error, not a pass.
    {
      name: 'unknown kind',
      manifest: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      want: /no validator for example\.com\/v1\/Widget/,
    },
    // prometheus-operator's ServiceMonitor: interval is a duration string.
    {
      name: 'ServiceMonitor interval as a number',
      manifest: {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 's' },
        spec: { selector: {}, endpoints: [{ port: 'metrics', interval: 30 }] },
      },
      want: /interval must be string/,
    },
  ];

  it.each(cases)('$name', ({ manifest, want }) => {
    const problems = validateManifest(manifest);
    if (want === null) {
      expect(problems).toEqual([]);
    } else {
      expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
    }
  });
});
