/**
 * Simulator settings, with the default of each and where it comes from. `resolveSimConfig`
 * validates user-supplied values (CLI flags, files) and throws `InputError` naming the field.
 * The reasoning behind the defaults is in README.md and docs/adr (simulator model).
 */
import { InputError } from '#kernel/input-error.js';
import type { ResourceRequests } from '../metrics/types.js';
import type { ServiceTimeSpec } from './service-time.js';

export interface SimConfig {
  /** The gateway's `function_name` label; default `<short id>.openfaas-fn`. */
  functionName?: string;
  /**
   * Requests one replica serves at once (of-watchdog `max_inflight`). Default 1: a CPU-bound
   * function per replica, so replicas are capacity and the M/M/c model applies directly.
   */
  concurrencyPerReplica: number;
  /**
   * Seconds from creating a replica to it receiving traffic. Default 5: image already on the node,
   * container start ≈ 1–2 s, then faas-netes' readiness probe (initial delay 2 s, period 2 s in the
   * OpenFaaS chart) and endpoint propagation. Calibrate for images that must be pulled.
   */
  coldStartSeconds: number;
  /**
   * Gateway `upstream_timeout`: a request not answered this long after it reached the gateway
   * fails (counted with `timeoutStatusCode`) and its replica slot is freed. Default 60 s, the
   * OpenFaaS chart's `gateway.upstreamTimeout: 1m`. `Infinity` disables time-outs.
   */
  upstreamTimeoutSeconds: number;
  /**
   * Status code a timed-out request is counted under: 502, as the OpenFaaS gateway records an
   * upstream time-out or transport error (forwarding_proxy.go answers Bad Gateway).
   */
  timeoutStatusCode: string;
  /** Replicas at time 0, already warm (not counted as cold starts). */
  initialReplicas: number;
  /** Whether 0 replicas may be set (OpenFaaS CE rejects 0; Pro and the /scale actuator allow it). */
  allowScaleToZero: boolean;
  /**
   * `poisson`: each bin's count c gives Poisson(c) arrivals uniform in the bin (a Poisson process
   * of rate c / binSeconds). `exact`: exactly round(c) arrivals, evenly spaced (tests).
   */
  arrivals: 'poisson' | 'exact';
  serviceTime: ServiceTimeSpec;
  /** Floor of every service time and duration percentile, in ms (many Azure functions report 0). */
  minServiceMs: number;
  /**
   * CPU cores one busy slot uses. Default: the CPU request divided by the concurrency, i.e. a
   * fully busy replica runs at its request (a CPU-bound function with limit = request).
   */
  cpuCoresPerBusySlot?: number;
  /** CPU cores an idle replica uses (the watchdog waiting for requests). */
  idleCpuCoresPerReplica: number;
  /**
   * Working set of an idle replica in MiB; default the profile's AverageAllocatedMb (Azure 2019
   * app memory split per function), else 56 MiB (the slice's median, traces/PROVENANCE.md).
   */
  memoryBaseMb?: number;
  /** Extra working set per request in flight, in MiB. */
  memoryPerInflightMb: number;
  /**
   * Per-replica requests, to turn cores and bytes into fractions. Default 150m CPU and 256 MiB,
   * the function of Agarwal et al.'s LSTM-PPO experiments (`matmul`, REFERENCE.md).
   */
  requests: ResourceRequests;
}

export const DEFAULT_MEMORY_BASE_MB = 56;

export const DEFAULT_SIM_CONFIG: Readonly<SimConfig> = Object.freeze({
  concurrencyPerReplica: 1,
  coldStartSeconds: 5,
  upstreamTimeoutSeconds: 60,
  timeoutStatusCode: '502',
  initialReplicas: 1,
  allowScaleToZero: false,
  arrivals: 'poisson',
  serviceTime: { kind: 'profile' },
  minServiceMs: 1,
  idleCpuCoresPerReplica: 0.001,
  memoryPerInflightMb: 0,
  requests: { cpuCores: 0.15, memoryBytes: 256 * 1024 * 1024 },
} satisfies SimConfig);

/** Defaults overlaid with `overrides`, validated. */
export function resolveSimConfig(overrides: Partial<SimConfig> = {}): SimConfig {
  const config: SimConfig = { ...DEFAULT_SIM_CONFIG, ...stripUndefined(overrides) };
  positiveInteger('concurrencyPerReplica', config.concurrencyPerReplica);
  nonNegative('coldStartSeconds', config.coldStartSeconds);
  if (!(config.upstreamTimeoutSeconds > 0)) {
    throw new InputError(`sim.upstreamTimeoutSeconds: must be a number > 0 (or Infinity), got ${String(config.upstreamTimeoutSeconds)}`);
  }
  if (!/^[1-5][0-9][0-9]$/.test(config.timeoutStatusCode)) {
    throw new InputError(
      `sim.timeoutStatusCode: must be a three-digit HTTP status such as "504", got ${JSON.stringify(config.timeoutStatusCode)}`,
    );
  }
  if (!Number.isInteger(config.initialReplicas) || config.initialReplicas < (config.allowScaleToZero ? 0 : 1)) {
    throw new InputError(
      `sim.initialReplicas: must be an integer >= ${config.allowScaleToZero ? 0 : 1}, got ${String(config.initialReplicas)}`,
    );
  }
  if (config.arrivals !== 'poisson' && config.arrivals !== 'exact') {
    throw new InputError(`sim.arrivals: must be one of poisson, exact; got ${JSON.stringify(config.arrivals)}`);
  }
  validateServiceTime(config.serviceTime);
  positive('minServiceMs', config.minServiceMs);
  if (config.cpuCoresPerBusySlot !== undefined) nonNegative('cpuCoresPerBusySlot', config.cpuCoresPerBusySlot);
  nonNegative('idleCpuCoresPerReplica', config.idleCpuCoresPerReplica);
  if (config.memoryBaseMb !== undefined) nonNegative('memoryBaseMb', config.memoryBaseMb);
  nonNegative('memoryPerInflightMb', config.memoryPerInflightMb);
  positive('requests.cpuCores', config.requests.cpuCores);
  positive('requests.memoryBytes', config.requests.memoryBytes);
  return config;
}

function validateServiceTime(spec: ServiceTimeSpec): void {
  switch (spec?.kind) {
    case 'profile':
      return;
    case 'lognormal':
      finite('serviceTime.mu', spec.mu);
      nonNegative('serviceTime.sigma', spec.sigma);
      return;
    case 'exponential':
      positive('serviceTime.meanMs', spec.meanMs);
      return;
    case 'deterministic':
      positive('serviceTime.ms', spec.ms);
      return;
    default:
      throw new InputError(
        `sim.serviceTime.kind: must be one of profile, lognormal, exponential, deterministic; got ${JSON.stringify((spec as { kind?: unknown } | undefined)?.kind)}`,
      );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function finite(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`sim.${field}: must be a finite number, got ${String(v)}`);
}
function positive(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new InputError(`sim.${field}: must be a number > 0, got ${String(v)}`);
}
function nonNegative(field: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InputError(`sim.${field}: must be a number >= 0, got ${String(v)}`);
}
function positiveInteger(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new InputError(`sim.${field}: must be an integer >= 1, got ${String(v)}`);
}
