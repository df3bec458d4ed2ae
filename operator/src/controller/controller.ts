/**
 * The reconcile loop (README.md in this folder walks through it). Gather → recommend → normalize →
 * act, as the HPA controller does, with each step its own module:
 *
 *   metrics/batched-metrics  one batch of PromQL per distinct window length, for all due functions
 *   metrics/observation      window → Observation (shared with the simulator)
 *   policies/                one stateful policy instance per FunctionAutoscaler
 *   rails/                   bounds, rate limits, stabilization (the same for every policy)
 *   actuators/               Deployment /scale (default) or the gateway API
 *   status.ts                conditions, status with conflict retry, Events
 *
 * Scheduling: each FunctionAutoscaler is due every `intervalSeconds`, aligned to multiples of the
 * interval on the clock, so all resources with the same interval fall due together and share one
 * batch of queries. Faults move one resource off the grid with a back-off and back on after success.
 */
import type { Logger } from 'pino';
import type { V1Deployment } from '@kubernetes/client-node';
import type { ActuatorName, BoundedSpec, BoundsStatus, Condition, FunctionAutoscalerSpec, FunctionAutoscalerStatus, ObservationStatus } from '../api/types.js';
import { gatherWindows, type FunctionTarget, type GatheredWindow } from '../metrics/batched-metrics.js';
import type { InstantQuerier } from '../metrics/prometheus.js';
import type { FunctionMetricsWindow, Observation, ResourceRequests } from '../metrics/types.js';
import { missRatio } from '../metrics/observation.js';
import { type PolicyDeps, type PolicyName, type PolicySpec, type ScalingPolicy } from '../policies/policy.js';
import { mergeBehavior } from '../rails/behavior.js';
import type { RailsConfig, RailsDecision } from '../rails/types.js';
import { DeploymentScaleActuator } from '../actuators/deployment-scale.js';
import { ActuatorError, type Actuator } from '../actuators/types.js';
import { Backoff, type Cancel, type Clock } from './clock.js';
import { Informer, objectKey } from './informer.js';
import type { AutoscalerObject, ClusterClient } from './kube.js';
import { OperatorMetrics } from './operator-metrics.js';
import { labelPolicyParams, resolveBounds, resolveSpec, quantity } from './spec.js';
import { decideFrom, hold as holdAt, recommend, type Decision } from '../decision/step.js';
import { EventRecorder, findCondition, setConditions, writeStatus, type ConditionUpdate } from './status.js';

export interface RailsLike {
  apply(args: { currentReplicas: number; rawDesiredReplicas: number; now: number }): RailsDecision;
  reset(): void;
  /** The last decision was not applied (dry run, failed actuation): forget its scale event. */
  undoLastScaleEvent?(): void;
}

export interface ControllerOptions {
  cluster: ClusterClient;
  gateway: InstantQuerier;
  cadvisor: InstantQuerier;
  clock: Clock;
  logger: Logger;
  createPolicy(spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy>;
  createRails(config: RailsConfig): RailsLike;
  buildObservation(window: FunctionMetricsWindow, requests: ResourceRequests): Observation;
  /** Defaults: deployment-scale on `cluster`; the gateway actuator only when configured. */
  actuators?: Partial<Record<ActuatorName, Actuator>>;
  metrics?: OperatorMetrics;
  /** Namespaces whose FunctionAutoscalers we manage; empty or undefined: all. */
  namespaces?: readonly string[];
  /** Name of this replica (Events' reportingInstance). */
  identity: string;
  /** False while another replica leads: no queries, no writes. Default: always true. */
  canWrite?: () => boolean;
  /** Back-off after a metrics or API fault: first retry, cap (capped again at the interval). */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** How often a policy that failed to load is tried again. Default 5 min. */
  policyRetryMs?: number;
  /** Resources reconciled in parallel within a tick (API calls in flight). Default 16. */
  concurrency?: number;
  /**
   * The OpenFaaS edition behind the functions. `ce`: decisions are kept within 1..5, since CE's
   * faas-netes rewrites any other Deployment replica count (REFERENCE.md); default `pro` (no limit).
   */
  openfaasEdition?: OpenFaasEdition;
}

export type OpenFaasEdition = 'ce' | 'pro';

/** OpenFaaS CE's replica range (faas-netes' Deployment informer, gateway/scaling/ranges.go). */
export const OPENFAAS_CE_REPLICAS = { min: 1, max: 5 } as const;

/** What one tick did; tests and the benchmark read it. */
export interface TickReport {
  startedMs: number;
  durationMs: number;
  due: number;
  queries: number;
  windows: number;
  decisions: number;
  scaled: number;
  skippedNotLeader: boolean;
}

interface PolicySlot {
  key: string;
  requested: PolicyName;
  /** The instance deciding now: the requested policy or the fallback. */
  policy: ScalingPolicy | undefined;
  loaded: boolean;
  retryAtMs: number;
  rails: RailsLike | undefined;
}

interface Managed {
  key: string;
  obj: AutoscalerObject;
  nextDueMs: number;
  backoff: Backoff;
  slot: PolicySlot | undefined;
  /** Replicas we last saw or set; a different value at the next interval is someone else's change. */
  lastKnownReplicas: number | undefined;
  /** Condition types whose last transition already produced a Warning Event. */
  conditions: Condition[];
}

const COMPONENT = 'faas-autoscaler';

export class Controller {
  private readonly managed = new Map<string, Managed>();
  private readonly deploymentInformers = new Map<string, Informer<V1Deployment & { metadata: { name: string } }>>();
  private readonly autoscalerInformers: Informer<AutoscalerObject>[] = [];
  private readonly events: EventRecorder;
  private readonly metrics: OperatorMetrics;
  private readonly actuators: Partial<Record<ActuatorName, Actuator>>;
  private readonly canWrite: () => boolean;
  private timer: Cancel | undefined;
  private inFlight: Promise<TickReport> | undefined;
  private running = false;
  lastTick: TickReport | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.metrics = opts.metrics ?? new OperatorMetrics();
    this.canWrite = opts.canWrite ?? (() => true);
    this.actuators = {
      'deployment-scale': new DeploymentScaleActuator(opts.cluster, {
        onConflict: (t, attempt) => {
          this.metrics.apiConflicts.inc({ write: 'scale' });
          opts.logger.info({ function: `${t.namespace}/${t.name}`, attempt }, 'scale conflict (409), reading again');
        },
      }),
      ...opts.actuators,
    };
    this.events = new EventRecorder({
      client: opts.cluster,
      component: COMPONENT,
      instance: opts.identity,
      now: () => opts.clock.now(),
      canWrite: this.canWrite,
      onError: (err, reason) => opts.logger.warn({ err, reason }, 'could not create Event'),
    });
  }

