/**
 * The sandbox's gateway and cAdvisor endpoint over real HTTP: invocations served by the runtimes,
 * the gateway metrics (names, labels, buckets; linted by the real `promtool`), basic auth, the
 * function list, scale requests with and without OpenFaaS CE limits, scale-from-zero, time-outs,
 * and the Deployment in the emulated API server following all of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { resolveFunctions, type FunctionEntry } from '../../operator/src/sandbox/sandbox-config.js';
import { CE_ZERO_MESSAGE } from '../../operator/src/sandbox/gateway.js';
import { startSandbox, type RunningSandbox } from '../../operator/src/sandbox/sandbox.js';
import { GATEWAY_LATENCY_BUCKETS_SECONDS } from '../../operator/src/metrics/observation.js';

const FUNCTIONS: FunctionEntry[] = [
  { name: 'figlet', profile: 'fixed:20ms', sim: { coldStartSeconds: 0.3, initialReplicas: 1 } },
  { name: 'slow', profile: 'fixed:2s', sim: { upstreamTimeoutSeconds: 0.2, initialReplicas: 1 } },
];

interface Env {
  sandbox: RunningSandbox;
  dir: string;
  apps: AppsV1Api;
  auth: string;
}

async function start(ce: boolean): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-gw-'));
  const sandbox = await startSandbox({ dir, functions: resolveFunctions(FUNCTIONS, undefined), ce, gatewayPassword: 's3cret' });
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.info.kubeconfig);
  return { sandbox, dir, apps: kc.makeApiClient(AppsV1Api), auth: `Basic ${Buffer.from('admin:s3cret').toString('base64')}` };
}

async function stop(env: Env | undefined): Promise<void> {
  if (!env) return;
  await env.sandbox.stop();
  await rm(env.dir, { recursive: true, force: true });
}

/** Polls `check` (I/O-driven state) until it is true, failing with `what` after `limitMs`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Sample lines of one metric family, `name{labels} value`, keyed by the labels in name order
 * (`{code="200",function_name="f"}`): the exposition's label order is not part of the format.
 */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(`{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('sandbox gateway (Pro behaviour)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start(false);
  });
  afterAll(() => stop(env));

  const gw = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${env.sandbox.info.gatewayUrl}${path}`, init);
  /** The metrics server, on its own port as the real gateway's (8082). */
  const metrics = async (): Promise<string> => (await fetch(`${env.sandbox.info.gatewayMetricsUrl}/metrics`)).text();
  const system = (path: string, init: RequestInit = {}): Promise<Response> =>
    gw(path, { ...init, headers: { authorization: env.auth, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  it("serves /function/<name> and counts it with the gateway's metric names and labels", async () => {
    const before =
      samples(await metrics(), 'gateway_function_invocation_total').get('{code="200",function_name="figlet.openfaas-fn"}') ?? 0;
    const responses = await Promise.all([
      gw('/function/figlet', { method: 'POST', body: 'hi' }),
      gw('/function/figlet.openfaas-fn'),
      gw('/function/figlet/sub/path'),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(Number(responses[0].headers.get('x-duration-seconds'))).toBeGreaterThanOrEqual(0.02);
    const text = await metrics();
    expect(samples(text, 'gateway_function_invocation_total').get('{code="200",function_name="figlet.openfaas-fn"}')).toBe(before + 3);
    expect(samples(text, 'gateway_function_invocation_started').get('{function_name="figlet.openfaas-fn"}')).toBe(before + 3);
    // The histogram: every default bucket, +Inf, _sum and _count, labelled by function and code.
    const buckets = samples(text, 'gateway_functions_seconds_bucket');
    const les = [...buckets.keys()].filter((k) => k.includes('function_name="figlet.openfaas-fn"')).map((k) => /le="([^"]+)"/.exec(k)![1]);
    expect(les).toEqual([...GATEWAY_LATENCY_BUCKETS_SECONDS.map(String), '+Inf']);
    expect(buckets.get('{code="200",function_name="figlet.openfaas-fn",le="+Inf"}')).toBe(before + 3);
    // 20 ms service: nothing is at or under 10 ms, everything is at or under 1 s.
    expect(buckets.get('{code="200",function_name="figlet.openfaas-fn",le="0.01"}')).toBe(0);
    expect(buckets.get('{code="200",function_name="figlet.openfaas-fn",le="1"}')).toBe(before + 3);
    expect(samples(text, 'gateway_functions_seconds_count').get('{code="200",function_name="figlet.openfaas-fn"}')).toBe(before + 3);
    expect(samples(text, 'gateway_functions_seconds_sum').get('{code="200",function_name="figlet.openfaas-fn"}')).toBeGreaterThanOrEqual(
      0.06,
    );
    expect(samples(text, 'gateway_service_count').get('{function_name="figlet.openfaas-fn"}')).toBe(1);
    // Pro's inflight gauge: nothing in flight now.
    expect(samples(text, 'gateway_function_invocation_inflight').get('{function_name="figlet.openfaas-fn"}')).toBe(0);
    for (const family of [
      'gateway_functions_seconds histogram',
      'gateway_function_invocation_total counter',
      'gateway_function_invocation_started counter',
      'gateway_service_count gauge',
    ]) {
      expect(text).toContain(`# TYPE ${family}\n`);
    }
  });

  it("writes the text format promtool parses; the only lint findings are the real gateway's own names", async () => {
    // promtool: exit 1 = does not parse, 3 = parses with lint findings. OpenFaaS' own names break
    // two naming conventions; anything else would be ours.
    const gateway = promtoolCheck(await metrics());
    expect(gateway).toEqual({
      status: 3,
      output:
        'gateway_function_invocation_started counter metrics should have "_total" suffix\n' +
        'gateway_service_count non-histogram and non-summary metrics should not have "_count" suffix\n',
    });
    expect(promtoolCheck(await (await fetch(`${env.sandbox.info.cadvisorUrl}/metrics/cadvisor`)).text())).toEqual({
      status: 0,
      output: '',
    });
  });

  it('answers 502 at the upstream time-out and counts it under code="502", as the real gateway does', async () => {
    const res = await gw('/function/slow');
    expect(res.status).toBe(502);
    const text = await metrics();
    expect(samples(text, 'gateway_function_invocation_total').get('{code="502",function_name="slow.openfaas-fn"}')).toBe(1);
    // Only successful requests feed the operator's mean execution time; the histogram has both.
    expect(samples(text, 'gateway_functions_seconds_count').get('{code="502",function_name="slow.openfaas-fn"}')).toBe(1);
  });

  it('serves metrics on their own port only, like the real gateway (the proxy port has no /metrics)', async () => {
    expect((await gw('/metrics')).status).toBe(404);
    expect(await metrics()).toContain('# TYPE gateway_functions_seconds histogram');
    expect((await fetch(`${env.sandbox.info.gatewayMetricsUrl}/healthz`)).status).toBe(200);
  });

  it.each([
    // unknown function
    { path: '/function/nope', want: 404 },
    // a namespace this gateway does not serve
    { path: '/function/figlet.other', want: 404 },
    // not a gateway route
    { path: '/nothing', want: 404 },
  ])('$path → $want', async ({ path, want }) => {
    expect((await gw(path)).status).toBe(want);
  });

  it.each([
    // no credentials
    { authorization: undefined, want: 401 },
    // wrong password
    { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}`, want: 401 },
    // not basic auth
    { authorization: 'Bearer s3cret', want: 401 },
    // right
    { authorization: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`, want: 200 },
  ])('/system/* with authorization $authorization → $want', async ({ authorization, want }) => {
    const res = await gw('/system/functions', { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(want);
    if (want === 401) expect(res.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
  });

  it('lists functions from their Deployments with the faas-provider fields', async () => {
    const res = await system('/system/functions?namespace=openfaas-fn');
    const list = (await res.json()) as Array<Record<string, unknown>>;
    const figlet = list.find((f) => f.name === 'figlet');
    expect(list.map((f) => f.name).sort()).toEqual(['figlet', 'slow']);
    expect(figlet).toMatchObject({
      name: 'figlet',
      namespace: 'openfaas-fn',
      image: 'faas-sandbox/figlet:latest',
      replicas: 1,
      availableReplicas: 1,
      labels: { faas_function: 'figlet' },
    });
    expect(typeof figlet!.invocationCount).toBe('number');
    expect((await system('/system/functions?namespace=kube-system')).status).toBe(400);
    expect((await system('/system/function/figlet')).status).toBe(200);
    expect((await system('/system/function/nope')).status).toBe(404);
  });

  it('scales through /system/scale-function: 202, the Deployment follows, pods become ready after the cold start', async () => {
    const res = await system('/system/scale-function/figlet?namespace=openfaas-fn', {
      method: 'POST',
      body: JSON.stringify({ serviceName: 'figlet', replicas: 3, namespace: 'openfaas-fn' }),
    });
    expect(res.status).toBe(202);
    const dep = await env.apps.readNamespacedDeployment({ name: 'figlet', namespace: 'openfaas-fn' });
    expect(dep.spec?.replicas).toBe(3);
    expect(env.sandbox.runtimes.get('figlet')!.desiredReplicas).toBe(3);
    await eventually(
      '3 ready replicas in the Deployment status',
      async () => (await env.apps.readNamespacedDeployment({ name: 'figlet', namespace: 'openfaas-fn' })).status?.readyReplicas === 3,
    );
    const text = await metrics();
    expect(samples(text, 'gateway_service_count').get('{function_name="figlet.openfaas-fn"}')).toBe(3);
    const cadvisor = await (await fetch(`${env.sandbox.info.cadvisorUrl}/metrics/cadvisor`)).text();
    const figletPods = new Set(
      [...samples(cadvisor, 'container_memory_working_set_bytes').keys()]
        .filter((k) => k.includes('container="figlet"'))
        .map((k) => /pod="([^"]+)"/.exec(k)![1]),
    );
    expect(figletPods.size).toBe(3);
  });

  it.each([
    // Pro allows 0 (scale to zero)
    { body: { serviceName: 'figlet', replicas: 0 }, want: 202, wantReplicas: 0 },
    // no clamp to 5 without CE
    { body: { serviceName: 'figlet', replicas: 7 }, want: 202, wantReplicas: 7 },
    // negative
    { body: { serviceName: 'figlet', replicas: -1 }, want: 400, wantReplicas: 7 },
    // not JSON
    { body: 'replicas=3', want: 400, wantReplicas: 7 },
  ])('scale-function $body → $want (replicas $wantReplicas)', async ({ body, want, wantReplicas }) => {
    const res = await system('/system/scale-function/figlet', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(res.status).toBe(want);
    expect(env.sandbox.runtimes.get('figlet')!.desiredReplicas).toBe(wantReplicas);
  });

  it('scales from zero when invoked at 0 replicas; the cold-start wait is in neither the histogram nor `started`', async () => {
    await system('/system/scale-function/figlet', { method: 'POST', body: JSON.stringify({ replicas: 0 }) });
    expect(env.sandbox.runtimes.get('figlet')!.desiredReplicas).toBe(0);
    const before = samples(await metrics(), 'gateway_functions_seconds_bucket');
    const startedBefore = samples(await metrics(), 'gateway_function_invocation_started').get('{function_name="figlet.openfaas-fn"}') ?? 0;
    const request = gw('/function/figlet');
    // While the request waits for the cold start (0.3 s), it is not started yet.
    await new Promise((r) => setTimeout(r, 100));
    expect(samples(await metrics(), 'gateway_function_invocation_started').get('{function_name="figlet.openfaas-fn"}') ?? 0).toBe(
      startedBefore,
    );
    const started = Date.now();
    const res = await request;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const after = samples(await metrics(), 'gateway_functions_seconds_bucket');
    const inBucket = (le: string): number =>
      (after.get(`{code="200",function_name="figlet.openfaas-fn",le="${le}"}`) ?? 0) -
      (before.get(`{code="200",function_name="figlet.openfaas-fn",le="${le}"}`) ?? 0);
    // The 20 ms of service, not the 0.3 s wait: the request lands at or below 0.05 s.
    expect({ le005: inBucket('0.05'), le025: inBucket('0.25') }).toEqual({ le005: 1, le025: 1 });
    expect(samples(await metrics(), 'gateway_function_invocation_started').get('{function_name="figlet.openfaas-fn"}')).toBe(
      startedBefore + 1,
    );
    const dep = await env.apps.readNamespacedDeployment({ name: 'figlet', namespace: 'openfaas-fn' });
    expect(dep.spec?.replicas).toBe(1);
  });

  it('answers 404 for scaling an unknown function', async () => {
    expect((await system('/system/scale-function/nope', { method: 'POST', body: JSON.stringify({ replicas: 1 }) })).status).toBe(404);
  });
});

describe('sandbox gateway (OpenFaaS CE limits)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await start(true);
  });
  afterAll(() => stop(env));

  it.each([
    // above CE's maximum: clamped to 5
    { replicas: 9, want: 202, wantReplicas: 5, wantBody: '' },
    // within range
    { replicas: 2, want: 202, wantReplicas: 2, wantBody: '' },
    // 0 is refused with CE's message, nothing changes
    { replicas: 0, want: 400, wantReplicas: 2, wantBody: CE_ZERO_MESSAGE },
  ])('scale to $replicas → $want, replicas $wantReplicas', async ({ replicas, want, wantReplicas, wantBody }) => {
    const res = await fetch(`${env.sandbox.info.gatewayUrl}/system/scale-function/figlet`, {
      method: 'POST',
      headers: { authorization: env.auth },
      body: JSON.stringify({ serviceName: 'figlet', replicas, namespace: 'openfaas-fn' }),
    });
    expect({ status: res.status, body: (await res.text()).trim() }).toEqual({ status: want, body: wantBody });
    const dep = await env.apps.readNamespacedDeployment({ name: 'figlet', namespace: 'openfaas-fn' });
    expect(dep.spec?.replicas).toBe(wantReplicas);
  });

  it('exports no inflight gauge (CE has none)', async () => {
    const text = await (await fetch(`${env.sandbox.info.gatewayMetricsUrl}/metrics`)).text();
    expect(text).toContain('gateway_service_count');
    expect(text).not.toContain('gateway_function_invocation_inflight');
  });

  it('refuses more than 15 functions at start-up', async () => {
    const many = resolveFunctions(
      Array.from({ length: 16 }, (_, i) => ({ name: `fn-${i}`, sim: {} })),
      undefined,
    );
    await expect(startSandbox({ dir: join(env.dir, 'many'), functions: many, ce: true })).rejects.toThrow(/at most 15 functions, got 16/);
  });
});
