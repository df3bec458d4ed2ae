/**
 * Wires the operator together from its configuration: kubeconfig (in-cluster, file, or fetched
 * over SSH), the two Prometheus sources, actuators, leader election, the controller and its HTTP
 * endpoints. `faas-autoscaler operator` calls `startOperator` and stops it on SIGTERM; tests and the
 * sandbox call it in-process.
 */
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { buildObservation } from '../metrics/observation.js';
import { PrometheusSource, type PrometheusAuth } from '../metrics/prometheus.js';
import { PolicyConfigError, type PolicySpec } from '../policies/policy.js';
import { createPolicy } from '../policies/registry.js';
import { packagePath } from '../package-root.js';
import { Rails } from '../rails/rails.js';
import { OpenFaasGatewayActuator } from '../actuators/openfaas-gateway.js';
import { InputError } from '#kernel/input-error.js';
import { systemClock } from './clock.js';
import { Controller, type ControllerOptions, type OpenFaasEdition } from './controller.js';
import { startEndpoints, type Endpoints } from './endpoints.js';
import { ClientNodeCluster, type KubeApiError } from './kube.js';
import { fetchKubeconfigOverSsh, type SshTarget } from './kubeconfig-ssh.js';
import { LeaderElector, type LeaseHealth } from './leader-election.js';
import { ShardCoordinator } from './shards.js';
import { OperatorMetrics } from './operator-metrics.js';

export type KubeconfigSource =
  | { mode: 'in-cluster' }
  | { mode: 'file'; path: string }
  | { mode: 'ssh'; target: SshTarget; identityFile: string; knownHostsFile: string; timeoutMs: number }
  | { mode: 'yaml'; yaml: string };

export interface PrometheusConfig {
  url: string;
  auth?: PrometheusAuth;
}

export interface OperatorConfig {
  prometheusA: PrometheusConfig;
  prometheusB: PrometheusConfig;
  prometheusTimeoutMs: number;
  gateway?: { url: string; username?: string; password?: string };
  /** FunctionAutoscaler namespaces; empty: all. */
  namespaces: string[];
  logLevel: string;
  kubeconfig: KubeconfigSource;
  listen: { host: string; port: number };
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    identity?: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
    /** More than 1: the resources are split into shards, each led through its own Lease (shards.ts). */
    shards?: number;
  };
  apiTimeoutMs: number;
  /** How long stop() waits for the tick in flight, the Lease release and the endpoints (default 25 s). */
  shutdownTimeoutMs?: number;
  /** `ce`: decisions kept within OpenFaaS CE's 1..5 replicas (ControllerOptions.openfaasEdition). */
  openfaasEdition?: OpenFaasEdition;
  /** What the administrator allows any FunctionAutoscaler (ControllerOptions.limits). */
  limits?: ControllerOptions['limits'];
  /** Directories spec.policy.model may point into, besides the shipped models. */
  modelDirs?: string[];
  /** Tests: a captured logger. */
  logger?: Logger;
}

export interface RunningOperator {
  controller: Controller;
  elector: LeaderElector | undefined;
  /** With --shards above 1, instead of the elector. */
  shards: ShardCoordinator | undefined;
  endpoints: Endpoints;
  identity: string;
  logger: Logger;
  /**
   * Finishes the tick in flight, releases the Lease, closes the endpoints; true when all of it was
   * done within the shutdown deadline, false when the deadline passed first.
   */
  stop(): Promise<boolean>;
}

export async function loadKubeConfig(source: KubeconfigSource): Promise<KubeConfig> {
  const kc = new KubeConfig();
  const where = kubeconfigSource(source);
  try {
    switch (source.mode) {
      case 'in-cluster':
        // Outside a pod client-node would build https://undefined:undefined and retry it forever.
        if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
          throw new InputError('not running in a Kubernetes pod (no KUBERNETES_SERVICE_HOST); give --kubeconfig FILE or --kubeconfig-ssh');
        }
        kc.loadFromCluster();
        break;
      case 'file':
        kc.loadFromFile(source.path);
        break;
      case 'yaml':
        kc.loadFromString(source.yaml);
        break;
      case 'ssh': {
        const text = await fetchKubeconfigOverSsh({
          target: source.target,
          identityFile: source.identityFile,
          knownHostsFile: source.knownHostsFile,
          timeoutMs: source.timeoutMs,
        });
        kc.loadFromString(text);
        break;
      }
    }
  } catch (err) {
    if (err instanceof InputError || source.mode === 'ssh') throw err;
    throw new InputError(`${where}: not a usable kubeconfig: ${kubeconfigProblem(err)}`, { cause: err });
  }
  if (!kc.getCurrentCluster()) throw new InputError(`${where}: not a usable kubeconfig: no current context with a cluster`);
  return kc;
}

function kubeconfigSource(source: KubeconfigSource): string {
  if (source.mode === 'file') return `--kubeconfig ${source.path}`;
  if (source.mode === 'ssh') return `--kubeconfig-ssh ${source.target.host}:${source.target.path}`;
  return source.mode === 'yaml' ? 'kubeconfig' : 'in-cluster config';
}