  get operatorMetrics(): OperatorMetrics {
    return this.metrics;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const namespaces = this.opts.namespaces && this.opts.namespaces.length > 0 ? this.opts.namespaces : [undefined];
    for (const ns of namespaces) {
      const informer = new Informer<AutoscalerObject>(
        `functionautoscalers${ns ? ` in ${ns}` : ''}`,
        {
          list: () => this.opts.cluster.listAutoscalers(ns),
          watch: (rv, h) => this.opts.cluster.watchAutoscalers(ns, rv, h),
        },
        this.opts.clock,
        {
          onUpsert: (obj) => this.upsert(obj),
          onDelete: (obj) => this.remove(obj),
          onError: (err, retryInMs) => this.opts.logger.warn({ err: err.message, retryInMs }, 'FunctionAutoscaler watch failed'),
        },
      );
      this.autoscalerInformers.push(informer);
      informer.start();
    }
  }

  /** Stops scheduling, lets the tick in flight finish, then stops the informers and sends pending Events. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.();
    this.timer = undefined;
    await this.inFlight?.catch(() => undefined);
    for (const inf of this.autoscalerInformers) inf.stop();
    for (const inf of this.deploymentInformers.values()) inf.stop();
    await this.events.flush();
    for (const m of this.managed.values()) m.slot?.policy?.dispose();
  }

  /** Informers synced: what /readyz reports. */
  readiness(): { ok: boolean; reason: string } {
    const notSynced = [...this.autoscalerInformers, ...this.deploymentInformers.values()].filter((i) => !i.hasSynced()).length;
    if (!this.running) return { ok: false, reason: 'not started' };
    if (notSynced > 0) return { ok: false, reason: `${notSynced} cache(s) not synced yet` };
    return { ok: true, reason: `ok: ${this.managed.size} FunctionAutoscaler(s), ${this.canWrite() ? 'leader' : 'standby'}` };
  }

  /** Makes every FunctionAutoscaler due now (a resync; the benchmark uses it to time one full tick). */
  dueAll(): void {
    const now = this.opts.clock.now();
    for (const m of this.managed.values()) m.nextDueMs = now;
    this.schedule();
  }

  /** The FunctionAutoscalers known, keyed `namespace/name` (tests). */
  managedKeys(): string[] {
    return [...this.managed.keys()].sort();
  }

  private upsert(obj: AutoscalerObject): void {
    const key = objectKey(obj);
    const existing = this.managed.get(key);
    if (existing) {
      existing.obj = obj;
      return;
    }
    const m: Managed = {
      key,
      obj,
      nextDueMs: this.opts.clock.now(),
      backoff: new Backoff(this.opts.retryBackoff ?? { initialMs: 1000, maxMs: 60_000 }),
      slot: undefined,
      lastKnownReplicas: undefined,
      conditions: [...(((obj.status as FunctionAutoscalerStatus | undefined)?.conditions) ?? [])],
    };
    this.managed.set(key, m);
    this.metrics.managed.set(this.managed.size);
    const spec = resolveSpec(obj);
    if (spec.ok) this.ensureDeploymentInformer(spec.spec.functionNamespace);
    this.schedule();
  }

