/**
 * `faas-autoscaler sandbox` as a user runs it (the built CLI in its own process): what it prints
 * and writes to --dir, --with-prometheus starting the real Prometheus on the generated
 * configuration (gateway, cAdvisor and kube-state-metrics jobs), SIGINT and SIGTERM ending it (and its Prometheus) with exit code 0, and bad
 * input ending it with one line and exit code 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { E2E, FAAS_AUTOSCALER, waitFor } from './harness.js';

const e2e = new E2E('sandbox-cli');
afterAll(() => e2e.cleanup());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

it('with --with-prometheus: prints the endpoints, writes DIR, Prometheus scrapes both roles; SIGINT stops everything, exit 0', async () => {
  const { proc, info } = await e2e.sandbox([
    '--functions',
    'figlet=exp:10ms,env=fixed:5ms',
    '--with-prometheus',
    '--gateway-password',
    'pw-123',
  ]);
  const out = readFileSync(proc.logFile, 'utf8');
  expect(out).toContain(`OpenFaaS gateway  ${info.gatewayUrl}   user admin, password pw-123`);
  expect(out).toContain(`gateway metrics   ${info.gatewayMetricsUrl}/metrics`);
  expect(out).toContain('(emulated)');
  expect(out).toContain(`export KUBECONFIG=${info.kubeconfig}`);
  expect(out).toContain(`Prometheus        ${info.prometheusUrl}`);

  const dir = info.dir;
  const kubeconfig = parse(readFileSync(join(dir, 'kubeconfig'), 'utf8')) as { clusters: { cluster: { server: string } }[] };
  expect(kubeconfig.clusters[0].cluster.server).toBe(info.kubeApiUrl);
  expect(readFileSync(join(dir, 'gateway-basic-auth'), 'utf8').trim()).toBe('admin:pw-123');
  const promConfig = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  };
  expect(promConfig.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.static_configs[0].targets[0]])).toEqual([
    ['openfaas-gateway', '/metrics', new URL(info.gatewayMetricsUrl).host],
    ['kubernetes-cadvisor', '/metrics/cadvisor', new URL(info.cadvisorUrl).host],
    ['kube-state-metrics', '/metrics', new URL(info.kubeStateMetricsUrl).host],
  ]);

  // Prometheus (the sandbox's child) sees both jobs up, and the gateway works.
  const up = (await (await fetch(`${info.prometheusUrl}/api/v1/query?query=up`)).json()) as {
    data: { result: { metric: { job: string }; value: [number, string] }[] };
  };
  expect(up.data.result.map((r) => [r.metric.job, r.value[1]]).sort()).toEqual([
    ['kube-state-metrics', '1'],
    ['kubernetes-cadvisor', '1'],
    ['openfaas-gateway', '1'],
  ]);
  expect((await fetch(`${info.gatewayUrl}/function/env`)).status).toBe(200);

  const prometheusPid = prometheusPidOf(info);
  proc.signal('SIGINT');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
  await waitFor("the sandbox's Prometheus to exit", () => !alive(prometheusPid), 15_000);
  for (const url of [
    info.gatewayUrl,
    info.gatewayMetricsUrl,
    info.kubeApiUrl,
    info.cadvisorUrl,
    info.kubeStateMetricsUrl,
    info.prometheusUrl!,
  ])
    expect(await refused(url)).toBe(true);
});

/** The pid of the sandbox's Prometheus: the child of the sandbox process running prometheus (from /proc). */
function prometheusPidOf(info: SandboxInfo): number {
  const children = readFileSync(`/proc/${info.pid}/task/${info.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const pid = children.find((c) => existsSync(`/proc/${c}/cmdline`) && readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('prometheus'));
  if (pid === undefined) throw new Error(`no prometheus among the sandbox's children ${children.join(', ')}`);
  return pid;
}

it('SIGTERM ends it with exit code 0', async () => {
  const { proc, info } = await e2e.sandbox(['--functions', 'figlet']);
  expect(info.prometheusUrl).toBeUndefined();
  proc.signal('SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
  expect(await refused(info.gatewayUrl)).toBe(true);
});

it.each([
  // not a DNS label
  { args: ['--functions', 'Bad_Name'], want: /--functions: "Bad_Name" is not a valid function name/ },
  // unknown profile kind
  { args: ['--functions', 'figlet=gamma:3'], want: /unknown profile "gamma:3"/ },
  // CE allows at most 15 functions
  { args: ['--ce', '--functions', Array.from({ length: 16 }, (_, i) => `f${i}`).join(',')], want: /at most 15 functions, got 16/ },
  // time scale must be positive
  { args: ['--time-scale', '0'], want: /--time-scale/ },
  // simulator setting out of range, named with its function
  { args: ['--config', 'CONFIG'], want: /function figlet: sim.concurrencyPerReplica: must be an integer >= 1, got 0/ },
])('bad input $args → one line, exit 2', async ({ args, want }) => {
  const config = e2e.file('bad.yaml', { functions: [{ name: 'figlet', concurrencyPerReplica: 0 }] });
  const proc = e2e.spawn(`bad-${Math.random().toString(36).slice(2, 8)}`, process.execPath, [
    FAAS_AUTOSCALER,
    'sandbox',
    '--dir',
    join(e2e.dir, 'bad'),
    ...args.map((a) => (a === 'CONFIG' ? config : a)),
  ]);
  expect(await proc.exited).toEqual({ code: 2, signal: null });
  const output = readFileSync(proc.logFile, 'utf8').trim();
  expect(output.split('\n')).toHaveLength(1);
  expect(output).toMatch(want);
});
