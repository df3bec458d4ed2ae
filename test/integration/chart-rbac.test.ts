/**
 * Least privilege, checked against what the operator really does: the operator runs — configured
 * from the chart's own rendered container (args, env, Secret files, via the operator's flag parser) —
 * against the emulated Kubernetes API server and a real Prometheus, through scenarios that reach
 * every API call it has: the informers' list/watch, status writes and a 409 on one (re-read, retry),
 * a scale and a 409 on it, a dry run, a policy switch, a replica change by someone else, Events, and
 * leader election (create the Lease, renew it, release it on stop).
 *
 * The API server's audit log records each request in RBAC terms (verb, group, resource,
 * subresource, namespace). The calls made with the operator's token are compared with the
 * Roles/ClusterRoles the chart renders for the same values, both ways: every call must be granted
 * (else a 403 in a real cluster) and every granted verb must have been used (else it is not least
 * privilege). Both watch modes: cluster-wide (ClusterRole) and namespaced (Roles only).
 *
 * Discovery (/api, /apis, /version) is not in the comparison: non-resource URLs are granted to
 * every authenticated user by the cluster's default system:discovery role, not by this chart.
 * Real time: the operator's intervals are 5 s (the CRD's minimum) and the test waits for them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startOperator, type RunningOperator } from '../../operator/src/controller/run-operator.js';
import { KubeApiServer, DEFAULT_NAMESPACES } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { describeWithHelm, findManifest, helmTemplate } from '../unit/chart/helm.js';
import { parseAsKubelet } from '../unit/chart/kubelet.js';
import { compareRbac, describeCall, type ApiCall } from '../unit/chart/rbac-check.js';
import { Exporter, startPrometheus, waitFor, type RunningPrometheus } from './operator-harness.js';

const RELEASE_NAMESPACE = 'openfaas';
const SERVICE_ACCOUNT = { name: 'fas-faas-autoscaler', namespace: RELEASE_NAMESPACE };
const OPERATOR_USER = `system:serviceaccount:${SERVICE_ACCOUNT.namespace}:${SERVICE_ACCOUNT.name}`;
const TOKENS = { 'operator-token': OPERATOR_USER, 'admin-token': 'kubernetes-admin' };
const FA_NAMESPACE = 'team-a';
const FN_NAMESPACE = 'openfaas-fn';
const FAS = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' } as const;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const MiB = 2 ** 20;

let exporter: Exporter;
let prom: RunningPrometheus;

beforeAll(async () => {
  exporter = new Exporter();
  const now = Date.now();
  for (const name of ['figlet', 'env']) {
    exporter.set(
      { name, namespace: FN_NAMESPACE, rps: 10, latencySeconds: 0.05, pods: 1, cpuCoresPerPod: 0.05, memoryBytesPerPod: 40 * MiB },
      now,
    );
  }
  await exporter.start();
  prom = await startPrometheus({ targets: [exporter.url] });
}, 30_000);

afterAll(async () => {
  await prom?.stop();
  await exporter?.stop();
});

function deployment(name: string, replicas: number): Record<string, unknown> {
  const labels = { faas_function: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: FN_NAMESPACE, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name, image: `ghcr.io/openfaas/${name}:latest`, resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
        },
      },
    },
  };
}

function autoscaler(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'faas-autoscaler.dev/v1alpha1',
    kind: 'FunctionAutoscaler',
    metadata: { name, namespace: FA_NAMESPACE },
    spec: {
      functionName: name,
      functionNamespace: FN_NAMESPACE,
      minReplicas: 1,
      maxReplicas: 5,
      intervalSeconds: 5,
      slo: { p95LatencyMs: 300 },
      ...spec,
    },
  };
}

interface Recorded {
  calls: ApiCall[];
  eventReasons: string[];
}

/** Runs the operator configured by the chart for `values` through every scenario; the calls it made. */
async function recordOperatorCalls(values: object): Promise<Recorded> {
  const kube = new KubeApiServer({ tokens: TOKENS, namespaces: [...DEFAULT_NAMESPACES, FA_NAMESPACE] });
  const server = await kube.start();
  const admin = new KubeConfig();
  admin.loadFromString(kubeconfigYaml({ server, token: 'admin-token' }));
  const apps = admin.makeApiClient(AppsV1Api);
  const custom = admin.makeApiClient(CustomObjectsApi);
  const core = admin.makeApiClient(CoreV1Api);
  const secrets = mkdtempSync(join(tmpdir(), 'fas-rbac-'));
  let operator: RunningOperator | undefined;
  try {
    await apps.createNamespacedDeployment({ namespace: FN_NAMESPACE, body: deployment('figlet', 1) });
    await apps.createNamespacedDeployment({ namespace: FN_NAMESPACE, body: deployment('env', 1) });

    // The operator exactly as the chart configures it, but pointed at this API server and Prometheus.
    const pod = findManifest(helmTemplate({ values, namespace: RELEASE_NAMESPACE }), 'Deployment').spec.template.spec;
    const config = await parseAsKubelet(pod.containers[0], pod.volumes ?? [], RELEASE_NAMESPACE, secrets);
    operator = await startOperator({
      ...config,
      kubeconfig: { mode: 'yaml', yaml: kubeconfigYaml({ server, token: 'operator-token' }) },
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
    });

    // A scale write meets a conflict once: the operator re-reads and retries.
    kube.faults.failNext(1, { verb: 'update', resource: 'deployments', subresource: 'scale' }, { code: 409 });
    // figlet: a static policy that must scale 1 → 3; env: the same in a dry run, which must never scale.
    await custom.createNamespacedCustomObject({
      ...FAS,
      namespace: FA_NAMESPACE,
      body: autoscaler('figlet', { policy: { name: 'static', params: { replicas: 3 } } }),
    });
    await custom.createNamespacedCustomObject({
      ...FAS,
      namespace: FA_NAMESPACE,
      body: autoscaler('env', { policy: { name: 'static', params: { replicas: 3 } }, dryRun: true }),
    });

    const eventReasons = async (): Promise<string[]> =>
      (await core.listNamespacedEvent({ namespace: FA_NAMESPACE })).items.map((e) => e.reason ?? '');
    await waitFor(
      'figlet scaled to 3',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: FN_NAMESPACE, name: 'figlet' })).spec?.replicas === 3 ? true : undefined,
      40_000,
    );

    // A policy switch, and someone else changing env's replicas.
    await custom.patchNamespacedCustomObject(
      { ...FAS, namespace: FA_NAMESPACE, name: 'figlet', body: { spec: { policy: { name: 'hpa', params: null } } } },
      merge,
    );
    await apps.patchNamespacedDeploymentScale({ namespace: FN_NAMESPACE, name: 'env', body: { spec: { replicas: 2 } } }, merge);
    let seen = '';
    await waitFor(
      'Scaled, DryRun and ExternalChange events, a repeat aggregated, and a renewed Lease',
      async () => {
        const reasons = await eventReasons();
        const audit = kube.getAuditLog();
        const renewed = audit.some((e) => e.user === OPERATOR_USER && e.resource === 'leases' && e.verb === 'update');
        // The dry run repeats its would-be change every interval: aggregated into one Event by a patch.
        const aggregated = audit.some((e) => e.user === OPERATOR_USER && e.resource === 'events' && e.verb === 'patch');
        seen = `events ${JSON.stringify(reasons)}, lease renewed: ${renewed}, an Event patched: ${aggregated}`;
        const wanted = ['Scaled', 'DryRun', 'ExternalChange'].every((r) => reasons.includes(r));
        return wanted && aggregated && (renewed || !config.leaderElection.enabled) ? true : undefined;
      },
      40_000,
    ).catch(async (err: Error) => {
      const fas = await custom.listNamespacedCustomObject({ ...FAS, namespace: FA_NAMESPACE });
      throw new Error(
        `${err.message}: ${seen}; status: ${JSON.stringify((fas as { items: unknown[] }).items.map((i) => (i as { status: unknown }).status))}`,
      );
    });
    await operator.stop(); // releases the Lease (an update)
    operator = undefined;

    const calls = kube
      .getAuditLog()
      .filter((e) => e.user === OPERATOR_USER && e.resourceRequest)
      .map((e) => ({
        verb: e.verb,
        group: e.apiGroup ?? '',
        resource: e.resource!,
        subresource: e.subresource,
        namespace: e.namespace,
        name: e.name,
      }));
    return { calls, eventReasons: await eventReasons() };
  } finally {
    await operator?.stop();
    await kube.stop();
    rmSync(secrets, { recursive: true, force: true });
  }
}

