/**
 * The chart parts operators of other charts expect: a PodDisruptionBudget with more than one
 * replica, an opt-in NetworkPolicy, topology spread, extra args and env, a `helm test` pod, and a
 * PrometheusRule whose every expression the real `promtool check rules` accepts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeWithHelm, findManifest, helmTemplate, type Manifest } from './helm.js';

const kinds = (manifests: readonly Manifest[]): string[] => manifests.map((m) => m.kind);

describeWithHelm('chart extras', () => {
  it('renders a PodDisruptionBudget only with more than one replica, selecting the operator pods', () => {
    expect(kinds(helmTemplate())).not.toContain('PodDisruptionBudget');
    const ha = helmTemplate({ values: { replicaCount: 2 } });
    const pdb = findManifest(ha, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: findManifest(ha, 'Deployment').spec.selector.matchLabels } });
    expect(kinds(helmTemplate({ values: { replicaCount: 2, podDisruptionBudget: { enabled: false } } }))).not.toContain(
      'PodDisruptionBudget',
    );
  });

  it('renders the NetworkPolicy only when asked: the metrics port from the listed peers, nothing else in', () => {
    expect(kinds(helmTemplate())).not.toContain('NetworkPolicy');
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    const manifests = helmTemplate({ values: { networkPolicy: { enabled: true, metricsFrom: [peer] } } });
    const policy = findManifest(manifests, 'NetworkPolicy');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: findManifest(manifests, 'Deployment').spec.selector.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [{ from: [peer], ports: [{ port: 'metrics', protocol: 'TCP' }] }],
    });
    expect(findManifest(helmTemplate({ values: { networkPolicy: { enabled: true } } }), 'NetworkPolicy').spec.ingress).toEqual([]);
  });

  it("passes extraArgs after the chart's flags, extraEnv after its env, topology spread and the grace period to the pod", () => {
    const spread = [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'x' } },
      },
    ];
    const pod = findManifest(
      helmTemplate({
        values: {
          extraArgs: ['--prometheus-timeout-seconds=5'],
          extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=512' }],
          topologySpreadConstraints: spread,
          terminationGracePeriodSeconds: 45,
        },
      }),
      'Deployment',
    ).spec.template.spec;
    const args: string[] = pod.containers[0].args;
    expect(args[args.length - 1]).toBe('--prometheus-timeout-seconds=5');
    expect(pod.containers[0].env[pod.containers[0].env.length - 1]).toEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=512' });
    expect(pod.topologySpreadConstraints).toEqual(spread);
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    // The operator gives up waiting on shutdown before the kubelet kills it.
    expect(args).toContain('--shutdown-timeout-seconds=40');
  });

  it("passes the operator's limits, the function namespaces, and --model-dirs for a models volume", () => {
    const argsOf = (values: Record<string, unknown>): string[] =>
      findManifest(helmTemplate({ values }), 'Deployment').spec.template.spec.containers[0].args;
    const defaults = argsOf({});
    expect(defaults).toEqual(expect.arrayContaining(['--max-replicas=500', '--max-scale-up-factor=10']));
    expect(defaults.filter((a) => a.startsWith('--function-namespaces') || a.startsWith('--model-dirs'))).toEqual([
      '--function-namespaces=openfaas-fn',
    ]);
    const set = argsOf({
      limits: { maxReplicas: 80, maxScaleUpFactor: 3 },
      functionNamespaces: ['openfaas-fn', 'team-b'],
      model: { source: 'volume', volume: { persistentVolumeClaim: { claimName: 'fas-models' } } },
    });
    expect(set).toEqual(
      expect.arrayContaining([
        '--max-replicas=80',
        '--max-scale-up-factor=3',
        '--function-namespaces=openfaas-fn,team-b',
        '--model-dirs=/models',
      ]),
    );
  });

  it('has a helm test pod that asks /readyz of the metrics Service', () => {
    const manifests = helmTemplate();
    const test = manifests.find((m) => m.kind === 'Pod' && m.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    const service = findManifest(manifests, 'Service');
    const port = service.spec.ports.find((p: { name: string }) => p.name === 'metrics').port;
    expect(test.spec.containers[0].command.join(' ')).toContain(`http://${service.metadata.name}:${port}/readyz`);
  });

  it('renders a PrometheusRule whose rules promtool accepts, only when asked', () => {
    expect(kinds(helmTemplate())).not.toContain('PrometheusRule');
    const rule = findManifest(
      helmTemplate({ values: { prometheusRule: { enabled: true, labels: { release: 'kps' } } } }),
      'PrometheusRule',
    );
    expect(rule.metadata.labels?.release).toBe('kps');
    const alerts = rule.spec.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual([
      'FaasAutoscalerNoLeader',
      'FaasAutoscalerMetricsUnavailable',
      'FaasAutoscalerSloMissed',
      'FaasAutoscalerScalingLimited',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fas-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringify({ groups: rule.spec.groups }));
      const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({
        status: 0,
        out: expect.stringContaining('SUCCESS: 4 rules found'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