/**
 * What is wrong with a kubeconfig, in words that never quote it: a YAML error's reason and
 * position (js-yaml's message would print the lines around it, tokens included), else the first
 * line of the message.
 */
function kubeconfigProblem(err: unknown): string {
  const e = err as { reason?: unknown; mark?: { line?: number; column?: number }; code?: unknown; message?: unknown };
  if (typeof e?.reason === 'string' && e.mark) return `${e.reason} at line ${(e.mark.line ?? 0) + 1}, column ${(e.mark.column ?? 0) + 1}`;
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return `cannot read it (${e.code})`;
  // client-node reads the parsed document's fields without checking it is a mapping.
  if (err instanceof TypeError) return 'it is empty or not a kubeconfig document';
  const first = String(e?.message ?? err).split('\n')[0];
  return first.length > 160 ? `${first.slice(0, 160)}…` : first;
}

export async function startOperator(cfg: OperatorConfig): Promise<RunningOperator> {
  const logger = cfg.logger ?? pino({ level: cfg.logLevel, base: { component: 'faas-autoscaler' } });
  const identity = cfg.leaderElection.identity ?? `${hostname()}-${process.pid}`;
  const kc = await loadKubeConfig(cfg.kubeconfig);
  const cluster = new ClientNodeCluster(kc, { timeoutMs: cfg.apiTimeoutMs });
  const metrics = new OperatorMetrics({ defaultMetrics: true });
  const sharded = cfg.leaderElection.enabled && (cfg.leaderElection.shards ?? 1) > 1;
  const shards = sharded ? shardCoordinator(cfg, { cluster, identity, metrics, logger }) : undefined;
  const elector = cfg.leaderElection.enabled && !sharded ? leaderElector(cfg, { cluster, identity, metrics, logger }) : undefined;
  if (!cfg.leaderElection.enabled) metrics.isLeader.set(1);

  const controller = operatorController(cfg, { cluster, identity, metrics, logger, elector, shards });

  const endpoints = await startEndpoints({
    host: cfg.listen.host,
    port: cfg.listen.port,
    registry: metrics.registry,
    ready: () => readiness(controller, elector ?? shards, cfg.leaderElection, shards?.memberLease(identity)),
  });
  controller.start();
  elector?.start();
  shards?.start();
  logger.info(
    {
      identity,
      endpoints: endpoints.url,
      namespaces: cfg.namespaces.length ? cfg.namespaces : 'all',
      leaderElection: cfg.leaderElection.enabled,
      shards: cfg.leaderElection.shards ?? 1,
    },
    'operator started',
  );

  let stopping: Promise<boolean> | undefined;
  return {
    controller,
    elector,
    shards,
    endpoints,
    identity,
    logger,
    stop: () =>
      (stopping ??= (async () => {
        const deadlineMs = cfg.shutdownTimeoutMs ?? 25_000;
        logger.info({ deadlineMs }, 'stopping: finishing the tick in flight');
        const clean = await settlesWithin(
          (async () => {
            await controller.stop();
            await elector?.stop();
            await shards?.stop();
            await endpoints.close();
          })(),
          deadlineMs,
        );
        if (clean) logger.info('stopped');
        else logger.warn({ deadlineMs }, 'shutdown deadline passed with work still in flight; exiting anyway');
        return clean;
      })()),
  };
}

/** The Controller with the real Prometheus sources, policies, rails and actuators. */
function operatorController(
  cfg: OperatorConfig,
  deps: {
    cluster: ClientNodeCluster;
    identity: string;
    metrics: OperatorMetrics;
    logger: Logger;
    elector: LeaderElector | undefined;
    shards: ShardCoordinator | undefined;
  },
): Controller {
  const { cluster, identity, metrics, logger, elector, shards } = deps;
  return new Controller({
    cluster,
    gateway: new PrometheusSource({
      name: 'prometheus-a',
      url: cfg.prometheusA.url,
      auth: cfg.prometheusA.auth,
      timeoutMs: cfg.prometheusTimeoutMs,
    }),
    cadvisor: new PrometheusSource({
      name: 'prometheus-b',
      url: cfg.prometheusB.url,
      auth: cfg.prometheusB.auth,
      timeoutMs: cfg.prometheusTimeoutMs,
    }),
    clock: systemClock,
    logger,
    createPolicy: (spec, policyDeps) => {
      checkModelDir(spec, cfg.modelDirs ?? []);
      return createPolicy(spec, policyDeps);
    },
    createRails: (c) => new Rails(c),
    buildObservation,
    actuators: cfg.gateway ? { gateway: new OpenFaasGatewayActuator({ ...cfg.gateway, timeoutMs: cfg.apiTimeoutMs }) } : {},
    metrics,
    namespaces: cfg.namespaces,
    identity,
    canWrite: elector ? () => elector.isLeader() : () => true,
    ...(shards ? { owns: (key: string) => shards.owns(key) } : {}),
    openfaasEdition: cfg.openfaasEdition,
    ...(cfg.limits ? { limits: cfg.limits } : {}),
  });
}

