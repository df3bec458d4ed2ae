/**
 * The operator against the real kube-apiserver, installed and authorised the way a user installs
 * it: `helm install` of the chart (a copy without its `kubeVersion` line: v1.20 is older than the
 * chart supports), then the operator process run with the chart's rendered args and a token of the
 * chart's ServiceAccount (`kubectl create token`), under `--authorization-mode=Node,RBAC`. The
 * sandbox (`--kube-apiserver`) runs etcd and the API server, keeps function Deployments' status as
 * a cluster would, and serves the gateway; Prometheus is real.
 *
 * One scenario, in order: leader within 15 s and a scale; conditions and Events; a policy switch by
 * patching the resource; a spec v1.20 accepts (no CEL) refused by the operator itself; the API
 * server killed and restarted mid-run; a second operator taking over when the leader is killed.
 * Then the audit log: not one 403 for the operator's ServiceAccount.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { V1Lease } from '@kubernetes/client-node';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { freePort } from '../../operator/src/sandbox/prometheus-process.js';
import {
  condition,
  control,
  createFas,
  E2E,
  eventsFor,
  eventsWithReason,
  FAAS_AUTOSCALER,
  FAS,
  fasStatus,
  FN_NAMESPACE,
  replicasOf,
  waitFor,
  type KubeClients,
  type Proc,
} from '../e2e/harness.js';
import { describeWithKubeApiserver, HELM, kubectl, KUBE_APISERVER, REPO_ROOT } from './real-api.js';

const RELEASE_NAMESPACE = 'openfaas';
const SERVICE_ACCOUNT = 'fas-faas-autoscaler';
const LEASE = { name: 'fas-faas-autoscaler-leader', namespace: RELEASE_NAMESPACE };
const OPERATOR_USER = `system:serviceaccount:${RELEASE_NAMESPACE}:${SERVICE_ACCOUNT}`;

describeWithKubeApiserver('the operator on the real kube-apiserver, installed by helm, under the chart RBAC', () => {
  const e2e = new E2E('real-api-operator');
  let info: SandboxInfo;
  let kube: KubeClients;
  let promUrl: string;
  let saKubeconfig: string;
  let operatorArgs: string[];
  const operators = new Map<string, { proc: Proc; endpoints: string }>();
  /**
   * Moments after which the API server's RBAC authorizer may lag for a few seconds: the chart's
   * Roles just created (helm install), and the API server killed and back ({from, to}, ms).
   */
  const rbacSettling: { from: number; to: number }[] = [];

  const helm = (args: string[]): { status: number; out: string } => {
    const run = spawnSync(HELM!, args, {
      encoding: 'utf8',
      env: {
        ...process.env,
        KUBECONFIG: info.kubeconfig,
        HELM_CACHE_HOME: join(e2e.dir, 'helm-cache'),
        HELM_CONFIG_HOME: join(e2e.dir, 'helm-config'),
        HELM_DATA_HOME: join(e2e.dir, 'helm-data'),
      },
    });
    return { status: run.status ?? -1, out: `${run.stdout}${run.stderr}` };
  };

  const lease = (): Promise<V1Lease> => kube.coordination.readNamespacedLease(LEASE);

  /** `faas-autoscaler operator` with the chart's rendered args, the ServiceAccount's kubeconfig and this test's endpoints. */
  async function startOperator(identity: string): Promise<{ proc: Proc; endpoints: string }> {
    const port = await freePort('127.0.0.1');
    const args = operatorArgs
      .filter((a) => !a.startsWith('--listen=') && !a.startsWith('--gateway-basic-auth-file='))
      .concat([
        `--listen=127.0.0.1:${port}`,
        `--gateway-basic-auth-file=${info.gatewayBasicAuthFile}`,
        `--kubeconfig=${saKubeconfig}`,
        `--identity=${identity}`,
      ]);
    const proc = e2e.spawn(`operator-${identity}`, process.execPath, [FAAS_AUTOSCALER, 'operator', ...args], {
      POD_NAMESPACE: RELEASE_NAMESPACE,
    });
    const op = { proc, endpoints: `http://127.0.0.1:${port}` };
    operators.set(identity, op);
    return op;
  }

  beforeAll(async () => {
    const config = e2e.file('sandbox.yaml', {
      functions: [
        { name: 'ra-fn', profile: 'fixed:50ms', coldStartSeconds: 1 },
        { name: 'ra-other', profile: 'fixed:50ms', coldStartSeconds: 1 },
      ],
    });
    const sandbox = await e2e.sandbox(['--config', config, '--kube-apiserver', KUBE_APISERVER!]);
    info = sandbox.info;
    kube = sandbox.kube;
    expect(info.kubeApiserver?.version).toBe('Kubernetes v1.20.2');
    promUrl = (await e2e.prometheus(info)).url;
    // Without requests there are no gateway series, and every policy holds (MetricsAvailable False).
    e2e.steadyLoad('load', info.gatewayUrl, 'ra-fn', 5);
  }, 120_000);

  afterAll(() => e2e.cleanup());

  it('helm install: refused for its kubeVersion on v1.20 (the constraint is kept), installed from a copy without it', async () => {
    const values = e2e.file('values.yaml', { prometheus: { a: { url: promUrl } }, gateway: { url: info.gatewayUrl } });
    const refused = helm(['install', 'fas', join(REPO_ROOT, 'charts', 'faas-autoscaler'), '-n', RELEASE_NAMESPACE, '-f', values]);
    expect({ status: refused.status, out: refused.out }).toEqual({
      status: 1,
      out: expect.stringContaining('chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20.2'),
    });

    const chart = join(mkdtempSync(join(tmpdir(), 'fas-chart-')), 'faas-autoscaler');
    cpSync(join(REPO_ROOT, 'charts', 'faas-autoscaler'), chart, { recursive: true, dereference: true });
    const chartYaml = join(chart, 'Chart.yaml');
    writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^kubeVersion:.*\n/m, ''));
    const installing = Date.now();
    const installed = helm(['install', 'fas', chart, '-n', RELEASE_NAMESPACE, '-f', values, '--wait=false']);
    rbacSettling.push({ from: installing, to: Date.now() });
    expect({ status: installed.status, out: installed.out }).toEqual({ status: 0, out: expect.stringContaining('STATUS: deployed') });
    rmSync(join(chart, '..'), { recursive: true, force: true });

    const deployment = await kube.apps.readNamespacedDeployment({ name: SERVICE_ACCOUNT, namespace: RELEASE_NAMESPACE });
    operatorArgs = deployment.spec!.template.spec!.containers[0]!.args!;
    expect(operatorArgs).toEqual(
      expect.arrayContaining([`--prometheus-a-url=${promUrl}`, `--lease-name=${LEASE.name}`, '--lease-duration-seconds=15']),
    );

    // The chart's ServiceAccount, as a pod would present it: a bound token from the TokenRequest API.
    const token = await kubectl(info.kubeconfig, ['create', 'token', SERVICE_ACCOUNT, '-n', RELEASE_NAMESPACE, '--duration=1h']);
    expect(token.status).toBe(0);
    const admin = readFileSync(info.kubeconfig, 'utf8');
    saKubeconfig = e2e.file('sa-kubeconfig', admin.replace(/token: .*/, `token: ${token.out.trim()}`));
    const whoami = await kubectl(saKubeconfig, ['auth', 'can-i', 'update', 'deployments', '--subresource=scale', '-n', FN_NAMESPACE]);
    expect(whoami.out.trim()).toBe('yes');
    const notGranted = await kubectl(saKubeconfig, ['auth', 'can-i', 'delete', 'deployments', '-n', FN_NAMESPACE]);
    expect(notGranted.out.trim()).toBe('no');
  }, 120_000);

  it('becomes leader within 15 s with the chart defaults and scales a function', async () => {
    const startedAt = Date.now();
    const a = await startOperator('op-a');
    const holder = await waitFor(
      'op-a to hold the Lease',
      async () => ((await lease().catch(() => undefined))?.spec?.holderIdentity === 'op-a' ? true : undefined),
      15_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- operator log ---\n${a.proc.tail()}`);
    });
    // The Lease can be won before the first list of FunctionAutoscalers has come back: ready follows.
    const ready = await waitFor(
      'op-a ready',
      async () => ((await fetch(`${a.endpoints}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
      15_000,
      200,
    );
    expect({ holder, ready, withinMs: Date.now() - startedAt <= 15_000 }).toEqual({ holder: true, ready: true, withinMs: true });

    await createFas(kube, 'ra-fn', {
      functionName: 'ra-fn',
      minReplicas: 1,
      maxReplicas: 10,
      intervalSeconds: 5,
      slo: { p95LatencyMs: 500 },
      policy: { name: 'static', params: { replicas: 3 } },
    });
    await waitFor(
      'ra-fn scaled to 3 and ready',
      async () => {
        const d = await kube.apps.readNamespacedDeployment({ name: 'ra-fn', namespace: FN_NAMESPACE });
        return d.spec?.replicas === 3 && d.status?.readyReplicas === 3;
      },
      45_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- operator log ---\n${a.proc.tail()}`);
    });
    const status = await waitFor(
      'status with replicas 3',
      async () => {
        const s = await fasStatus(kube, 'ra-fn');
        return s.replicas === 3 && condition(s, 'Ready')?.status === 'True' ? s : undefined;
      },
      30_000,
    );
    expect({ policy: status.activePolicy, desired: status.desiredReplicas, ready: condition(status, 'Ready')?.reason }).toEqual({
      policy: 'static',
      desired: 3,
      ready: 'Reconciled',
    });
    const events = await eventsWithReason(kube, 'ra-fn', 'Scaled');
    expect(events.find((e) => e.reason === 'Scaled')).toMatchObject({
      type: 'Normal',
      instance: 'op-a',
      message: expect.stringContaining('scaled from 1 to 3'),
    });

    // kubectl's columns, from the real server's Table conversion of the CRD's printer columns.
    const table = await kubectl(info.kubeconfig, ['get', 'fas', 'ra-fn', '-n', FN_NAMESPACE]);
    const [header, row] = table.out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
    expect(header).toEqual(['NAME', 'READY', 'POLICY', 'REPLICAS', 'DESIRED', 'P95', 'SLO', 'MISSES', 'AGE']);
    expect(row.slice(0, 5)).toEqual(['ra-fn', 'True', 'static', '3', '3']);
    expect(row[6]).toBe('500');
    expect(Number(row[7])).toBeGreaterThanOrEqual(0);
    // The operator's own metrics: standard process_* names, per-function gauges.
    const metrics = await (await fetch(`${a.endpoints}/metrics`)).text();
    expect(metrics).toMatch(/^process_cpu_seconds_total \d/m);
    expect(metrics).not.toMatch(/faas_autoscaler_process_/);
    expect(metrics).toMatch(/^faas_autoscaler_function_slo_p95_latency_ms\{namespace="openfaas-fn",name="ra-fn",function="ra-fn"\} 500$/m);
  }, 120_000);

  it('switches policy when the resource is patched, with an Event', async () => {
    await kube.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: FN_NAMESPACE,
      name: 'ra-fn',
      body: [{ op: 'replace', path: '/spec/policy', value: { name: 'static', params: { replicas: 2 } } }],
    });
    await waitFor('ra-fn at 2', async () => (await replicasOf(kube, 'ra-fn')) === 2, 30_000);
    await kube.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: FN_NAMESPACE,
      name: 'ra-fn',
      body: [{ op: 'replace', path: '/spec/policy', value: { name: 'hpa' } }],
    });
    await waitFor('activePolicy hpa', async () => (await fasStatus(kube, 'ra-fn')).activePolicy === 'hpa', 30_000);
    const switched = (await eventsWithReason(kube, 'ra-fn', 'PolicySwitched')).filter((e) => e.reason === 'PolicySwitched');
    expect(switched.map((e) => e.message)).toEqual([expect.stringContaining('policy static → hpa')]);
  }, 90_000);

  it('refuses minReplicas > maxReplicas itself: v1.20 stores it (no CEL), the operator reports InvalidSpec and leaves the function alone', async () => {
    await createFas(kube, 'ra-other', {
      functionName: 'ra-other',
      minReplicas: 8,
      maxReplicas: 5,
      intervalSeconds: 5,
      slo: { p95LatencyMs: 500 },
      policy: { name: 'static', params: { replicas: 4 } },
    });
    const status = await waitFor(
      'InvalidSpec on ra-other',
      async () => {
        const s = await fasStatus(kube, 'ra-other');
        return condition(s, 'Ready')?.reason === 'InvalidSpec' ? s : undefined;
      },
      30_000,
    );
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      message: expect.stringContaining('minReplicas must be less than or equal to maxReplicas'),
    });
    expect((await eventsWithReason(kube, 'ra-other', 'InvalidSpec')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'InvalidSpec']]);
    expect(await replicasOf(kube, 'ra-other')).toBe(1);
  }, 60_000);

  it('carries on after the API server is killed and restarted mid-run', async () => {
    const a = operators.get('op-a')!;
    const killing = Date.now();
    await control(info, '/kube/restart?downMs=3000');
    rbacSettling.push({ from: killing, to: Date.now() });
    await kube.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: FN_NAMESPACE,
      name: 'ra-fn',
      body: [{ op: 'replace', path: '/spec/policy', value: { name: 'static', params: { replicas: 4 } } }],
    });
    await waitFor('ra-fn scaled to 4 after the restart', async () => (await replicasOf(kube, 'ra-fn')) === 4, 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n--- operator log ---\n${a.proc.tail()}`);
      },
    );
    expect(a.proc.child.exitCode).toBeNull();
    expect((await lease()).spec?.holderIdentity).toBe('op-a');
  }, 90_000);

  it('hands over to a second operator when the leader is killed, within the lease duration', async () => {
    const b = await startOperator('op-b');
    await waitFor(
      'op-b ready (standby)',
      async () => (await fetch(`${b.endpoints}/readyz`).catch(() => undefined))?.status === 200,
      30_000,
    );
    const a = operators.get('op-a')!;
    a.proc.signal('SIGKILL');
    await a.proc.exited;
    const lastRenewMs = new Date((await lease()).spec!.renewTime!).getTime();
    const taken = await waitFor(
      'op-b to hold the Lease',
      async () => {
        const l = await lease();
        return l.spec?.holderIdentity === 'op-b' ? l : undefined;
      },
      40_000,
    );
    // Not before the Lease expired (15 s after the last renewal), and within one retry period (2 s) and a second of slack after.
    const afterExpiry = new Date(taken.spec!.acquireTime!).getTime() - (lastRenewMs + 15_000);
    expect({ afterExpiry, ok: afterExpiry >= 0 && afterExpiry <= 3_000 }).toEqual({ afterExpiry, ok: true });
    await kube.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: FN_NAMESPACE,
      name: 'ra-fn',
      body: [{ op: 'replace', path: '/spec/policy', value: { name: 'static', params: { replicas: 2 } } }],
    });
    await waitFor('ra-fn scaled to 2', async () => (await replicasOf(kube, 'ra-fn')) === 2, 45_000);
    // The Event follows the /scale write; wait for it rather than race it.
    const last = await waitFor(
      'a Scaled Event from op-b',
      async () => (await eventsFor(kube, 'ra-fn')).find((e) => e.reason === 'Scaled' && e.instance === 'op-b'),
      15_000,
    );
    expect(last.message).toContain('scaled from 4 to 2');
  }, 120_000);

  it('made no call the chart RBAC does not grant (audit log: no 403 for its ServiceAccount)', () => {
    const entries = readFileSync(info.kubeApiserver!.auditLog, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            user?: { username?: string };
            responseStatus?: { code?: number };
            verb?: string;
            requestReceivedTimestamp?: string;
            objectRef?: { resource?: string; subresource?: string; namespace?: string };
          },
      );
    const call = (e: (typeof entries)[number]): string =>
      `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} in ${e.objectRef?.namespace}`;
    const mine = entries.filter((e) => e.user?.username === OPERATOR_USER);
    // Right after a restart (or right after the Roles are created) the API server's RBAC authorizer
    // is still filling its caches and may answer 403 for a few seconds (it did in CI after the
    // restart); such a call must have been granted before or after.
    const warmingUp = (e: (typeof entries)[number]): boolean => {
      const t = Date.parse(e.requestReceivedTimestamp ?? '');
      return rbacSettling.some((w) => t >= w.from && t <= w.to + 15_000);
    };
    const forbidden = mine.filter((e) => e.responseStatus?.code === 403);
    expect({ calls: mine.length > 50, forbidden: forbidden.filter((e) => !warmingUp(e)).map(call) }).toEqual({
      calls: true,
      forbidden: [],
    });
    const grantedElsewhere = new Set(mine.filter((e) => (e.responseStatus?.code ?? 0) < 400).map(call));
    expect(forbidden.map(call).filter((c) => !grantedElsewhere.has(c))).toEqual([]);
    const kinds = new Set(
      mine.map((e) => `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`),
    );
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'update deployments/scale',
        'patch functionautoscalers/status',
        'create events',
        'update leases',
        'watch functionautoscalers',
      ]),
    );
  });
});
