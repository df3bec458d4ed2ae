/**
 * E2E 1: a compressed Azure trace burst through the whole system, as separate processes: the
 * sandbox (two functions with the Azure duration profile of the burst's own trace function), the
 * real Prometheus, the operator, and two `faas-loadgen replay` runs of the same trace slice.
 *
 * The slice: Azure 2019 function 7017de4f (`rank:8` of the whole sample, an http function),
 * minutes 384–395 of the sample at 12× speed-up and half its rate: 5 s per trace minute, about
 * 1 request/s, then 24/s and 73/s for one trace minute each (the day's peak), then about 1/s
 * again, 60 s in all. One replica serves about 20/s of this function's service times.
 *
 *   burst-hpa  policy hpa (CPU target)
 *   burst-rl   policy lstm-ppo-plus (the shipped model; the first assertion below checks that it,
 *              not the CRD's default fallback hpa, is what decided)
 *
 * What must hold: both scale up under the burst and back down to minReplicas after it; with
 * lstm-ppo-plus the P95 latency the generator measured (from the intended send time, errors as
 * infinitely slow) is under the SLO in most 5-s intervals of the run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrometheusProcess } from '../../operator/src/sandbox/prometheus-process.js';
import { condition, createFas, E2E, fasStatus, replicasOf, REPO_ROOT, waitFor, type KubeClients, type Proc } from './harness.js';

const SLO_MS = 500;
const INTERVAL_SECONDS = 5;
const TRACE = join(REPO_ROOT, 'traces', 'azure2019', 'invitro_sample250_min480-959');
const FUNCTIONS = ['burst-hpa', 'burst-rl'] as const;
type Fn = (typeof FUNCTIONS)[number];

const e2e = new E2E('burst');
let kube: KubeClients;
const replicaTrace: Record<Fn, number[]> = { 'burst-hpa': [], 'burst-rl': [] };
const logs: Record<Fn, string> = { 'burst-hpa': '', 'burst-rl': '' };
let sampler: NodeJS.Timeout | undefined;

beforeAll(async () => {
  const config = e2e.file('sandbox.yaml', {
    trace: TRACE,
    functions: FUNCTIONS.map((name) => ({ name, profile: 'trace:7017de4f', coldStartSeconds: 2 })),
  });
  const sandbox = await e2e.sandbox(['--config', config, '--seed', '3']);
  kube = sandbox.kube;
  const prom: PrometheusProcess = await e2e.prometheus(sandbox.info);
  await e2e.operator(sandbox.info, prom.url, { identity: 'burst' });

  const common = { minReplicas: 1, maxReplicas: 10, intervalSeconds: INTERVAL_SECONDS, slo: { p95LatencyMs: SLO_MS } };
  // The same rails for both: scale-down stabilized over 10 s instead of the HPA's 300 s, so that
  // "back down" fits in the test.
  const behavior = { scaleDown: { stabilizationWindowSeconds: 10, policies: [{ type: 'Percent', value: 100, periodSeconds: 5 }] } };
  await createFas(kube, 'burst-hpa', { ...common, behavior, functionName: 'burst-hpa', policy: { name: 'hpa' } });
  await createFas(kube, 'burst-rl', { ...common, behavior, functionName: 'burst-rl', policy: { name: 'lstm-ppo-plus' } });
  // Both reconciled once (policies loaded or not) before the load starts.
  for (const fn of FUNCTIONS)
    await waitFor(`${fn} to be reconciled`, async () => (await fasStatus(kube, fn)).lastDecision !== undefined, 30_000);

  sampler = setInterval(() => {
    for (const fn of FUNCTIONS)
      void replicasOf(kube, fn).then(
        (r) => replicaTrace[fn].push(r),
        () => undefined,
      );
  }, 500);
  const runs: Proc[] = FUNCTIONS.map((fn) => {
    logs[fn] = join(e2e.dir, `${fn}-requests.ndjson`);
    return e2e.loadgen(`loadgen-${fn}`, sandbox.info.gatewayUrl, [
      '--trace',
      TRACE,
      '--function',
      '7017de4f',
      '--map',
      `*=${fn}`,
      '--from',
      '384m',
      '--to',
      '396m',
      '--speedup',
      '12',
      '--rate-scale',
      '0.5',
      '--seed',
      'burst',
      '--log',
      logs[fn],
      '--timeout',
      '60s',
    ]);
  });
  for (const run of runs) {
    const { code } = await run.exited;
    if (code !== 0) throw new Error(`${run.name} exited with ${code}:\n${run.tail()}`);
  }
  // After the burst: both back at minReplicas (the scale-down is part of what is tested below).
  await Promise.all(
    FUNCTIONS.map((fn) =>
      waitFor(`${fn} to scale back to 1`, async () => (await replicasOf(kube, fn)) === 1, 90_000, 500).catch(() => undefined),
    ),
  );
}, 240_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  await e2e.cleanup();
});

/** P95 per 5-s interval of intended send time, from the generator's NDJSON log; errors count as +Inf. */
function p95PerInterval(logFile: string): number[] {
  const byInterval = new Map<number, number[]>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { intendedMs: number; latencyMs: number | null; status: number | null };
    const latency = r.status === 200 && r.latencyMs !== null ? r.latencyMs : Number.POSITIVE_INFINITY;
    const i = Math.floor(r.intendedMs / (INTERVAL_SECONDS * 1000));
    byInterval.set(i, [...(byInterval.get(i) ?? []), latency]);
  }
  return [...byInterval.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, latencies]) => {
      latencies.sort((a, b) => a - b);
      return latencies[Math.max(0, Math.ceil(0.95 * latencies.length) - 1)];
    });
}

describe.each(FUNCTIONS)('%s under the burst', (fn) => {
  it('scales up during the burst and back down to minReplicas after it', () => {
    const peak = Math.max(...replicaTrace[fn]);
    const last = replicaTrace[fn][replicaTrace[fn].length - 1];
    expect({ peakAtLeast2: peak >= 2, backToMin: last === 1 }).toEqual({ peakAtLeast2: true, backToMin: true });
  });
});

describe('lstm-ppo-plus', () => {
  it('is the policy that decided (its model loaded, not the fallback)', async () => {
    const status = await fasStatus(kube, 'burst-rl');
    expect({ activePolicy: status.activePolicy, policyLoaded: condition(status, 'PolicyLoaded')?.status }).toEqual({
      activePolicy: 'lstm-ppo-plus',
      policyLoaded: 'True',
    });
  });

  it('keeps the measured P95 under the SLO in most intervals', () => {
    const p95s = p95PerInterval(logs['burst-rl']);
    const within = p95s.filter((p) => p <= SLO_MS).length;
    // "Most": more than two thirds of the 5-s intervals of the run.
    expect({ within, of: p95s.length, p95s: p95s.map(Math.round), ok: within > (2 / 3) * p95s.length }).toMatchObject({ ok: true });
  });
});
