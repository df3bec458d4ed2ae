/**
 * The operator's own /metrics (prom-client), in a registry per controller so tests and the
 * sandbox can run several operators in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const FUNCTION_LABELS = ['namespace', 'name', 'function'] as const;
export type FunctionLabel = (typeof FUNCTION_LABELS)[number];
export type FunctionLabels = Readonly<Record<FunctionLabel, string>>;

/**
 * A gauge with one series per FunctionAutoscaler, keyed by the resource (namespace/name). prom-client's
 * `Gauge.set(labels, v)` sorts and joins the labels into a key and allocates a new entry at every
 * call — at 10,000 functions and seven gauges, 70,000 of each per tick; here a set changes a number
 * in place, and a resource whose function changes keeps one series (the new labels replace the old).
 */
export class FunctionGauge extends Gauge<FunctionLabel> {
  private readonly series = new Map<string, { labels: FunctionLabels; value: number }>();

  constructor(name: string, help: string, registry: Registry) {
    super({ name, help, labelNames: FUNCTION_LABELS, registers: [registry] });
  }

  /** Sets the series of resource `key`; `labels` should be the same object from call to call. */
  setFor(key: string, labels: FunctionLabels, value: number): void {
    const entry = this.series.get(key);
    if (entry && entry.labels === labels) entry.value = value;
    else this.series.set(key, { labels, value });
  }

  /** Drops the series of resource `key` (its value is unknown, or the resource is gone). */
  removeFor(key: string): void {
    this.series.delete(key);
  }

  override async get(): Promise<Awaited<ReturnType<Gauge<FunctionLabel>['get']>>> {
    const base = await super.get();
    return { ...base, values: [...base.values, ...this.series.values()] };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class' fields exist.
    (this.series as typeof this.series | undefined)?.clear();
  }
}

export class OperatorMetrics {
  readonly registry = new Registry();
  /** One per decision: direction up | down | none (policy decided, no change) | hold (could not decide). */
  readonly decisions = new Counter({
    name: 'faas_autoscaler_decisions_total',
    help: 'Scaling decisions by policy and direction (up, down, none, hold).',
    labelNames: ['policy', 'direction'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'faas_autoscaler_reconcile_duration_seconds',
    help: 'Wall time of one tick (all FunctionAutoscalers due at that moment).',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly promqlQueries = new Counter({
    name: 'faas_autoscaler_promql_queries_total',
    help: 'PromQL queries sent, by source (prometheus-a gateway, prometheus-b cAdvisor).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly promqlErrors = new Counter({
    name: 'faas_autoscaler_promql_errors_total',
    help: 'Failed PromQL queries by source and kind (unreachable, timeout, server, query, bad-response).',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
  });
  readonly desiredReplicas = this.functionGauge(
    'faas_autoscaler_desired_replicas',
    'Replicas decided at the last interval, after the rails.',
  );
  /** Per function (namespace and name of the FunctionAutoscaler, and the function it scales): what its status says. */
  readonly functionReplicas = this.functionGauge(
    'faas_autoscaler_function_replicas',
    'Replicas of the function (spec.replicas of its Deployment) at the last interval.',
  );
  readonly functionP95 = this.functionGauge(
    'faas_autoscaler_function_p95_latency_ms',
    'P95 latency of the last interval at the gateway, in milliseconds (absent when unknown).',
  );
  readonly functionSlo = this.functionGauge(
    'faas_autoscaler_function_slo_p95_latency_ms',
    "The function's SLO (spec.slo.p95LatencyMs), in milliseconds.",
  );
  readonly functionMisses = this.functionGauge(
    'faas_autoscaler_function_misses_ratio',
    "Share of the last interval's requests slower than the SLO or failed, from the gateway histogram (absent when unknown).",
  );
  readonly functionScalingLimited = this.functionGauge(
    'faas_autoscaler_function_scaling_limited',
    '1 while a rail or a limit (bounds, rate, stabilization, OpenFaaS CE) changed the last decision.',
  );
  /**
   * Status is written only when something a user reads changes, so its lastDecision.time can be
   * up to ten intervals old (DEFAULT_STATUS_REFRESH_INTERVALS); this moves at every decision.
   */
  readonly functionLastDecision = this.functionGauge(
    'faas_autoscaler_function_last_decision_timestamp_seconds',
    'Unix time of the last decision (a hold included) for the function.',
  );

  /** Every per-function series, to drop them together when a FunctionAutoscaler goes. */
  get functionGauges(): readonly FunctionGauge[] {
    return [
      this.desiredReplicas,
      this.functionReplicas,
      this.functionP95,
      this.functionSlo,
      this.functionMisses,
      this.functionScalingLimited,
      this.functionLastDecision,
    ];
  }
  readonly inferenceSeconds = new Histogram({
    name: 'faas_autoscaler_inference_seconds',
    help: "Time spent in the policy's recommendation per function, by policy (a batched step's time divided among its functions).",
    labelNames: ['policy'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly scaleErrors = new Counter({
    name: 'faas_autoscaler_scale_errors_total',
    help: 'Failed actuations by actuator and kind (not-found, conflict, transient, rejected).',
    labelNames: ['actuator', 'kind'] as const,
    registers: [this.registry],
  });
  readonly apiConflicts = new Counter({
    name: 'faas_autoscaler_api_conflicts_total',
    help: 'HTTP 409 answers retried, by write (scale).',
    labelNames: ['write'] as const,
    registers: [this.registry],
  });
  readonly statusUpdates = new Counter({
    name: 'faas_autoscaler_status_updates_total',
    help: 'Status updates per reconcile: written (something a user reads changed, or the observation was due a refresh) or unchanged (no API call).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly eventsDropped = new Counter({
    name: 'faas_autoscaler_events_dropped_total',
    help: "Events not sent because their FunctionAutoscaler exceeded the rate limit (client-go's: a burst of 25, then one per 5 minutes).",
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'faas_autoscaler_reconcile_errors_total',
    help: 'Faults that escaped a stage: per resource (scope=resource, reported on it) or a whole tick (scope=tick); the process carries on.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'faas_autoscaler_is_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });
  readonly shardsHeld = new Gauge({
    name: 'faas_autoscaler_shards_held',
    help: 'With --shards above 1: the shards whose Lease this replica holds (it reconciles their FunctionAutoscalers).',
    registers: [this.registry],
  });
  readonly leaseErrors = new Counter({
    name: 'faas_autoscaler_lease_errors_total',
    help: 'Failed reads and writes of the leader Lease (409 races excluded), by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly managed = new Gauge({
    name: 'faas_autoscaler_function_autoscalers',
    help: 'FunctionAutoscalers known to this operator.',
    registers: [this.registry],
  });

  private functionGauge(name: string, help: string): FunctionGauge {
    return new FunctionGauge(name, help, this.registry);
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // The standard process_* and nodejs_* names, which dashboards and alerts for any Node process expect.
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
