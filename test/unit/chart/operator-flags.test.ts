/**
 * The chart and the operator agree on flags: the container the chart renders (args, env from the
 * downward API and Secrets, credential files from Secret volumes) is fed to the operator's own flag
 * parser (operator/src/commands/operator.ts) as the kubelet would present it, and the resulting
 * configuration must be what the values asked for. A renamed flag, a flag the operator does not
 * know, or a credential file in the wrong place fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperatorConfig } from '../../../operator/src/controller/run-operator.js';
import { describeWithHelm, findManifest, helmTemplate } from './helm.js';
import { POD_NAME, parseAsKubelet } from './kubelet.js';

const cases: { name: string; values: object; namespace: string; want: Partial<OperatorConfig> }[] = [
  // Defaults: cluster-wide, B = A, gateway with the OpenFaaS basic-auth Secret, leader election.
  {
    name: 'defaults',
    values: {},
    namespace: 'openfaas',
    want: {
      prometheusA: { url: 'http://prometheus.openfaas.svc.cluster.local:9090' },
      prometheusB: { url: 'http://prometheus.openfaas.svc.cluster.local:9090' },
      prometheusTimeoutMs: 10_000,
      gateway: {
        url: 'http://gateway.openfaas.svc.cluster.local:8080',
        username: 'basic-auth/basic-auth-user',
        password: 'basic-auth/basic-auth-password',
      },
      namespaces: [],
      logLevel: 'info',
      kubeconfig: { mode: 'in-cluster' },
      listen: { host: '0.0.0.0', port: 8080 },
      leaderElection: {
        enabled: true,
        namespace: 'openfaas',
        name: 'fas-faas-autoscaler-leader',
        identity: POD_NAME,
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
      apiTimeoutMs: 10_000,
    },
  },
  // Two authenticated Prometheus servers, watched namespaces, tuned timings, another port.
  {
    name: 'everything set',
    values: {
      prometheus: {
        a: { url: 'https://prom-a.example.com', auth: { type: 'bearer', existingSecret: 'prom-a' } },
        b: { url: 'https://prom-b.example.com', auth: { type: 'basic', existingSecret: 'prom-b' } },
        queryTimeoutSeconds: 3,
      },
      watchNamespaces: ['team-a', 'team-b'],
      leaderElection: { enabled: true, leaseDurationSeconds: 30, renewDeadlineSeconds: 20, retryPeriodSeconds: 4 },
      apiTimeoutSeconds: 5,
      metricsPort: 9400,
      logLevel: 'debug',
    },
    namespace: 'faas-autoscaler',
    want: {
      prometheusA: { url: 'https://prom-a.example.com', auth: { type: 'bearer', token: 'prom-a/token' } },
      prometheusB: { url: 'https://prom-b.example.com', auth: { type: 'basic', username: 'prom-b-user', password: 'prom-b-pass' } },
      prometheusTimeoutMs: 3000,
      namespaces: ['team-a', 'team-b'],
      logLevel: 'debug',
      listen: { host: '0.0.0.0', port: 9400 },
      leaderElection: {
        enabled: true,
        namespace: 'faas-autoscaler',
        name: 'fas-faas-autoscaler-leader',
        identity: POD_NAME,
        leaseDurationSeconds: 30,
        renewDeadlineSeconds: 20,
        retryPeriodSeconds: 4,
      },
      apiTimeoutMs: 5000,
    },
  },
  // Single replica without a Lease, no gateway at all.
  {
    name: 'no leader election, no gateway',
    values: { leaderElection: { enabled: false }, gateway: { url: '' } },
    namespace: 'openfaas',
    want: { gateway: undefined, leaderElection: expect.objectContaining({ enabled: false }) },
  },
  // Gateway without credentials: the operator gets no user or password.
  {
    name: 'gateway without credentials',
    values: { gateway: { basicAuth: { existingSecret: '' } } },
    namespace: 'openfaas',
    want: { gateway: { url: 'http://gateway.openfaas.svc.cluster.local:8080' } },
  },
];

describeWithHelm('chart → operator flags', () => {
  it.each(cases)('$name', async ({ values, namespace, want }) => {
    const pod = findManifest(helmTemplate({ values, namespace }), 'Deployment').spec.template.spec;
    const root = mkdtempSync(join(tmpdir(), 'fas-kubelet-'));
    try {
      const config = await parseAsKubelet(pod.containers[0], pod.volumes ?? [], namespace, root);
      expect(config).toMatchObject(want);
      // toMatchObject ignores extra keys; credentials must be exactly what the values give.
      if ('gateway' in want) expect(config.gateway).toEqual(want.gateway);
      // The listen port is the port the Service, the probes and the ServiceMonitor use.
      expect(pod.containers[0].ports).toEqual([expect.objectContaining({ name: 'metrics', containerPort: config.listen.port })]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