const VARIANTS: { name: string; values: object; unused?: string[] }[] = [
  // All namespaces: FunctionAutoscalers through a ClusterRole.
  { name: 'cluster-wide watch', values: {} },
  // Only team-a: Roles in team-a (watch), openfaas-fn (functions) and openfaas (Lease), nothing cluster-wide.
  { name: 'namespaced watch', values: { watchNamespaces: [FA_NAMESPACE] } },
  // Shards: Leases listed (the replicas running) besides read and renewed. A member Lease is
  // deleted only after its replica has been gone for ten lease durations, which no run here lasts.
  {
    name: 'sharded',
    values: { leaderElection: { shards: 2 } },
    unused: ['Role openfaas/fas-faas-autoscaler-leader-election: delete coordination.k8s.io/leases'],
  },
];

describeWithHelm('chart RBAC = the API calls the operator makes', () => {
  it.each(VARIANTS)(
    '$name',
    async ({ values, unused: expectedUnused = [] }) => {
      const chartValues = { ...values, prometheus: { a: { url: prom.url } }, functionNamespaces: [FN_NAMESPACE] };
      const recorded = await recordOperatorCalls(chartValues);
      // The scenarios did what they are for (else the comparison would prove little).
      expect(recorded.eventReasons).toEqual(expect.arrayContaining(['Scaled', 'DryRun', 'ExternalChange']));
      expect(recorded.calls.length).toBeGreaterThan(0);

      const manifests = helmTemplate({ values: chartValues, namespace: RELEASE_NAMESPACE });
      const { ungranted, unused } = compareRbac(recorded.calls, manifests, SERVICE_ACCOUNT);
      const used = [...new Set(recorded.calls.map((c) => describeCall({ ...c, name: undefined })))].sort();
      expect({
        ungranted: ungranted.map(describeCall),
        unused: unused.map((u) => `${u.role}: ${u.verb} ${u.group || 'core'}/${u.resource}`),
        used,
      }).toEqual({
        ungranted: [],
        unused: expectedUnused,
        used,
      });
    },
    120_000,
  );
});
