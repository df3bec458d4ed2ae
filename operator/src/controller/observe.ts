/**
 * The observe stage of a reconcile: the function's gathered metrics window and its Deployment's
 * replica counts → the Observation a policy decides from, or a hold with the reason; with the
 * MetricsAvailable condition that says which, and whether to retry before the next interval.
 */
import type { GatheredWindow } from '../metrics/batched-metrics.js';
import { missRatio } from '../metrics/observation.js';
import type { FunctionMetricsWindow, Observation, ResourceRequests } from '../metrics/types.js';
import type { ConditionUpdate } from './status.js';

export interface Observed {
  /** Absent when the scale must be held; `hold` says why. */
  obs?: Observation;
  hold?: string;
  /** CPU or memory metrics are missing: decide on request metrics, but no scale-down. */
  partialData: boolean;
  /** Fraction of the window's requests over the SLO (errors included); null when unknown. */
  misses: number | null;
  /** MetricsAvailable, when there was a window to judge. */
  condition?: ConditionUpdate;
  /** A source failed: try again sooner than the next interval. */
  retrySoon: boolean;
}

export interface ObserveInput {
  gathered: GatheredWindow | undefined;
  currentReplicas: number;
  readyReplicas: number;
  requests: Partial<ResourceRequests>;
  intervalSeconds: number;
  sloMs: number;
  buildObservation(window: FunctionMetricsWindow, requests: ResourceRequests): Observation;
}

export function observe(input: ObserveInput): Observed {
  const { gathered, currentReplicas } = input;
  const none = { partialData: false, misses: null, retrySoon: false };
  if (!gathered) return { ...none, hold: 'no metrics gathered' };
  const h = gathered.health;
  if (h.gatewaySourceError) {
    const why = h.gatewaySourceError.message;
    return {
      ...none,
      hold: `metrics unavailable: ${why}`,
      condition: {
        type: 'MetricsAvailable',
        status: 'False',
        reason: 'PrometheusUnavailable',
        message: `${why}; keeping ${currentReplicas} replicas, retrying with back-off`,
      },
      retrySoon: true,
    };
  }
  if (!h.traffic) {
    const problems = gathered.window.problems.filter((p) => p.includes('invocation_total')).join('; ');
    return {
      ...none,
      hold: `no usable request metrics: ${problems}`,
      condition: {
        type: 'MetricsAvailable',
        status: 'False',
        reason: 'NoRequestMetrics',
        message: `${problems}; keeping ${currentReplicas} replicas`,
      },
    };
  }
  const window = windowFor(gathered.window, input);
  const obs = input.buildObservation(window, { cpuCores: input.requests.cpuCores ?? 1, memoryBytes: input.requests.memoryBytes ?? 1 });
  const misses = missRatio(window, input.sloMs);
  if (!h.resources) {
    const why = h.cadvisorSourceError ? h.cadvisorSourceError.message : window.problems.filter((p) => p.includes('container_')).join('; ');
    return {
      obs,
      partialData: true,
      misses,
      condition: {
        type: 'MetricsAvailable',
        status: 'False',
        reason: 'ResourceMetricsUnavailable',
        message: `${why}; scaling on request metrics only, no scale-down until CPU and memory are back`,
      },
      retrySoon: h.cadvisorSourceError !== null,
    };
  }
  return {
    obs,
    partialData: false,
    misses,
    condition: { type: 'MetricsAvailable', status: 'True', reason: 'MetricsRead', message: `read over ${input.intervalSeconds}s` },
    retrySoon: false,
  };
}

/** The gathered window with the Deployment's counts; without a request, usage cannot be a fraction of it. */
function windowFor(gathered: FunctionMetricsWindow, input: ObserveInput): FunctionMetricsWindow {
  const problems = [...gathered.problems];
  const window: FunctionMetricsWindow = { ...gathered, replicas: input.currentReplicas, readyReplicas: input.readyReplicas, problems };
  if (input.requests.cpuCores === undefined) {
    window.cpuCores = null;
    problems.push('no CPU request: set spec.resources.requests.cpu or a CPU request on the Deployment');
  }
  if (input.requests.memoryBytes === undefined) {
    window.memoryBytes = null;
    problems.push('no memory request: set spec.resources.requests.memory or a memory request on the Deployment');
  }
  return window;
}
