/**
 * The Helm chart, checked by the real helm binary: `helm lint --strict` and `helm template` over the
 * default values and a few overrides, every rendered object validated against the Kubernetes schemas
 * (and for unknown fields), conventional labels, the security posture, the RBAC layout of both watch
 * modes, the CRDs being the repository's own files, and the values schema's messages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT, describeWithHelm, findManifest, helm, helmTemplate, helmTemplateRaw, type Manifest } from './helm.js';
import { validateManifest } from './k8s-validate.js';

/** Value sets the chart must render cleanly; each row is a way people install it. */
const SCENARIOS: { name: string; values: object; namespace?: string }[] = [
  // helm install with nothing set: cluster-wide watch, leader election, gateway secret basic-auth.
  { name: 'defaults', values: {} },
  // A multi-tenant cluster: FunctionAutoscalers in two team namespaces, functions in two namespaces.
  {
    name: 'namespaced watch',
    values: { watchNamespaces: ['team-a', 'team-b'], functionNamespaces: ['openfaas-fn', 'team-b-fn'] },
    namespace: 'faas-autoscaler',
  },
  // Everything optional switched on: HA, monitoring, authenticated Prometheus, models from a PVC.
  {
    name: 'everything on',
    values: {
      replicaCount: 2,
      image: { repository: 'registry.example.com/fas', digest: `sha256:${'a'.repeat(64)}` },
      imagePullSecrets: [{ name: 'regcred' }],
      prometheus: {
        a: { url: 'https://prom-a.example.com', auth: { type: 'bearer', existingSecret: 'prom-a' } },
        b: { url: 'https://prom-b.example.com', auth: { type: 'basic', existingSecret: 'prom-b' } },
      },
      model: { source: 'volume', volume: { persistentVolumeClaim: { claimName: 'fas-models' } } },
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      grafanaDashboard: { enabled: true, namespace: 'monitoring' },
      podAnnotations: { 'example.com/team': 'platform' },
      podLabels: { team: 'platform' },
      priorityClassName: 'system-cluster-critical',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }],
          },
        },
      },
      logLevel: 'debug',
      extraArgs: ['--prometheus-timeout-seconds=5'],
      extraEnv: [{ name: 'UV_THREADPOOL_SIZE', value: '8' }],
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'faas-autoscaler' } },
        },
      ],
      networkPolicy: {
        enabled: true,
        metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      },
      prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    },
  },
  // Minimal: no leader election, an existing ServiceAccount, no gateway credentials.
  {
    name: 'minimal',
    values: {
      leaderElection: { enabled: false },
      serviceAccount: { create: false, name: 'existing-sa' },
      gateway: { basicAuth: { existingSecret: '' } },
    },
  },
];

const STANDARD_LABELS = [
  'helm.sh/chart',
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
];

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