  private remove(obj: AutoscalerObject): void {
    const m = this.managed.get(objectKey(obj));
    if (!m) return;
    m.slot?.policy?.dispose();
    this.managed.delete(m.key);
    this.metrics.managed.set(this.managed.size);
    const spec = resolveSpec(obj);
    if (spec.ok) {
      const labels = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, function: spec.spec.functionName };
      for (const gauge of this.metrics.functionGauges) gauge.remove(labels);
    }
  }

  /** The per-function gauges: what status says, for dashboards and alerts. */
  private publishFunctionMetrics(m: Managed, spec: BoundedSpec, replicas: number, decision: Decision, obs: ObservationStatus | undefined): void {
    const labels = { namespace: m.obj.metadata.namespace ?? '', name: m.obj.metadata.name, function: spec.functionName };
    const metrics = this.metrics;
    metrics.desiredReplicas.set(labels, decision.desiredReplicas);
    metrics.functionReplicas.set(labels, replicas);
    metrics.functionSlo.set(labels, spec.slo.p95LatencyMs);
    metrics.functionScalingLimited.set(labels, decision.limitedBy === 'none' ? 0 : 1);
    const setOrDrop = (gauge: (typeof metrics.functionGauges)[number], value: number | null | undefined): void => {
      if (value === null || value === undefined || !Number.isFinite(value)) gauge.remove(labels);
      else gauge.set(labels, value);
    };
    setOrDrop(metrics.functionP95, obs?.p95LatencyMs);
    setOrDrop(metrics.functionMisses, obs?.missRatio);
  }

  private ensureDeploymentInformer(namespace: string): void {
    if (this.deploymentInformers.has(namespace)) return;
    const informer = new Informer<V1Deployment & { metadata: { name: string } }>(
      `deployments in ${namespace}`,
      {
        list: () => this.opts.cluster.listDeployments(namespace) as Promise<{ items: Array<V1Deployment & { metadata: { name: string } }>; resourceVersion: string }>,
        watch: (rv, h) => this.opts.cluster.watchDeployments(namespace, rv, h as never),
      },
      this.opts.clock,
      { onError: (err, retryInMs) => this.opts.logger.warn({ err: err.message, retryInMs, namespace }, 'Deployment watch failed') },
    );
    this.deploymentInformers.set(namespace, informer);
    informer.start();
  }

  private deployment(namespace: string, name: string): { synced: boolean; dep: V1Deployment | undefined } {
    const inf = this.deploymentInformers.get(namespace);
    if (!inf) return { synced: false, dep: undefined };
    return { synced: inf.hasSynced(), dep: inf.get(`${namespace}/${name}`) };
  }

  /** Arms one timer for the earliest due resource. */
  private schedule(): void {
    if (!this.running) return;
    this.timer?.();
    this.timer = undefined;
    if (this.inFlight) return; // the tick re-arms when it ends
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.managed.values()) next = Math.min(next, m.nextDueMs);
    if (!Number.isFinite(next)) return;
    const delay = Math.max(0, next - this.opts.clock.now());
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, delay);
  }

  /** Runs every resource that is due now. Exposed so tests and the benchmark can drive ticks. */
  async tick(): Promise<TickReport> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.runTick();
    try {
      const report = await this.inFlight;
      this.lastTick = report;
      return report;
    } finally {
      this.inFlight = undefined;
      this.schedule();
    }
  }

  private async runTick(): Promise<TickReport> {
    const clock = this.opts.clock;
    const startedMs = clock.now();
    const wallStart = performance.now();
    const due = [...this.managed.values()].filter((m) => m.nextDueMs <= startedMs);
    const report: TickReport = { startedMs, durationMs: 0, due: due.length, queries: 0, windows: 0, decisions: 0, scaled: 0, skippedNotLeader: false };
    if (!this.canWrite()) {
      // A standby replica neither queries nor writes; it keeps its schedule so it can take over.
      report.skippedNotLeader = true;
      for (const m of due) {
        m.nextDueMs = alignedNext(startedMs, intervalMsOf(m));
        if (m.lastKnownReplicas !== undefined) {
          // We led before: what we remember is stale by the time we lead again (another replica
          // scaled meanwhile, and decided with its own state). Start afresh then, as it did.
          m.lastKnownReplicas = undefined;
          m.slot?.policy?.reset();
          m.slot?.rails?.reset();
        }
      }
      return report;
    }
    // Group by window length: one batch of queries per distinct intervalSeconds.
    const groups = new Map<number, Array<{ m: Managed; spec: FunctionAutoscalerSpec }>>();
    const invalid: Managed[] = [];
    for (const m of due) {
      const r = resolveSpec(m.obj);
      if (!r.ok) {
        invalid.push(m);
        continue;
      }
      this.ensureDeploymentInformer(r.spec.functionNamespace);
      const list = groups.get(r.spec.intervalSeconds) ?? [];
      list.push({ m, spec: r.spec });
      groups.set(r.spec.intervalSeconds, list);
    }
    for (const m of invalid) await this.reconcileInvalid(m, startedMs);

    const work: Array<() => Promise<void>> = [];
    await Promise.all(
      [...groups.entries()].map(async ([windowSeconds, members]) => {
        const targets: FunctionTarget[] = [];
        for (const { spec } of members) {
          const { dep } = this.deployment(spec.functionNamespace, spec.functionName);
          if (dep) targets.push({ name: spec.functionName, namespace: spec.functionNamespace, replicas: dep.spec?.replicas ?? 1, readyReplicas: dep.status?.readyReplicas ?? 0 });
        }
        let gathered = new Map<string, GatheredWindow>();
        if (targets.length > 0) {
          const res = await gatherWindows({ gateway: this.opts.gateway, cadvisor: this.opts.cadvisor, windowSeconds, targets, atMs: startedMs });
          gathered = res.byKey;
          report.queries += res.queries;
          report.windows++;
          this.metrics.promqlQueries.inc({ source: this.opts.gateway.name }, 6);
          this.metrics.promqlQueries.inc({ source: this.opts.cadvisor.name }, 3);
          for (const err of res.errors) {
            this.metrics.promqlErrors.inc({ source: err.source, kind: err.kind });
            this.opts.logger.warn({ source: err.source, kind: err.kind, windowSeconds }, err.message);
          }
        }
        for (const { m, spec } of members) {
          work.push(async () => {
            const scaled = await this.reconcileOne(m, spec, gathered.get(`${spec.functionName}.${spec.functionNamespace}`), startedMs);
            report.decisions++;
            if (scaled) report.scaled++;
          });
        }
      }),
    );
    await runPool(work, this.opts.concurrency ?? 16);
    await this.events.flush();
    report.durationMs = performance.now() - wallStart;
    this.metrics.reconcileDuration.observe(report.durationMs / 1000);
    return report;
  }

  private async reconcileInvalid(m: Managed, now: number, bounds?: { message: string; status: BoundsStatus }): Promise<void> {
    const r = resolveSpec(m.obj);
    const message = bounds?.message ?? (r.ok ? '' : r.message);
    m.nextDueMs = now + 60_000;
    const before = findCondition(m.conditions, 'Ready');
    const status = this.baseStatus(m);
    if (bounds) status.bounds = bounds.status;
    status.conditions = this.updateConditions(m, [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message }], now);
    if (before?.reason !== 'InvalidSpec' || before.message !== message) this.events.emit(m.obj, { type: 'Warning', reason: 'InvalidSpec', message });
    await this.persist(m, status);
  }

  /** One FunctionAutoscaler at one interval. Returns whether replicas were changed. */
  private async reconcileOne(m: Managed, declared: FunctionAutoscalerSpec, gathered: GatheredWindow | undefined, now: number): Promise<boolean> {
    const log = this.opts.logger.child({ fas: m.key, function: `${declared.functionNamespace}/${declared.functionName}` });
    const intervalMs = declared.intervalSeconds * 1000;
    const updates: ConditionUpdate[] = [];
    const status = this.baseStatus(m);
    let retrySoon = false;
    let scaled = false;

    const { synced, dep } = this.deployment(declared.functionNamespace, declared.functionName);
    // Bounds and Pro's targets the resource leaves unset come from the function's OpenFaaS labels.
    const labels = dep?.metadata?.labels;
    const bounded = resolveBounds(declared, labels);
    if (!bounded.ok) {
      await this.reconcileInvalid(m, now, { message: bounded.message, status: bounded.bounds });
      return false;
    }
    status.bounds = bounded.bounds;
    const labelParams = labelPolicyParams(declared.policy.name, labels);
    const spec: BoundedSpec = Object.keys(labelParams).length > 0 ? { ...bounded.spec, policy: { ...bounded.spec.policy, params: { ...labelParams, ...(bounded.spec.policy.params ?? {}) } } } : bounded.spec;
    const requests = requestsOf(spec, dep);
    await this.ensurePolicy(m, spec, requests, now, updates, log);
    const slot = m.slot!;
    status.activePolicy = slot.policy?.name as PolicyName | undefined;

    if (!dep) {
      const message = synced
        ? `Deployment ${spec.functionNamespace}/${spec.functionName} not found (is the function deployed?)`
        : `Deployment cache for ${spec.functionNamespace} not synced yet`;
      const reason = synced ? 'DeploymentNotFound' : 'WaitingForCache';
      // A cache still syncing at start-up is not worth an Event per resource; a missing Deployment is.
      if (synced) this.warnOnTransition(m, 'Ready', reason, message);
      updates.push({ type: 'Ready', status: 'False', reason, message });
      status.conditions = this.updateConditions(m, updates, now);
      m.nextDueMs = synced ? alignedNext(now, intervalMs) : now + Math.min(m.backoff.next(), intervalMs);
      await this.persist(m, status);
      return false;
    }

    const currentReplicas = dep.spec?.replicas ?? 1;
    const readyReplicas = dep.status?.readyReplicas ?? 0;
    status.replicas = currentReplicas;
    if (m.lastKnownReplicas !== undefined && m.lastKnownReplicas !== currentReplicas) {
      const message = `replicas changed from ${m.lastKnownReplicas} to ${currentReplicas} by someone else (${likelyOtherWriter(this.opts.openfaasEdition, labels, currentReplicas)}); deciding from ${currentReplicas}`;
      updates.push({ type: 'ExternalChange', status: 'True', reason: 'ReplicasChangedExternally', message });
      this.events.emit(m.obj, { type: 'Warning', reason: 'ExternalChange', message });
      log.warn({ from: m.lastKnownReplicas, to: currentReplicas }, 'replicas changed by someone else');
    } else {
      updates.push({ type: 'ExternalChange', status: 'False', reason: 'NoExternalChange', message: 'replicas are as this operator last saw or set them' });
    }
    m.lastKnownReplicas = currentReplicas;

    // Metrics → observation, or a hold with the reason.
    let obs: Observation | undefined;
    let hold: string | undefined;
    let resourcesMissing = false;
    let misses: number | null = null;
    if (!gathered) {
      hold = 'no metrics gathered';
    } else {
      const h = gathered.health;
      if (h.gatewaySourceError) {
        hold = `metrics unavailable: ${h.gatewaySourceError.message}`;
        updates.push({ type: 'MetricsAvailable', status: 'False', reason: 'PrometheusUnavailable', message: `${h.gatewaySourceError.message}; keeping ${currentReplicas} replicas, retrying with back-off` });
        retrySoon = true;
      } else if (!h.traffic) {
        const problems = gathered.window.problems.filter((p) => p.includes('invocation_total')).join('; ');
        hold = `no usable request metrics: ${problems}`;
        updates.push({ type: 'MetricsAvailable', status: 'False', reason: 'NoRequestMetrics', message: `${problems}; keeping ${currentReplicas} replicas` });
      } else {
        const window: FunctionMetricsWindow = { ...gathered.window, replicas: currentReplicas, readyReplicas, problems: [...gathered.window.problems] };
        // Without a request, usage cannot be a fraction of it: those fields are missing, said why.
        if (requests.cpuCores === undefined) {
          window.cpuCores = null;
          (window.problems as string[]).push('no CPU request: set spec.resources.requests.cpu or a CPU request on the Deployment');
        }
        if (requests.memoryBytes === undefined) {
          window.memoryBytes = null;
          (window.problems as string[]).push('no memory request: set spec.resources.requests.memory or a memory request on the Deployment');
        }
        obs = this.opts.buildObservation(window, { cpuCores: requests.cpuCores ?? 1, memoryBytes: requests.memoryBytes ?? 1 });
        misses = missRatio(window, spec.slo.p95LatencyMs);
        if (!h.resources) {
          resourcesMissing = true;
          const why = h.cadvisorSourceError ? h.cadvisorSourceError.message : window.problems.filter((p) => p.includes('container_')).join('; ');
          updates.push({ type: 'MetricsAvailable', status: 'False', reason: 'ResourceMetricsUnavailable', message: `${why}; scaling on request metrics only, no scale-down until CPU and memory are back` });
          if (h.cadvisorSourceError) retrySoon = true;
        } else {
          updates.push({ type: 'MetricsAvailable', status: 'True', reason: 'MetricsRead', message: `read over ${spec.intervalSeconds}s` });
        }
      }
    }
    if (obs) status.lastObservation = { ...observationStatus(obs, now, this.opts.openfaasEdition === 'ce'), missRatio: misses === null ? null : Math.round(misses * 1e4) / 1e4 };

    // Recommend → normalize.
    let decision: Decision;
    if (hold !== undefined) {
      decision = holdAt(currentReplicas, hold);
    } else if (!slot.policy) {
      decision = holdAt(currentReplicas, 'no policy could be loaded');
    } else {
      decision = this.decide(slot, obs!, currentReplicas, now, resourcesMissing, log);
    }
    status.desiredReplicas = decision.desiredReplicas;
    status.lastDecision = {
      time: new Date(now).toISOString(),
      ...(!decision.held ? { rawDesiredReplicas: decision.rawDesiredReplicas } : {}),
      desiredReplicas: decision.desiredReplicas,
      reason: decision.reason.slice(0, 1000),
      limitedBy: decision.limitedBy,
    };
    updates.push(
      decision.limitedBy === 'none'
        ? { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the policy recommendation was applied as is' }
        : { type: 'ScalingLimited', status: 'True', reason: limitReason(decision.limitedBy), message: decision.reason },
    );
    const policyLabel = slot.policy?.name ?? 'none';
    const direction = decision.held ? 'hold' : decision.desiredReplicas > currentReplicas ? 'up' : decision.desiredReplicas < currentReplicas ? 'down' : 'none';
    this.metrics.decisions.inc({ policy: policyLabel, direction });
    this.publishFunctionMetrics(m, spec, currentReplicas, decision, obs ? status.lastObservation : undefined);

    // Act.
    let ready: ConditionUpdate = { type: 'Ready', status: 'True', reason: 'Reconciled', message: decision.reason };
    if (hold !== undefined && retrySoon) ready = { type: 'Ready', status: 'False', reason: 'MetricsUnavailable', message: decision.reason };
    if (!slot.policy) ready = { type: 'Ready', status: 'False', reason: 'PolicyUnavailable', message: decision.reason };
    if (decision.desiredReplicas !== currentReplicas) {
      if (spec.dryRun) {
        slot.rails?.undoLastScaleEvent?.();
        // The same would-be change, interval after interval, is one Event whose count grows.
        this.events.emit(m.obj, {
          type: 'Normal',
          reason: 'DryRun',
          message: `would scale from ${currentReplicas} to ${decision.desiredReplicas}: ${decision.reason}`,
          series: `${currentReplicas}->${decision.desiredReplicas}`,
        });
      } else if (this.canWrite()) {
        const actuator = this.actuators[spec.actuator];
        try {
          if (!actuator) throw new ActuatorError('rejected', `actuator ${spec.actuator} is not configured (start the operator with --gateway-url)`);
          const result = await actuator.scale({ name: spec.functionName, namespace: spec.functionNamespace }, decision.desiredReplicas);
          scaled = true;
          m.lastKnownReplicas = result.replicas;
          status.replicas = result.replicas;
          const extra = result.adjustedReason ? ` (${result.adjustedReason})` : '';
          this.events.emit(m.obj, { type: 'Normal', reason: 'Scaled', message: `scaled from ${currentReplicas} to ${result.replicas}${extra}: ${decision.reason}` });
          log.info({ from: currentReplicas, to: result.replicas, policy: policyLabel, attempts: result.attempts }, 'scaled');
        } catch (raw) {
          const err = raw instanceof ActuatorError ? raw : new ActuatorError('transient', String(raw), { cause: raw });
          slot.rails?.undoLastScaleEvent?.();
          this.metrics.scaleErrors.inc({ actuator: spec.actuator, kind: err.kind });
          const reason = err.kind === 'not-found' ? 'DeploymentNotFound' : 'ScaleFailed';
          ready = { type: 'Ready', status: 'False', reason, message: err.message };
          this.events.emit(m.obj, { type: 'Warning', reason, message: `could not scale from ${currentReplicas} to ${decision.desiredReplicas}: ${err.message}` });
          log.error({ err: err.message, kind: err.kind }, 'scale failed');
          if (err.kind === 'transient' || err.kind === 'conflict') retrySoon = true;
        }
      }
    }
    updates.push(ready);
    // A metrics fault is an Event when it starts or changes cause, not at every retry.
    const metricsUpdate = updates.find((u) => u.type === 'MetricsAvailable');
    if (metricsUpdate?.status === 'False') {
      const prev = findCondition(m.conditions, 'MetricsAvailable');
      if (prev?.status !== 'False' || prev.reason !== metricsUpdate.reason) {
        this.events.emit(m.obj, { type: 'Warning', reason: metricsUpdate.reason, message: metricsUpdate.message });
      }
    }
    status.conditions = this.updateConditions(m, updates, now);

    if (retrySoon) {
      m.nextDueMs = now + Math.min(m.backoff.next(), intervalMs);
    } else {
      m.backoff.reset();
      m.nextDueMs = alignedNext(now, intervalMs);
    }
    await this.persist(m, status);
    return scaled;
  }

  private decide(slot: PolicySlot, obs: Observation, currentReplicas: number, now: number, resourcesMissing: boolean, log: Logger): Decision {
    const policy = slot.policy!;
    const t0 = performance.now();
    const rec = recommend(policy, obs, now);
    this.metrics.inferenceSeconds.observe({ policy: policy.name }, (performance.now() - t0) / 1000);
    if (!rec.valid && rec.reason.startsWith(`policy ${policy.name} failed: `)) log.error({ reason: rec.reason }, 'policy threw');
    return decideFrom(policy.name, rec, {
      rails: slot.rails!,
      currentReplicas,
      now,
      partialData: resourcesMissing,
      ...(this.opts.openfaasEdition === 'ce' ? { platformRange: { ...OPENFAAS_CE_REPLICAS, name: 'OpenFaaS CE' } } : {}),
    });
  }

  /**
   * One policy instance per resource, created when first seen and again when anything it was
   * built from changes (name, model, params, bounds, SLO, interval, behavior). A policy that fails
   * to load (unknown, not registered yet, missing or corrupt model, bad params) is replaced by the
   * fallback, said in PolicyLoaded=False and a Warning Event, and tried again every policyRetryMs.
   */
  private async ensurePolicy(m: Managed, spec: BoundedSpec, requests: Partial<ResourceRequests>, now: number, updates: ConditionUpdate[], log: Logger): Promise<void> {
    const key = JSON.stringify([spec.policy, spec.minReplicas, spec.maxReplicas, spec.slo, spec.intervalSeconds, spec.behavior ?? null, requests]);
    const old = m.slot;
    if (old && old.key === key && (old.loaded || now < old.retryAtMs)) {
      updates.push(findConditionUpdate(m.conditions, 'PolicyLoaded'));
      return;
    }
    const deps: PolicyDeps = {
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      sloP95Ms: spec.slo.p95LatencyMs,
      intervalSeconds: spec.intervalSeconds,
      ...(requests.cpuCores !== undefined && requests.memoryBytes !== undefined ? { resourceRequests: { cpuCores: requests.cpuCores, memoryBytes: requests.memoryBytes } } : {}),
    };
    const requestedSpec: PolicySpec = { name: spec.policy.name, ...(spec.policy.model ? { model: spec.policy.model } : {}), ...(spec.policy.params ? { params: spec.policy.params } : {}) };
    const retryingSame = old !== undefined && old.key === key;
    let policy: ScalingPolicy | undefined;
    let loaded = false;
    try {
      policy = await this.opts.createPolicy(requestedSpec, deps);
      loaded = true;
      updates.push({ type: 'PolicyLoaded', status: 'True', reason: 'Loaded', message: `policy ${spec.policy.name} loaded` });
    } catch (err) {
      // One reason for every load failure (unknown name, bad params, missing or corrupt model): the
      // message says which, in the policy's own words.
      const reason = 'PolicyLoadFailed';
      const why = err instanceof Error ? err.message : String(err);
      log.warn({ err: why, policy: spec.policy.name }, 'policy could not be loaded');
      if (retryingSame && old?.policy) {
        // Still failing: keep the fallback instance (and its state) we already have.
        m.slot = { ...old, retryAtMs: now + (this.opts.policyRetryMs ?? 300_000) };
        updates.push(findConditionUpdate(m.conditions, 'PolicyLoaded'));
        return;
      }
      try {
        policy = await this.opts.createPolicy({ name: spec.policy.fallback }, deps);
        const message = `policy ${spec.policy.name} could not be loaded (${why}); using fallback ${spec.policy.fallback}`;
        updates.push({ type: 'PolicyLoaded', status: 'False', reason, message });
        this.events.emit(m.obj, { type: 'Warning', reason: 'PolicyFallback', message });
      } catch (err2) {
        const message = `policy ${spec.policy.name} could not be loaded (${why}), nor fallback ${spec.policy.fallback} (${err2 instanceof Error ? err2.message : String(err2)}); holding the current scale`;
        updates.push({ type: 'PolicyLoaded', status: 'False', reason: 'NoPolicy', message });
        this.events.emit(m.obj, { type: 'Warning', reason: 'PolicyUnavailable', message });
      }
    }
    if (old && old.requested !== spec.policy.name) {
      this.events.emit(m.obj, {
        type: 'Normal',
        reason: 'PolicySwitched',
        message: `policy ${old.requested} → ${spec.policy.name} (now deciding: ${policy?.name ?? 'none'}); recurrent state and rails reset`,
      });
      log.info({ from: old.requested, to: spec.policy.name }, 'policy switched');
    } else if (old && loaded && !old.loaded && retryingSame) {
      this.events.emit(m.obj, { type: 'Normal', reason: 'PolicyLoaded', message: `policy ${spec.policy.name} loaded; fallback ${old.policy?.name ?? 'none'} retired` });
    }
    old?.policy?.dispose();
    const rails = policy
      ? this.opts.createRails({ minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, behavior: mergeBehavior(policy.defaultBehavior, spec.behavior) })
      : undefined;
    m.slot = { key, requested: spec.policy.name, policy, loaded, retryAtMs: now + (this.opts.policyRetryMs ?? 300_000), rails };
  }

  private baseStatus(m: Managed): FunctionAutoscalerStatus {
    const prev = (m.obj.status ?? {}) as FunctionAutoscalerStatus;
    return { ...prev, observedGeneration: m.obj.metadata.generation };
  }

  private updateConditions(m: Managed, updates: ConditionUpdate[], now: number): Condition[] {
    m.conditions = setConditions(m.conditions, updates, { nowMs: now, generation: m.obj.metadata.generation });
    return m.conditions;
  }

  private warnOnTransition(m: Managed, type: 'Ready', reason: string, message: string): void {
    if (findCondition(m.conditions, type)?.reason !== reason) this.events.emit(m.obj, { type: 'Warning', reason, message });
  }

  private async persist(m: Managed, status: FunctionAutoscalerStatus): Promise<void> {
    if (!this.canWrite()) return;
    try {
      m.obj = await writeStatus({
        client: this.opts.cluster,
        obj: m.obj,
        status,
        onConflict: (attempt) => {
          this.metrics.apiConflicts.inc({ write: 'status' });
          this.opts.logger.info({ fas: m.key, attempt }, 'status conflict (409), reading again');
        },
      });
    } catch (err) {
      this.opts.logger.error({ fas: m.key, err: err instanceof Error ? err.message : String(err) }, 'could not write status');
      // The object may be gone (deleted mid-tick) or the API down: next interval tries again.
    }
  }
}