/** A failed Lease read or write: counted by reason, logged once per change of reason (not every retry period). */
function leaseErrors(metrics: OperatorMetrics, logger: Logger, lease: string): (err: KubeApiError, changed: boolean) => void {
  return (err, changed) => {
    metrics.leaseErrors.inc({ reason: err.reason });
    if (changed) logger.warn({ err: err.message, lease }, 'leader election: cannot read or write the Lease');
  };
}

/** The Lease-based elector, reporting leadership and Lease errors in metrics and (once per change) the log. */
function leaderElector(
  cfg: OperatorConfig,
  deps: { cluster: ClientNodeCluster; identity: string; metrics: OperatorMetrics; logger: Logger },
): LeaderElector {
  const { cluster, identity, metrics, logger } = deps;
  const le = cfg.leaderElection;
  const lease = `${le.namespace}/${le.name}`;
  return new LeaderElector({
    client: cluster,
    namespace: le.namespace,
    name: le.name,
    identity,
    clock: systemClock,
    leaseDurationSeconds: le.leaseDurationSeconds,
    renewDeadlineSeconds: le.renewDeadlineSeconds,
    retryPeriodSeconds: le.retryPeriodSeconds,
    onStartedLeading: () => {
      metrics.isLeader.set(1);
      logger.info({ identity }, 'became leader');
    },
    onStoppedLeading: () => {
      metrics.isLeader.set(0);
      logger.info({ identity }, 'stopped leading');
    },
    onError: leaseErrors(metrics, logger, lease),
    onRecovered: () => logger.info({ lease }, 'leader election: the Lease can be read and written again'),
  });
}

/** Shards by Lease: the held shards in metrics and (on change) the log, Lease errors as for the elector. */
function shardCoordinator(
  cfg: OperatorConfig,
  deps: { cluster: ClientNodeCluster; identity: string; metrics: OperatorMetrics; logger: Logger },
): ShardCoordinator {
  const { cluster, identity, metrics, logger } = deps;
  const le = cfg.leaderElection;
  return new ShardCoordinator({
    client: cluster,
    namespace: le.namespace,
    name: le.name,
    identity,
    shards: le.shards ?? 1,
    clock: systemClock,
    leaseDurationSeconds: le.leaseDurationSeconds,
    renewDeadlineSeconds: le.renewDeadlineSeconds,
    retryPeriodSeconds: le.retryPeriodSeconds,
    onChange: (held) => {
      metrics.shardsHeld.set(held.length);
      metrics.isLeader.set(held.length > 0 ? 1 : 0);
      logger.info({ identity, shards: held }, 'shards held changed');
    },
    onError: leaseErrors(metrics, logger, `${le.namespace}/${le.name}-*`),
  });
}

/** /readyz: the caches synced, and (with leader election) the Lease answering within its duration. */
function readiness(
  controller: Controller,
  lease: { health(): LeaseHealth } | undefined,
  le: OperatorConfig['leaderElection'],
  leaseName = le.name,
): { ok: boolean; reason: string } {
  const r = controller.readiness();
  const health = lease?.health();
  if (r.ok && health && !health.ok) {
    const lastError = health.lastError ? `: ${health.lastError}` : '';
    return {
      ok: false,
      reason: `no answer for the Lease ${le.namespace}/${leaseName} for ${Math.round(health.sinceContactMs / 1000)} s${lastError}`,
    };
  }
  return r;
}

/**
 * The last resort: an error that escaped everything (an unhandled rejection, an uncaught exception)
 * is logged and counted (`faas_autoscaler_reconcile_errors_total{scope="process"}`), and the
 * process carries on. Each resource's faults are already reported on it; this only catches what a
 * bug lets through, which must not take every function's autoscaling down with it.
 */
export function lastResortGuard(logger: Logger, metrics: OperatorMetrics): (err: unknown) => void {
  return (err: unknown) => {
    metrics.reconcileErrors.inc({ scope: 'process' });
    logger.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'unexpected error; the operator carries on');
  };
}

/** Whether `work` settles within `ms` (a rejection counts as settled; the caller has logged it). */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A model given in spec.policy.model must lie inside the shipped models or a directory the
 * administrator named (--model-dirs), after symlinks and `..` are resolved: anyone who can write a
 * FunctionAutoscaler must not make the operator read /etc or a home directory. The refusal is a
 * load failure: the fallback decides, and PolicyLoaded says why.
 */
export function checkModelDir(spec: PolicySpec, modelDirs: readonly string[]): void {
  if (spec.model === undefined) return;
  const roots = [packagePath('models'), ...modelDirs].map((d) => realOrResolved(d));
  const target = realOrResolved(spec.model);
  const inside = roots.some((root) => {
    const rel = relative(root, target);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
  if (!inside) {
    throw new PolicyConfigError(
      `policy "${spec.name}": spec.policy.model ${spec.model} is outside the directories the operator reads models from (${roots.join(', ')}); an administrator adds one with --model-dirs`,
    );
  }
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