describeWithHelm('chart: helm lint and template', () => {
  describe.each(SCENARIOS)('$name', ({ values, namespace }) => {
    let rendered: Manifest[] | undefined;
    const render = (): Manifest[] => (rendered ??= helmTemplate({ values, namespace, includeCrds: true }));

    it('passes helm lint --strict', () => {
      const lint = helm(['lint', '--strict', CHART_DIR, '--namespace', namespace ?? 'openfaas'], [values]);
      expect({ status: lint.status, out: lint.stdout + lint.stderr }).toEqual({
        status: 0,
        out: expect.stringContaining('0 chart(s) failed'),
      });
    });

    it('renders objects that validate against the Kubernetes schemas, with no unknown fields', () => {
      const problems = render().flatMap(validateManifest);
      expect(problems).toEqual([]);
    });

    it('labels every object with the standard app.kubernetes.io labels and namespaces the namespaced ones', () => {
      for (const m of render().filter((o) => o.kind !== 'CustomResourceDefinition')) {
        const id = `${m.kind}/${m.metadata.name}`;
        const missing = STANDARD_LABELS.filter((l) => !(m.metadata.labels ?? {})[l]);
        expect({ id, missing }).toEqual({ id, missing: [] });
        expect({ id, namespaced: m.metadata.namespace !== undefined }).toEqual({ id, namespaced: !CLUSTER_SCOPED.has(m.kind) });
      }
    });

    it('runs the operator non-root, read-only, without capabilities, with a writable /tmp', () => {
      const deployment = findManifest(render(), 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmpMount = container.volumeMounts.find((v: { mountPath: string }) => v.mountPath === '/tmp');
      const tmpVolume = pod.volumes.find((v: { name: string }) => v.name === tmpMount?.name);
      expect(tmpVolume).toMatchObject({ emptyDir: expect.any(Object) });
      // The selector must match the pod labels, or the Deployment never owns its pods.
      expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    });

    it('binds only roles it renders, to the ServiceAccount the pod runs as, and grants nothing on Secrets', () => {
      const manifests = render();
      const pod = findManifest(manifests, 'Deployment').spec.template.spec;
      const roles = manifests.filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole');
      for (const binding of manifests.filter((m) => m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding')) {
        const target = roles.find(
          (r) =>
            r.kind === binding.roleRef.kind &&
            r.metadata.name === binding.roleRef.name &&
            (r.kind === 'ClusterRole' || r.metadata.namespace === binding.metadata.namespace),
        );
        expect({ binding: binding.metadata.name, found: target !== undefined }).toEqual({ binding: binding.metadata.name, found: true });
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: namespace ?? 'openfaas' }]);
      }
      const rules = roles.flatMap((r) => r.rules as { resources: string[]; verbs: string[] }[]);
      expect(rules.filter((r) => r.resources.includes('secrets') || r.resources.includes('*') || r.verbs.includes('*'))).toEqual([]);
    });
  });

  it('wires the pieces together: Service → pods and their named port, ServiceMonitor → Service, probes → port', () => {
    const manifests = helmTemplate({ values: { serviceMonitor: { enabled: true } } });
    const pod = findManifest(manifests, 'Deployment').spec.template;
    const service = findManifest(manifests, 'Service');
    const monitor = findManifest(manifests, 'ServiceMonitor');
    const container = pod.spec.containers[0];
    const portNames = container.ports.map((p: { name: string }) => p.name);
    expect(pod.metadata.labels).toMatchObject(service.spec.selector);
    expect(portNames).toContain(service.spec.ports[0].targetPort);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
    expect([container.livenessProbe.httpGet, container.readinessProbe.httpGet]).toEqual([
      { path: '/healthz', port: 'metrics' },
      { path: '/readyz', port: 'metrics' },
    ]);
    expect(portNames).toContain('metrics');
  });

  describe('RBAC layout', () => {
    const layout = (values: object): string[] =>
      helmTemplate({ values })
        .filter((m) => /Role/.test(m.kind))
        .map((m) => `${m.kind} ${m.metadata.namespace ?? '(cluster)'} ${m.metadata.name}`)
        .sort();

    const cases: { name: string; values: object; want: string[] }[] = [
      // All namespaces: FunctionAutoscalers need a ClusterRole; Deployments stay namespaced.
      {
        name: 'cluster-wide watch',
        values: {},
        want: [
          'ClusterRole (cluster) fas-faas-autoscaler',
          'ClusterRoleBinding (cluster) fas-faas-autoscaler',
          'Role openfaas fas-faas-autoscaler-leader-election',
          'Role openfaas-fn fas-faas-autoscaler-functions',
          'RoleBinding openfaas fas-faas-autoscaler-leader-election',
          'RoleBinding openfaas-fn fas-faas-autoscaler-functions',
        ],
      },
      // Watched namespaces: nothing cluster-wide at all; duplicates collapse.
      {
        name: 'namespaced watch',
        values: { watchNamespaces: ['team-a', 'team-b', 'team-a'], leaderElection: { enabled: false } },
        want: [
          'Role openfaas-fn fas-faas-autoscaler-functions',
          'Role team-a fas-faas-autoscaler-watch',
          'Role team-b fas-faas-autoscaler-watch',
          'RoleBinding openfaas-fn fas-faas-autoscaler-functions',
          'RoleBinding team-a fas-faas-autoscaler-watch',
          'RoleBinding team-b fas-faas-autoscaler-watch',
        ],
      },
      // rbac.create=false: the user brings their own.
      { name: 'rbac off', values: { rbac: { create: false } }, want: [] },
    ];

    it.each(cases)('$name', ({ values, want }) => {
      expect(layout(values)).toEqual(want);
    });

    it('passes the watched namespaces to the operator exactly when it renders Roles for them', () => {
      const args = (values: object): string[] => findManifest(helmTemplate({ values }), 'Deployment').spec.template.spec.containers[0].args;
      expect(args({}).filter((a) => a.startsWith('--namespaces'))).toEqual([]);
      expect(args({ watchNamespaces: ['team-a', 'team-b', 'team-a'] }).filter((a) => a.startsWith('--namespaces'))).toEqual([
        '--namespaces=team-a,team-b',
      ]);
    });
  });

  describe('CRDs', () => {
    it('ships copies of the repository crds/ files, byte for byte (bash scripts/sync-chart-crds.sh)', () => {
      const chartCrds = join(CHART_DIR, 'crds');
      const repoCrds = join(REPO_ROOT, 'crds');
      const list = (dir: string): string[] =>
        readdirSync(dir)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort();
      expect(list(chartCrds)).toEqual(list(repoCrds));
      expect(list(repoCrds).length).toBeGreaterThan(0);
      for (const file of list(repoCrds)) {
        const same = readFileSync(join(chartCrds, file), 'utf8') === readFileSync(join(repoCrds, file), 'utf8');
        expect({ file, same, fix: same ? '' : 'run bash scripts/sync-chart-crds.sh' }).toEqual({ file, same: true, fix: '' });
      }
    });

    it('renders the FunctionAutoscaler CRD with --include-crds, equal to crds/ and valid', () => {
      const crd = findManifest(helmTemplate({ includeCrds: true }), 'CustomResourceDefinition', 'functionautoscalers.faas-autoscaler.dev');
      const onDisk = parse(readFileSync(join(REPO_ROOT, 'crds', 'functionautoscalers.faas-autoscaler.dev.yaml'), 'utf8'), {
        maxAliasCount: 1000,
      });
      expect(crd).toEqual(onDisk);
      expect(validateManifest(crd)).toEqual([]);
    });
  });

  it('gives node the heap limit heapLimitMiB names, below the memory limit; null leaves NODE_OPTIONS alone', () => {
    const envOf = (values: object): Array<{ name: string; value?: string }> =>
      findManifest(helmTemplate({ values }), 'Deployment').spec.template.spec.containers[0].env;
    const container = findManifest(helmTemplate(), 'Deployment').spec.template.spec.containers[0];
    const heap = container.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS');
    const mib = Number(/^--max-old-space-size=(\d+)$/.exec(heap?.value ?? '')?.[1]);
    expect(mib).toBeGreaterThanOrEqual(64);
    const limit = /^(\d+)(Mi|Gi)$/.exec(container.resources.limits.memory)!;
    expect(mib).toBeLessThan(Number(limit[1]) * (limit[2] === 'Gi' ? 1024 : 1));
    expect(envOf({ heapLimitMiB: 700 })).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=700' });
    expect(envOf({ heapLimitMiB: null }).map((e) => e.name)).not.toContain('NODE_OPTIONS');
  });

  describe('values.schema.json rejects bad values, naming the field', () => {
    const cases: { name: string; values: object; want: RegExp }[] = [
      // Negative replicas.
      { name: 'replicaCount -1', values: { replicaCount: -1 }, want: /replicaCount: Must be greater than or equal to 1/ },
      // An auth type the operator does not have: the message lists the known ones.
      {
        name: 'unknown auth type',
        values: { prometheus: { a: { auth: { type: 'oauth' } } } },
        want: /prometheus\.a\.auth\.type: prometheus\.a\.auth\.type must be one of the following: "none", "basic", "bearer"/,
      },
      // A namespace that is not a DNS label.
      { name: 'bad namespace', values: { watchNamespaces: ['Team_A'] }, want: /watchNamespaces\.0: Does not match pattern/ },
      // Basic auth without the Secret that holds it.
      {
        name: 'basic auth without secret',
        values: { prometheus: { a: { auth: { type: 'basic' } } } },
        want: /prometheus\.a\.auth\.existingSecret/,
      },
      // A typo in a top-level key is not silently ignored.
      { name: 'misspelt key', values: { replicacount: 2 }, want: /Additional property replicacount is not allowed/ },
      // A URL without a scheme.
      {
        name: 'gateway url without scheme',
        values: { gateway: { url: 'gateway.openfaas:8080' } },
        want: /gateway\.url: Does not match pattern/,
      },
      // Log levels are pino's.
      { name: 'unknown logLevel', values: { logLevel: 'loud' }, want: /logLevel: logLevel must be one of the following/ },
      // Two active operators would fight: the template refuses.
      {
        name: 'HA without leader election',
        values: { replicaCount: 2, leaderElection: { enabled: false } },
        want: /replicaCount > 1 needs leaderElection\.enabled=true/,
      },
      // The leader would give up before its Lease runs out.
      {
        name: 'renew deadline past the lease',
        values: { leaderElection: { enabled: true, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 } },
        want: /renewDeadlineSeconds must be less than/,
      },
      // A scale-up factor of 1 would freeze every function at its count.
      { name: 'scale-up factor 1', values: { limits: { maxScaleUpFactor: 1 } }, want: /maxScaleUpFactor/ },
      // A heap limit V8 could not run the operator in.
      { name: 'heap limit too small', values: { heapLimitMiB: 16 }, want: /heapLimitMiB: Must be greater than or equal to 64/ },
      // Models from a volume, but no volume.
      { name: 'volume models without volume', values: { model: { source: 'volume' } }, want: /model\.source=volume needs model\.volume/ },
    ];

    it.each(cases)('$name', ({ values, want }) => {
      const result = helmTemplateRaw({ values });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(want) });
    });
  });

  describe('NOTES.txt', () => {
    // helm renders NOTES.txt only on install, which needs a cluster; render it through tpl in a
    // scratch copy of the chart instead, so its template code is exercised.
    function renderNotes(values: object): string {
      const dir = mkdtempSync(join(tmpdir(), 'fas-notes-'));
      try {
        const chart = join(dir, 'faas-autoscaler');
        cpSync(CHART_DIR, chart, { recursive: true, dereference: true });
        cpSync(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes-source.txt'));
        writeFileSync(
          join(chart, 'templates', 'zz-notes.yaml'),
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes-source.txt") . | quote }}\n',
        );
        return findManifest(helmTemplate({ values, chartDir: chart }), 'ConfigMap', 'notes').data.notes as string;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it.each([
      // Default install: cluster-wide, FunctionAutoscaler next to the functions.
      {
        name: 'defaults',
        values: {},
        want: [
          /all namespaces/,
          /namespace: openfaas-fn/,
          /kubectl -n openfaas scale deployment alertmanager --replicas=0/,
          /get lease fas-faas-autoscaler-leader/,
        ],
      },
      // Namespaced: the example FunctionAutoscaler goes to a watched namespace.
      {
        name: 'namespaced, dashboard on',
        values: { watchNamespaces: ['team-a'], grafanaDashboard: { enabled: true } },
        want: [/FunctionAutoscalers in: team-a/, /namespace: team-a/, /functionNamespace: openfaas-fn/, /Grafana dashboard/],
      },
    ])('renders: $name', ({ values, want }) => {
      const notes = renderNotes(values);
      for (const pattern of want) expect(notes).toMatch(pattern);
    });
  });
});
