/**
 * The operator end to end, in real time: the emulated Kubernetes API server (operator/src/sandbox,
 * real list/watch/409/410/subresource/Lease semantics), a real Prometheus scraping gateway- and
 * cAdvisor-shaped series whose load the test sets, and `startOperator` as the CLI wires it. Each
 * FunctionAutoscaler has `intervalSeconds: 5` (the CRD minimum), so a scenario takes a few ticks of
 * real time; the test waits on observable outcomes (status, Events, the audit log), never on a fixed
 * sleep. Scenarios:
 *
 *   scales up under load and back down · a policy patch changes the next decision, with an Event ·
 *   a missing model falls back to hpa · two operators: only the leader writes, the other takes over ·
 *   a stale write (409) is retried · Prometheus killed mid-run: scale held, condition set ·
 *   SIGTERM: the tick finishes, the Lease is released, exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { startOperator, type OperatorConfig, type RunningOperator } from '../../operator/src/controller/run-operator.js';
import type { FunctionAutoscalerStatus } from '../../operator/src/api/types.js';
import { scrapeSample } from '../support/metrics-text.js';
import { Exporter, startPrometheus, waitFor, type RunningPrometheus } from './operator-harness.js';

const NS = 'openfaas-fn';
const GROUP = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' };
const MiB = 2 ** 20;
const TOKENS = { 'token-a': 'operator-a', 'token-b': 'operator-b', 'token-test': 'tester' };

let kube: KubeApiServer;
let exporter: Exporter;
let prom: RunningPrometheus;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let core: CoreV1Api;
let coordination: CoordinationV1Api;
const operators: RunningOperator[] = [];

function kubeconfig(token: string): string {
  return kubeconfigYaml({ server: kube.url, token });
}

function operatorConfig(identity: string, token: string): OperatorConfig {
  return {
    prometheusA: { url: prom.url },
    prometheusB: { url: prom.url },
    prometheusTimeoutMs: 2000,
    namespaces: [],
    logLevel: 'silent',
    kubeconfig: { mode: 'yaml', yaml: kubeconfig(token) },
    listen: { host: '127.0.0.1', port: 0 },
    leaderElection: {
      enabled: true,
      namespace: 'default',
      name: 'faas-autoscaler-leader',
      identity,
      leaseDurationSeconds: 4,
      renewDeadlineSeconds: 3,
      retryPeriodSeconds: 0.5,
    },
    apiTimeoutMs: 5000,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  };
}

async function start(identity: string, token: string): Promise<RunningOperator> {
  const op = await startOperator(operatorConfig(identity, token));
  operators.push(op);
  return op;
}

async function deployFunction(name: string, replicas: number): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name, namespace: NS, labels: { faas_function: name } },
      spec: {
        replicas,
        selector: { matchLabels: { faas_function: name } },
        template: {
          metadata: { labels: { faas_function: name } },
          spec: {
            containers: [{ name, image: 'ghcr.io/openfaas/alpine:latest', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
          },
        },
      },
    },
  });
}

async function createAutoscaler(name: string, spec: Record<string, unknown>): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace: NS,
    body: {
      apiVersion: 'faas-autoscaler.dev/v1alpha1',
      kind: 'FunctionAutoscaler',
      metadata: { name, namespace: NS },
      spec: { functionName: name, maxReplicas: 10, intervalSeconds: 5, slo: { p95LatencyMs: 300 }, ...spec },
    },
  });
}

async function statusOf(name: string): Promise<FunctionAutoscalerStatus> {
  const obj = (await custom.getNamespacedCustomObject({ ...GROUP, namespace: NS, name })) as { status?: FunctionAutoscalerStatus };
  return obj.status ?? {};
}

async function replicasOf(name: string): Promise<number> {
  return (await apps.readNamespacedDeployment({ name, namespace: NS })).spec?.replicas ?? -1;
}

async function eventsFor(name: string): Promise<Array<{ reason: string; message: string; instance: string }>> {
  const list = await core.listNamespacedEvent({ namespace: NS });
  // Events have generated names; order them by when they were written (the sandbox's resourceVersions are global and increasing).
  return list.items
    .sort((a, b) => Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion))
    .filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'FunctionAutoscaler')
    .map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', instance: e.reportingInstance ?? '' }));
}

function condition(s: FunctionAutoscalerStatus, type: string): { status: string; reason: string; message: string } | undefined {
  return s.conditions?.find((c) => c.type === type);
}

function load(name: string, rps: number, pods = 1): void {
  exporter.set({ name, namespace: NS, rps, latencySeconds: 0.05, pods, cpuCoresPerPod: 0.05, memoryBytesPerPod: 64 * MiB });
}

beforeAll(async () => {
  kube = new KubeApiServer({ tokens: TOKENS });
  await kube.start();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig('token-test'));
  apps = kc.makeApiClient(AppsV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  core = kc.makeApiClient(CoreV1Api);
  coordination = kc.makeApiClient(CoordinationV1Api);
  exporter = new Exporter();
  // Loads are set before Prometheus starts, so each function has a full window when its test begins.
  load('surge', 200);
  load('switch', 10);
  load('fallback', 5, 2);
  load('stale', 100);
  load('held', 200);
  await exporter.start();
  prom = await startPrometheus({ targets: [exporter.url] });
  // Prometheus 2.42 starts scraping a few seconds after it is ready; wait for a 5-s window of data.
  await waitFor('Prometheus to hold a full window', async () => (exporter.scrapes >= 7 ? true : undefined), 30_000);
}, 60_000);

afterAll(async () => {
  for (const op of operators) await op.stop();
  await prom?.stop();
  await exporter?.stop();
  await kube?.stop();
});

describe('operator on the emulated cluster with a real Prometheus', () => {
  let leader: RunningOperator;
  let follower: RunningOperator;

  it('two operators: one leads, and only the leader writes', async () => {
    await deployFunction('surge', 1);
    await createAutoscaler('surge', { policy: { name: 'openfaas-pro' } });
    leader = await start('operator-a', 'token-a');
    await waitFor('operator-a to lead', async () => (leader.elector!.isLeader() ? true : undefined));
    follower = await start('operator-b', 'token-b');
    // Wait until both have ticked: the leader scaled, the follower's tick was due and skipped.
    await waitFor('a scale by the leader', async () => ((await replicasOf('surge')) > 1 ? true : undefined), 20_000);
    await waitFor('a follower tick', async () => (follower.controller.lastTick?.skippedNotLeader ? true : undefined), 15_000);
    const writes = kube
      .getAuditLog()
      .filter((e) => ['create', 'update', 'patch', 'delete'].includes(e.verb) && e.resource !== 'leases' && e.user.startsWith('operator-'));
    const byUser = new Set(writes.map((e) => e.user));
    expect({ writers: [...byUser], followerIsLeader: follower.elector!.isLeader() }).toEqual({
      writers: ['operator-a'],
      followerIsLeader: false,
    });
    // The follower saw the same objects (warm standby) but sent no PromQL.
    expect({ managed: follower.controller.managedKeys(), queriesByFollower: follower.controller.lastTick?.queries ?? 0 }).toEqual({
      managed: [`${NS}/surge`],
      queriesByFollower: 0,
    });
  }, 60_000);

  it('scales a Deployment up under load (Scaled Event, status) and back down after', async () => {
    // 200 rps / (50 × 0.9 per replica) → 5 replicas.
    await waitFor('5 replicas', async () => ((await replicasOf('surge')) === 5 ? true : undefined), 20_000);
    const s = await statusOf('surge');
    expect({
      desired: s.desiredReplicas,
      active: s.activePolicy,
      ready: condition(s, 'Ready')?.status,
      metrics: condition(s, 'MetricsAvailable')?.status,
    }).toEqual({ desired: 5, active: 'openfaas-pro', ready: 'True', metrics: 'True' });
    expect(s.lastObservation?.rps).toBeGreaterThan(150);
    // The operator's own endpoints.
    const [healthz, readyz, metrics] = await Promise.all(
      ['/healthz', '/readyz', '/metrics'].map((p) => fetch(`${leader.endpoints.url}${p}`)),
    );
    const text = await metrics.text();
    expect({ healthz: healthz.status, readyz: readyz.status, metrics: metrics.status }).toEqual({
      healthz: 200,
      readyz: 200,
      metrics: 200,
    });
    expect(text).toMatch(/faas_autoscaler_decisions_total\{policy="openfaas-pro",direction="up"\} [1-9]/);
    expect(text).toMatch(/faas_autoscaler_desired_replicas\{namespace="openfaas-fn",name="surge",function="surge"\} 5/);
    // Per-function gauges: what status says, with the namespace, the resource and the function.
    const fn = '{namespace="openfaas-fn",name="surge",function="surge"}';
    const gauge = (name: string): number => Number(new RegExp(`^${name}${fn.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    // (The next interval may have run since `s` was read: values from the same scrape only.)
    expect(gauge('faas_autoscaler_function_slo_p95_latency_ms')).toBe(300);
    expect(gauge('faas_autoscaler_function_p95_latency_ms')).toBeGreaterThan(0);
    const misses = gauge('faas_autoscaler_function_misses_ratio');
    expect(misses >= 0 && misses <= 1).toBe(true);
    expect(typeof s.lastObservation?.missRatio).toBe('number');
    expect([0, 1]).toContain(gauge('faas_autoscaler_function_scaling_limited'));
    expect(gauge('faas_autoscaler_function_replicas')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/faas_autoscaler_promql_queries_total\{source="prometheus-a"\} \d+/);
    expect(text).toMatch(/faas_autoscaler_is_leader 1/);
    expect(text).toMatch(/faas_autoscaler_inference_seconds_count\{policy="openfaas-pro"\} [1-9]/);
    expect(text).toMatch(/faas_autoscaler_reconcile_duration_seconds_count [1-9]/);
    load('surge', 10);
    await waitFor('back to 1 replica', async () => ((await replicasOf('surge')) === 1 ? true : undefined), 25_000);
    const scaled = (await eventsFor('surge')).filter((e) => e.reason === 'Scaled').map((e) => e.message.split(':')[0]);
    expect(scaled[0]).toBe('scaled from 1 to 5');
    expect(scaled[scaled.length - 1]).toMatch(/^scaled from \d+ to 1$/);
  }, 60_000);

  it('a patch of spec.policy.name changes the next decision and emits an Event', async () => {
    await deployFunction('switch', 2);
    await createAutoscaler('switch', { policy: { name: 'openfaas-pro' } });
    await waitFor(
      'openfaas-pro to decide',
      async () => ((await statusOf('switch')).activePolicy === 'openfaas-pro' ? true : undefined),
      20_000,
    );
    await custom.patchNamespacedCustomObject({
      ...GROUP,
      namespace: NS,
      name: 'switch',
      body: [{ op: 'replace', path: '/spec/policy', value: { name: 'static', params: { replicas: 3 } } }],
    });
    await waitFor('static to decide 3', async () => ((await replicasOf('switch')) === 3 ? true : undefined), 20_000);
    const s = await statusOf('switch');
    expect({ active: s.activePolicy, desired: s.desiredReplicas }).toEqual({ active: 'static', desired: 3 });
    expect((await eventsFor('switch')).find((e) => e.reason === 'PolicySwitched')?.message).toMatch(/openfaas-pro → static/);
  }, 60_000);

  it('lstm-ppo-plus with a missing model falls back to hpa: PolicyLoaded=False and an Event', async () => {
    await deployFunction('fallback', 2);
    // spec.policy.name defaults to lstm-ppo-plus and fallback to hpa; the model directory is missing.
    await createAutoscaler('fallback', { policy: { model: '/nonexistent/models/lstm-ppo-plus' } });
    const s = await waitFor(
      'a decision',
      async () => {
        const st = await statusOf('fallback');
        return st.activePolicy ? st : undefined;
      },
      20_000,
    );
    expect({ active: s.activePolicy, loaded: condition(s, 'PolicyLoaded')?.status }).toEqual({ active: 'hpa', loaded: 'False' });
    expect(condition(s, 'PolicyLoaded')).toMatchObject({
      reason: 'PolicyLoadFailed',
      message: expect.stringMatching(/lstm-ppo-plus could not be loaded .*nonexistent.*using fallback hpa/),
    });
    expect((await eventsFor('fallback')).map((e) => e.reason)).toContain('PolicyFallback');
  }, 60_000);

  it('retries a stale write: a 409 on /scale is read again and rewritten', async () => {
    await deployFunction('stale', 1);
    kube.faults.failNext(
      1,
      { verb: 'update', resource: 'deployments', subresource: 'scale', name: 'stale' },
      { code: 409, message: 'the object has been modified; please apply your changes to the latest version and try again' },
    );
    await createAutoscaler('stale', { policy: { name: 'openfaas-pro' } });
    await waitFor('3 replicas', async () => ((await replicasOf('stale')) === 3 ? true : undefined), 20_000);
    // read, stale write (409), read again, write: within the same tick.
    const scaleCalls = kube
      .getAuditLog()
      .filter((e) => e.subresource === 'scale' && e.name === 'stale')
      .map((e) => `${e.verb} ${e.code}`);
    expect(scaleCalls.slice(0, 4)).toEqual(['get 200', 'update 409', 'get 200', 'update 200']);
  }, 60_000);

  it('when the leader stops, it releases the Lease and the follower takes over at once', async () => {
    await leader.stop();
    const lease = await coordination.readNamespacedLease({ name: 'faas-autoscaler-leader', namespace: 'default' });
    // Released (holder cleared) or already taken by the follower; never still held by operator-a.
    expect(lease.spec?.holderIdentity === undefined || lease.spec?.holderIdentity === 'operator-b').toBe(true);
    await waitFor('operator-b to lead', async () => (follower.elector!.isLeader() ? true : undefined), 5_000);
    load('surge', 150);
    await waitFor('operator-b to scale surge', async () => ((await replicasOf('surge')) === 4 ? true : undefined), 25_000);
    const lastScale = (await eventsFor('surge')).filter((e) => e.reason === 'Scaled').pop();
    expect(lastScale?.instance).toBe('operator-b');
  }, 60_000);

  it('Prometheus killed mid-run: the scale is held and MetricsAvailable=False says why', async () => {
    await deployFunction('held', 3);
    await createAutoscaler('held', { policy: { name: 'openfaas-pro' } });
    await waitFor('held scaled to 5', async () => ((await replicasOf('held')) === 5 ? true : undefined), 20_000);
    load('held', 0); // would scale down to 1 — if the operator could see it
    await prom.kill();
    const s = await waitFor(
      'MetricsAvailable=False',
      async () => {
        const st = await statusOf('held');
        return condition(st, 'MetricsAvailable')?.status === 'False' ? st : undefined;
      },
      20_000,
    );
    expect({ reason: condition(s, 'MetricsAvailable')?.reason, ready: condition(s, 'Ready')?.reason }).toEqual({
      reason: 'PrometheusUnavailable',
      ready: 'MetricsUnavailable',
    });
    expect(condition(s, 'MetricsAvailable')?.message).toMatch(/prometheus-a: cannot reach .*ECONNREFUSED.*keeping 5 replicas/);
    // Two more retries later (back-off 1 s, 2 s, …): still 5, never dropped to min. Status is not
    // rewritten while nothing in it changes; the operator's gauge says when it last decided.
    const lastDecision = (): Promise<number | undefined> =>
      scrapeSample(`${follower.endpoints.url}/metrics`, 'faas_autoscaler_function_last_decision_timestamp_seconds', {
        namespace: 'openfaas-fn',
        name: 'held',
      });
    const seen = new Set([await lastDecision()]);
    await waitFor('two more held decisions', async () => (seen.add(await lastDecision()).size >= 3 ? true : undefined), 20_000);
    expect({ replicas: await replicasOf('held'), reason: (await statusOf('held')).lastDecision?.reason }).toEqual({
      replicas: 5,
      reason: expect.stringMatching(/^holding 5: metrics unavailable/),
    });
  }, 60_000);
});

describe('faas-autoscaler operator (the built CLI)', () => {
  it('on SIGTERM finishes, releases the Lease and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fa-op-'));
    const kcPath = join(dir, 'kubeconfig');
    writeFileSync(kcPath, kubeconfig('token-a'));
    const child = spawn(
      process.execPath,
      [
        'bin/faas-autoscaler.js',
        'operator',
        '--kubeconfig',
        kcPath,
        '--prometheus-a-url',
        'http://127.0.0.1:9',
        '--listen',
        '127.0.0.1:0',
        '--lease-namespace',
        'default',
        '--lease-name',
        'cli-leader',
        '--identity',
        'cli-op',
        '--log-level',
        'info',
        '--retry-period-seconds',
        '0.5',
        '--namespaces',
        'cli-test',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(
        'the CLI operator to lead',
        async () => {
          const l = await coordination.readNamespacedLease({ name: 'cli-leader', namespace: 'default' }).catch(() => undefined);
          return l?.spec?.holderIdentity === 'cli-op' ? true : undefined;
        },
        20_000,
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await exited;
      const lease = await coordination.readNamespacedLease({ name: 'cli-leader', namespace: 'default' });
      expect({ code, holder: lease.spec?.holderIdentity ?? null }).toEqual({ code: 0, holder: null });
      expect(out).toMatch(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