/** Per-replica requests: spec.resources, else the Deployment's container (named like the function, else the first). */
function requestsOf(spec: FunctionAutoscalerSpec, dep: V1Deployment | undefined): Partial<ResourceRequests> {
  const containers = dep?.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === spec.functionName) ?? containers[0];
  const cpu = quantity(spec.resources?.requests?.cpu) ?? quantity(container?.resources?.requests?.cpu);
  const memory = quantity(spec.resources?.requests?.memory) ?? quantity(container?.resources?.requests?.memory);
  return { ...(cpu !== undefined && cpu > 0 ? { cpuCores: cpu } : {}), ...(memory !== undefined && memory > 0 ? { memoryBytes: memory } : {}) };
}

function findConditionUpdate(list: readonly Condition[], type: 'PolicyLoaded'): ConditionUpdate {
  const c = findCondition(list, type);
  return c ? { type, status: c.status, reason: c.reason, message: c.message } : { type, status: 'Unknown', reason: 'NotLoaded', message: 'no policy loaded yet' };
}

function intervalMsOf(m: Managed): number {
  const r = resolveSpec(m.obj);
  return (r.ok ? r.spec.intervalSeconds : 60) * 1000;
}

/** The next multiple of the interval after `now`: resources with equal intervals fall due together. */
export function alignedNext(now: number, intervalMs: number): number {
  return (Math.floor(now / intervalMs) + 1) * intervalMs;
}

