/**
 * The whole system as separate processes, as a user runs it: the built CLIs from `dist/`
 * (`npm test` builds first) and the real Prometheus binary.
 *
 *   const e2e = new E2E('burst');                     // temp dir, logs, process registry
 *   const sandbox = await e2e.sandbox(['--config', file]);
 *   const prom = await e2e.prometheus(sandbox);       // real Prometheus on the sandbox's config
 *   await e2e.operator(sandbox, prom, { identity: 'a' });
 *   await e2e.loadgen([...replay flags]);
 *   await e2e.cleanup();                              // SIGKILL every process group, rm the dir
 *
 * Every child is its own process group (detached), so cleanup kills it and anything it started.
 * Waits poll observable state against a deadline (`waitFor`); nothing asserts on elapsed time.
 * Set E2E_KEEP=1 to keep the temp dir (logs of every process) after the run.
 */
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { CADVISOR_JOB, GATEWAY_JOB, KUBE_STATE_METRICS_JOB } from '../../operator/src/sandbox/prometheus-config.js';
import {
  findPrometheus,
  freePort,
  startPrometheus,
  waitForTargetsUp,
  type PrometheusProcess,
} from '../../operator/src/sandbox/prometheus-process.js';
import type { FunctionAutoscalerStatus } from '../../operator/src/api/types.js';

// Every e2e test waits on real processes (intervals of 5 s, cold starts, Prometheus' first
// scrapes); each wait has its own deadline, this is only the outer bound per test.
jest.setTimeout(120_000);

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const FAAS_AUTOSCALER = join(REPO_ROOT, 'bin', 'faas-autoscaler.js');
const FAAS_LOADGEN = join(REPO_ROOT, 'bin', 'faas-loadgen.js');
export const FAS = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' } as const;
export const FN_NAMESPACE = 'openfaas-fn';

export { describeWithKubectl, KUBECTL } from '../support/tools.js';

/** Polls `check` until it returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last lines of the process' log. */
  tail(lines?: number): string;
  /** Sends a signal to the process group. */
  signal(sig: NodeJS.Signals): void;
}

export interface RunningOperatorProc extends Proc {
  identity: string;
  /** http://127.0.0.1:port of /healthz, /readyz, /metrics. */
  endpoints: string;
}

export class E2E {
  readonly dir: string;
  private readonly procs: Proc[] = [];
  private readonly prometheuses: PrometheusProcess[] = [];
  private sandboxes = 0;

  constructor(name: string) {
    if (!existsSync(join(REPO_ROOT, 'dist', 'operator', 'src', 'cli.js'))) {
      throw new Error('dist/ is missing: the end-to-end tests run the built CLIs; run `npm run build` (npm test does it)');
    }
    if (!findPrometheus()) throw new Error('prometheus is not installed (apt-get install -y prometheus; .ci/run does it)');
    this.dir = mkdtempSync(join(tmpdir(), `e2e-${name}-`));
  }

  /** Starts a child in its own process group, output to `<dir>/<name>.log`. */
  spawn(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const proc: Proc = {
      name,
      child,
      logFile,
      exited,
      tail: (lines = 30) => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : ''),
      signal: (sig) => {
        if (child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-child.pid!, sig);
          } catch {
            // already gone
          }
        }
      },
    };
    this.procs.push(proc);
    return proc;
  }

  /** `faas-autoscaler sandbox --dir <dir>/sandbox[-N] ...`; resolves once sandbox.json is written. */
  async sandbox(args: readonly string[]): Promise<{ proc: Proc; info: SandboxInfo; kube: KubeClients }> {
    const name = this.sandboxes++ === 0 ? 'sandbox' : `sandbox-${this.sandboxes}`;
    const dir = join(this.dir, name);
    const proc = this.spawn(name, process.execPath, [FAAS_AUTOSCALER, 'sandbox', '--dir', dir, ...args]);
    const infoFile = join(dir, 'sandbox.json');
    const info = await waitFor(
      'the sandbox to write sandbox.json',
      () => {
        if (proc.child.exitCode !== null) throw new Error(`sandbox exited with ${proc.child.exitCode}:\n${proc.tail()}`);
        return existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as SandboxInfo) : undefined;
      },
      30_000,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- sandbox log ---\n${proc.tail()}`);
    });
    return { proc, info, kube: kubeClients(info.kubeconfig) };
  }

  /** The real Prometheus on the sandbox's generated configuration; resolves when every job was scraped. */
  async prometheus(info: SandboxInfo, port = 0): Promise<PrometheusProcess> {
    const prom = await startPrometheus({
      configFile: info.prometheusConfig,
      dataDir: join(this.dir, 'prometheus-data'),
      logFile: join(this.dir, 'prometheus.log'),
      listen: { host: '127.0.0.1', port },
    });
    this.prometheuses.push(prom);
    // Own process group is not needed: Prometheus starts no children; cleanup stops it directly.
    await waitForTargetsUp(prom.url, [GATEWAY_JOB, CADVISOR_JOB, KUBE_STATE_METRICS_JOB]);
    return prom;
  }

  /** `faas-autoscaler operator` against the sandbox; resolves when /readyz answers 200. */
  async operator(info: SandboxInfo, promUrl: string, opts: { identity: string; extraArgs?: string[] }): Promise<RunningOperatorProc> {
    const port = await freePort('127.0.0.1');
    const proc = this.spawn(`operator-${opts.identity}`, process.execPath, [
      FAAS_AUTOSCALER,
      'operator',
      '--kubeconfig',
      info.kubeconfig,
      '--prometheus-a-url',
      promUrl,
      '--prometheus-b-url',
      promUrl,
      '--prometheus-timeout-seconds',
      '2',
      '--gateway-url',
      info.gatewayUrl,
      '--gateway-basic-auth-file',
      info.gatewayBasicAuthFile,
      '--listen',
      `127.0.0.1:${port}`,
      '--identity',
      opts.identity,
      '--lease-namespace',
      'default',
      '--lease-duration-seconds',
      '6',
      '--renew-deadline-seconds',
      '4',
      '--retry-period-seconds',
      '1',
      '--api-timeout-seconds',
      '5',
      '--log-level',
      'info',
      ...(opts.extraArgs ?? []),
    ]);
    const endpoints = `http://127.0.0.1:${port}`;
    await waitFor(
      `operator ${opts.identity} to be ready`,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`operator exited with ${proc.child.exitCode}:\n${proc.tail()}`);
        return (await fetch(`${endpoints}/readyz`)).status === 200;
      },
      30_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- operator log ---\n${proc.tail()}`);
    });
    return { ...proc, identity: opts.identity, endpoints };
  }

  /** `faas-loadgen replay --gateway <gateway> ...`. */
  loadgen(name: string, gatewayUrl: string, args: readonly string[]): Proc {
    return this.spawn(name, process.execPath, [FAAS_LOADGEN, 'replay', '--gateway', gatewayUrl, '--progress', 'never', ...args]);
  }

  /**
   * A steady load from the real generator: a trace of equal 30-s bins (the LSTM-PPO+ JSON format)
   * replayed in a loop until the process is stopped (or cleanup kills it).
   */
  steadyLoad(name: string, gatewayUrl: string, fn: string, rps: number): Proc {
    const trace = this.file(`${name}-steady.json`, JSON.stringify(Array(20).fill(Math.round(rps * 30))));
    return this.loadgen(name, gatewayUrl, [
      '--trace',
      trace,
      '--function',
      'all',
      '--map',
      `*=${fn}`,
      '--loop',
      '--arrivals',
      'exact',
      '--seed',
      name,
    ]);
  }

  /** Writes a file in the temp dir (YAML for objects) and returns its path. */
  file(name: string, content: string | object): string {
    const path = join(this.dir, name);
    writeFileSync(path, typeof content === 'string' ? content : stringify(content));
    return path;
  }

  /** Kills every process group and Prometheus, then removes the temp dir (unless E2E_KEEP=1). */
  async cleanup(): Promise<void> {
    for (const p of this.procs) p.signal('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited));
    for (const prom of this.prometheuses) await prom.stop(0);
    if (process.env.E2E_KEEP === '1') process.stderr.write(`e2e: kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface KubeClients {
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

export function kubeClients(kubeconfig: string): KubeClients {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

export function fasObject(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'faas-autoscaler.dev/v1alpha1', kind: 'FunctionAutoscaler', metadata: { name, namespace: FN_NAMESPACE }, spec };
}

export async function createFas(kube: KubeClients, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.custom.createNamespacedCustomObject({ ...FAS, namespace: FN_NAMESPACE, body: fasObject(name, spec) });
}

export async function fasStatus(kube: KubeClients, name: string): Promise<FunctionAutoscalerStatus> {
  const obj = (await kube.custom.getNamespacedCustomObject({ ...FAS, namespace: FN_NAMESPACE, name })) as {
    status?: FunctionAutoscalerStatus;
  };
  return obj.status ?? {};
}

export function condition(status: FunctionAutoscalerStatus, type: string): { status: string; reason: string; message: string } | undefined {
  return status.conditions?.find((c) => c.type === type);
}

export async function replicasOf(kube: KubeClients, name: string): Promise<number> {
  return (await kube.apps.readNamespacedDeployment({ name, namespace: FN_NAMESPACE })).spec?.replicas ?? -1;
}

export interface EventView {
  reason: string;
  message: string;
  type: string;
  instance: string;
  resourceVersion: number;
}

/** Events about one FunctionAutoscaler, oldest first (resourceVersions are global and increasing). */
export async function eventsFor(kube: KubeClients, name: string): Promise<EventView[]> {
  const list = await kube.core.listNamespacedEvent({ namespace: FN_NAMESPACE });
  return list.items
    .filter((e) => e.involvedObject.kind === 'FunctionAutoscaler' && e.involvedObject.name === name)
    .map((e) => ({
      reason: e.reason ?? '',
      message: e.message ?? '',
      type: e.type ?? '',
      instance: e.reportingInstance ?? '',
      resourceVersion: Number(e.metadata?.resourceVersion),
    }))
    .sort((a, b) => a.resourceVersion - b.resourceVersion);
}

/**
 * Events about one FunctionAutoscaler once at least one with `reason` exists. The operator sends
 * Events without waiting for them, so one may land after the scale or status write a test saw.
 */
export async function eventsWithReason(kube: KubeClients, name: string, reason: string, timeoutMs = 30_000): Promise<EventView[]> {
  return waitFor(
    `a ${reason} Event about ${name}`,
    async () => {
      const events = await eventsFor(kube, name);
      return events.some((e) => e.reason === reason) ? events : undefined;
    },
    timeoutMs,
  );
}

/** The sandbox's control endpoint (test hooks: break watches, restart the API server). */
export async function control(info: SandboxInfo, path: string): Promise<unknown> {
  const res = await fetch(`${info.controlUrl}${path}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`control ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}