/**
 * Who most likely changed a function's replicas, for the ExternalChange condition: on CE, its
 * alert-based autoscaler or faas-netes' 1..5 clamp; with OpenFaaS' scaling labels on the
 * function, OpenFaaS Pro's autoscaler, which reads them; otherwise a person or another autoscaler.
 */
export function likelyOtherWriter(edition: OpenFaasEdition | undefined, labels: Readonly<Record<string, string>> | undefined, replicas: number): string {
  if (edition === 'ce') {
    return replicas === OPENFAAS_CE_REPLICAS.max || replicas === OPENFAAS_CE_REPLICAS.min
      ? "OpenFaaS CE: faas-netes keeps functions within 1..5, and its alert-based autoscaler (APIHighInvocationRate) scales between them; turn the alert off (README, step 4)"
      : "OpenFaaS CE's alert-based autoscaler (APIHighInvocationRate); turn the alert off (README, step 4)";
  }
  if (Object.keys(labels ?? {}).some((k) => k.startsWith('com.openfaas.scale.'))) {
    return "OpenFaaS Pro's autoscaler, which scales functions by their com.openfaas.scale.* labels; hand the function over as the README's Pro recipe says";
  }
  return 'an HPA, another autoscaler or a person';
}

function limitReason(limit: RailsDecision['limitedBy']): string {
  if (limit === 'openfaas-ce') return 'OpenFaaSCE';
  return limit
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/**
 * The observation as status shows it. On OpenFaaS CE the in-flight gauge does not exist (only Pro's
 * gateway exports it): it stays in `missing`, a fact, but is not reported as a problem.
 */
function observationStatus(obs: Observation, now: number, ce: boolean): ObservationStatus {
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e4) / 1e4);
  const problems = ce ? obs.problems.filter((p) => !/inflight/.test(p)) : obs.problems;
  return {
    time: new Date(now).toISOString(),
    windowSeconds: obs.windowSeconds,
    rps: round(obs.rps),
    requests: round(obs.requests),
    p95LatencyMs: round(obs.p95LatencyMs),
    meanExecutionMs: round(obs.meanExecutionMs),
    errorRate: round(obs.errorRate),
    replicas: obs.replicas,
    readyReplicas: obs.readyReplicas,
    cpuPerReplica: round(obs.cpuPerReplica),
    memoryPerReplica: round(obs.memoryPerReplica),
    inflight: round(obs.inflight),
    missing: [...obs.missing],
    problems: problems.slice(0, 20).map((p) => p.slice(0, 500)),
  };
}

async function runPool(work: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < work.length) {
      const job = work[i++];
      await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
}
