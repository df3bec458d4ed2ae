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
import type {
  ActuatorName,
  BoundedSpec,
  BoundsStatus,
  Condition,
  FunctionAutoscalerSpec,
  FunctionAutoscalerStatus,
  ObservationStatus,
} from '../api/types.js';
import { gatherWindows, type FunctionTarget, type GatheredWindow } from '../metrics/batched-metrics.js';
import type { InstantQuerier } from '../metrics/prometheus.js';
import type { FunctionMetricsWindow, Observation, ResourceRequests } from '../metrics/types.js';
import { type PolicyDeps, type PolicyName, type PolicySpec, type Recommendation, type ScalingPolicy } from '../policies/policy.js';
import type { RailsConfig, RailsDecision } from '../rails/types.js';
import { DeploymentScaleActuator } from '../actuators/deployment-scale.js';
import { ActuatorError, type Actuator } from '../actuators/types.js';
import { Backoff, type Cancel, type Clock } from './clock.js';
import { Informer, objectKey } from './informer.js';
import { KubeApiError, type AutoscalerObject, type ClusterClient } from './kube.js';
import { OperatorMetrics, type FunctionGauge, type FunctionLabels } from './operator-metrics.js';
import { labelPolicyParams, resolveBounds, resolveSpec, quantity } from './spec.js';
import { decideFrom, hold as holdAt, recommendAll, type Decision, type OperatorLimits } from '../decision/step.js';
import { observe, type Observed } from './observe.js';
import { ensurePolicySlot, type PolicySlot, type RailsLike } from './policy-slot.js';

export type { RailsLike };
import { EventRecorder, findCondition, patchStatus, setConditions, shareConditions, statusPatch, type ConditionUpdate } from './status.js';

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
  /**
   * Whether this replica reconciles the FunctionAutoscaler `namespace/name` (its shard's Lease is
   * ours); the others are left to their shard's leader, as a standby would. Default: all.
   */
  owns?: (key: string) => boolean;
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
  /**
   * What the administrator allows any FunctionAutoscaler (operator flags): a replica ceiling and
   * the largest scale-up of one decision, which no spec can exceed; and whether a resource may
   * scale a function in another namespace than its own (default: no).
   */
  limits?: OperatorLimits & { functionNamespaces?: readonly string[] };
  /**
   * Status is written when something a user reads changes; the last observation alone is
   * refreshed every this many intervals (default 10: five minutes at the default 30 s).
   */
  statusRefreshIntervals?: number;
}

/** The last observation in status is at most this many intervals old. */
export const DEFAULT_STATUS_REFRESH_INTERVALS = 10;

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
  /** Status patches sent (resources whose user-visible status changed, or whose observation was due a refresh). */
  statusWrites: number;
  skippedNotLeader: boolean;
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
  /** Labels of its per-function gauges, made again only when the function it scales changes. */
  labels?: FunctionLabels;
  /** Its logger, made again only when the function it scales changes. */
  log?: { fn: string; logger: Logger };
  /** The effective spec, for the declared spec and Deployment object it was made from. */
  effective?: Effective;
}

interface Effective {
  declared: FunctionAutoscalerSpec;
  dep: V1Deployment | undefined;
  bounded: ReturnType<typeof resolveBounds>;
  /** Undefined when the bounds are invalid. */
  spec: BoundedSpec | undefined;
  requests: Partial<ResourceRequests>;
}

/** A reconcile observed and waiting for its policy's recommendation. */
interface Prepared {
  r: Reconcile;
  observed: Observed;
  currentReplicas: number;
  /** The policy to ask; undefined for a hold or when none could be loaded. */
  policy: ScalingPolicy | undefined;
}

/** One FunctionAutoscaler's reconcile at one interval: what every stage reads and adds to. */
interface Reconcile {
  m: Managed;
  /** The effective spec: the resource's, with unset bounds and targets from the function's labels. */
  spec: BoundedSpec;
  dep: V1Deployment | undefined;
  /** The Deployment cache has synced (a missing Deployment is then really missing). */
  synced: boolean;
  requests: Partial<ResourceRequests>;
  status: FunctionAutoscalerStatus;
  updates: ConditionUpdate[];
  log: Logger;
  now: number;
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
  /** Status patches sent since start. */
  private statusWrites = 0;
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
      onDropped: () => this.metrics.eventsDropped.inc(),
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
          transform: trimAutoscaler,
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

  /** This replica leads, and (with shards) leads the resource's shard: it may write for it. */
  private writable(m: Managed): boolean {
    return this.canWrite() && (this.opts.owns?.(m.key) ?? true);
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
      shareConditions(existing.conditions, (obj.status as FunctionAutoscalerStatus | undefined)?.conditions);
      return;
    }
    const m: Managed = {
      key,
      obj,
      nextDueMs: this.opts.clock.now(),
      backoff: new Backoff(this.opts.retryBackoff ?? { initialMs: 1000, maxMs: 60_000 }),
      slot: undefined,
      lastKnownReplicas: undefined,
      conditions: [...((obj.status as FunctionAutoscalerStatus | undefined)?.conditions ?? [])],
    };
    this.managed.set(key, m);
    this.metrics.managed.set(this.managed.size);
    const spec = resolveSpec(obj);
    if (spec.ok && this.mayScaleIn(obj, spec.spec.functionNamespace)) this.ensureDeploymentInformer(spec.spec.functionNamespace);
    this.schedule();
  }

  private remove(obj: AutoscalerObject): void {
    const m = this.managed.get(objectKey(obj));
    if (!m) return;
    m.slot?.policy?.dispose();
    this.managed.delete(m.key);
    this.metrics.managed.set(this.managed.size);
    for (const gauge of this.metrics.functionGauges) gauge.removeFor(m.key);
  }

  /** The per-function gauges: what status says, for dashboards and alerts. */
  private publishFunctionMetrics(r: Reconcile, replicas: number, decision: Decision, obs: ObservationStatus | undefined): void {
    const { m, spec } = r;
    if (m.labels?.function !== spec.functionName)
      m.labels = { namespace: m.obj.metadata.namespace ?? '', name: m.obj.metadata.name, function: spec.functionName };
    const { key, labels } = m;
    const metrics = this.metrics;
    metrics.desiredReplicas.setFor(key, labels, decision.desiredReplicas);
    metrics.functionReplicas.setFor(key, labels, replicas);
    metrics.functionSlo.setFor(key, labels, spec.slo.p95LatencyMs);
    metrics.functionScalingLimited.setFor(key, labels, decision.limitedBy === 'none' ? 0 : 1);
    metrics.functionLastDecision.setFor(key, labels, r.now / 1000);
    const setOrDrop = (gauge: FunctionGauge, value: number | null | undefined): void => {
      if (value === null || value === undefined || !Number.isFinite(value)) gauge.removeFor(key);
      else gauge.setFor(key, labels, value);
    };
    setOrDrop(metrics.functionP95, obs?.p95LatencyMs);
    setOrDrop(metrics.functionMisses, obs?.missRatio);
  }

  /** Functions in the resource's own namespace, or in one the administrator lists (--function-namespaces; `*`: any). */
  private mayScaleIn(obj: AutoscalerObject, functionNamespace: string): boolean {
    const allowed = this.opts.limits?.functionNamespaces ?? [];
    return functionNamespace === (obj.metadata.namespace ?? 'default') || allowed.includes('*') || allowed.includes(functionNamespace);
  }

  private ensureDeploymentInformer(namespace: string): void {
    if (this.deploymentInformers.has(namespace)) return;
    const informer = new Informer<V1Deployment & { metadata: { name: string } }>(
      `deployments in ${namespace}`,
      {
        list: () =>
          this.opts.cluster.listDeployments(namespace) as Promise<{
            items: Array<V1Deployment & { metadata: { name: string } }>;
            resourceVersion: string;
          }>,
        watch: (rv, h) => this.opts.cluster.watchDeployments(namespace, rv, h as never),
      },
      this.opts.clock,
      {
        onError: (err, retryInMs) => this.opts.logger.warn({ err: err.message, retryInMs, namespace }, 'Deployment watch failed'),
        transform: trimDeployment,
      },
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
      // A tick that fails is logged and counted; the next one is scheduled all the same.
      this.tick().catch((err: unknown) => {
        this.metrics.reconcileErrors.inc({ scope: 'tick' });
        this.opts.logger.error({ err: errorText(err) }, 'tick failed');
      });
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
    const startedMs = this.opts.clock.now();
    const wallStart = performance.now();
    const due = [...this.managed.values()].filter((m) => m.nextDueMs <= startedMs);
    const report: TickReport = {
      startedMs,
      durationMs: 0,
      due: due.length,
      queries: 0,
      windows: 0,
      decisions: 0,
      scaled: 0,
      statusWrites: 0,
      skippedNotLeader: false,
    };
    const writesBefore = this.statusWrites;
    if (!this.canWrite()) {
      this.standBy(due, startedMs);
      report.skippedNotLeader = true;
      return report;
    }
    const owns = this.opts.owns ?? (() => true);
    this.standBy(
      due.filter((m) => !owns(m.key)),
      startedMs,
    );
    const { groups, invalid } = this.groupByInterval(due.filter((m) => owns(m.key)));
    for (const m of invalid) await this.isolated(m, () => this.reconcileInvalid(m, startedMs));
    const work: Array<() => Promise<void>> = [];
    // Functions whose policy stages its step (the learned ones) wait for one batched step per
    // network; the others are decided and written as soon as they are observed.
    const staged: Prepared[] = [];
    const conclude = async (p: Prepared, rec: Recommendation | undefined): Promise<void> => {
      const scaled = await this.isolated(p.r.m, () => this.conclude(p, rec));
      if (scaled) report.scaled++;
    };
    await Promise.all(
      [...groups.entries()].map(async ([windowSeconds, members]) => {
        const gathered = await this.gather(windowSeconds, members, startedMs, report);
        for (const { m, spec } of members) {
          // Each function's work holds its own window, and lets it go once observed: the map of
          // them all is not kept for the whole tick (at ten thousand functions, tens of MiB).
          let window = gathered.get(`${spec.functionName}.${spec.functionNamespace}`);
          work.push(async () => {
            report.decisions++;
            const observing = window;
            window = undefined;
            const p = await this.isolated(m, () => this.prepare(m, spec, observing, startedMs));
            if (!p) return;
            if (p.policy?.stage && p.observed.obs) staged.push(p);
            else await conclude(p, p.policy && p.observed.obs ? this.recommendTimed([p])[0] : undefined);
          });
        }
      }),
    );
    await runPool(work, this.opts.concurrency ?? 16);
    await this.concludeStaged(staged, conclude);
    await this.events.flush();
    report.statusWrites = this.statusWrites - writesBefore;
    report.durationMs = performance.now() - wallStart;
    this.metrics.reconcileDuration.observe(report.durationMs / 1000);
    return report;
  }

  /** The staged functions: one batched step per policy (per shared network inside it), then decide, act, report. */
  private async concludeStaged(
    staged: readonly Prepared[],
    conclude: (p: Prepared, rec: Recommendation | undefined) => Promise<void>,
  ): Promise<void> {
    if (staged.length === 0) return;
    const byPolicy = new Map<string, Prepared[]>();
    for (const p of staged) {
      const list = byPolicy.get(p.policy!.name);
      if (list) list.push(p);
      else byPolicy.set(p.policy!.name, [p]);
    }
    const recs = new Map<Prepared, Recommendation>();
    for (const list of byPolicy.values()) this.recommendTimed(list).forEach((rec, i) => recs.set(list[i], rec));
    await runPool(
      staged.map((p) => () => conclude(p, recs.get(p))),
      this.opts.concurrency ?? 16,
    );
  }

  /**
   * Runs one resource's reconcile so that a fault in it stays there: it is reported on that
   * resource (Ready=False ReconcileError, a Warning Event), counted and logged, the resource is
   * tried again after a back-off, and the others carry on.
   */
  private async isolated<T>(m: Managed, reconcile: () => Promise<T>): Promise<T | undefined> {
    try {
      return await reconcile();
    } catch (err) {
      const now = this.opts.clock.now();
      const message = `reconcile failed: ${errorText(err)}`.slice(0, 1000);
      this.metrics.reconcileErrors.inc({ scope: 'resource' });
      this.opts.logger.error({ fas: m.key, err: errorText(err) }, 'reconcile failed');
      m.nextDueMs = now + m.backoff.next();
      try {
        this.warnOnTransition(m, 'Ready', 'ReconcileError', message);
        const status = this.baseStatus(m);
        status.conditions = this.updateConditions(m, [{ type: 'Ready', status: 'False', reason: 'ReconcileError', message }], now);
        await this.persist(m, status);
      } catch (reportErr) {
        this.opts.logger.error({ fas: m.key, err: errorText(reportErr) }, 'could not report a reconcile fault');
      }
      return undefined;
    }
  }

  /** A standby replica neither queries nor writes; it keeps its schedule so it can take over. */
  private standBy(due: readonly Managed[], now: number): void {
    for (const m of due) {
      m.nextDueMs = alignedNext(now, intervalMsOf(m));
      if (m.lastKnownReplicas !== undefined) {
        // We led before: what we remember is stale by the time we lead again (another replica
        // scaled meanwhile, and decided with its own state). Start afresh then, as it did.
        m.lastKnownReplicas = undefined;
        m.slot?.policy?.reset();
        m.slot?.rails?.reset();
      }
    }
  }

  /** Due resources by window length (one batch of queries per distinct intervalSeconds), and those whose spec is invalid. */
  private groupByInterval(due: readonly Managed[]): {
    groups: Map<number, Array<{ m: Managed; spec: FunctionAutoscalerSpec }>>;
    invalid: Managed[];
  } {
    const groups = new Map<number, Array<{ m: Managed; spec: FunctionAutoscalerSpec }>>();
    const invalid: Managed[] = [];
    for (const m of due) {
      const r = resolveSpec(m.obj);
      if (!r.ok) {
        invalid.push(m);
        continue;
      }
      if (this.mayScaleIn(m.obj, r.spec.functionNamespace)) this.ensureDeploymentInformer(r.spec.functionNamespace);
      const list = groups.get(r.spec.intervalSeconds) ?? [];
      list.push({ m, spec: r.spec });
      groups.set(r.spec.intervalSeconds, list);
    }
    return { groups, invalid };
  }

  /** One batch of PromQL for every member whose Deployment is known, keyed `function.namespace`. */
  private async gather(
    windowSeconds: number,
    members: ReadonlyArray<{ spec: FunctionAutoscalerSpec }>,
    atMs: number,
    report: TickReport,
  ): Promise<Map<string, GatheredWindow>> {
    const targets: FunctionTarget[] = [];
    for (const { spec } of members) {
      const { dep } = this.deployment(spec.functionNamespace, spec.functionName);
      if (dep)
        targets.push({
          name: spec.functionName,
          namespace: spec.functionNamespace,
          replicas: dep.spec?.replicas ?? 1,
          readyReplicas: dep.status?.readyReplicas ?? 0,
        });
    }
    if (targets.length === 0) return new Map();
    const res = await gatherWindows({ gateway: this.opts.gateway, cadvisor: this.opts.cadvisor, windowSeconds, targets, atMs });
    report.queries += res.queries;
    report.windows++;
    this.metrics.promqlQueries.inc({ source: this.opts.gateway.name }, res.queriesBySource.gateway);
    this.metrics.promqlQueries.inc({ source: this.opts.cadvisor.name }, res.queriesBySource.cadvisor);
    for (const err of res.errors) {
      this.metrics.promqlErrors.inc({ source: err.source, kind: err.kind });
      this.opts.logger.warn({ source: err.source, kind: err.kind, windowSeconds }, err.message);
    }
    return res.byKey;
  }

  private async reconcileInvalid(m: Managed, now: number, bounds?: { message: string; status: BoundsStatus }): Promise<void> {
    const r = resolveSpec(m.obj);
    const message = bounds?.message ?? (r.ok ? '' : r.message);
    m.nextDueMs = now + 60_000;
    const before = findCondition(m.conditions, 'Ready');
    const status = this.baseStatus(m);
    if (bounds) status.bounds = bounds.status;
    status.conditions = this.updateConditions(m, [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message }], now);
    if (before?.reason !== 'InvalidSpec' || before.message !== message)
      this.events.emit(m.obj, { type: 'Warning', reason: 'InvalidSpec', message });
    await this.persist(m, status);
  }

  /**
   * One FunctionAutoscaler at one interval, in stages: target (spec, bounds, Deployment, policy
   * slot) → observe, here; then decide → act → report in `conclude`, once the policy has recommended
   * (alone, or in a batch with the others of its network). Undefined when nothing is left to decide.
   */
  private async prepare(
    m: Managed,
    declared: FunctionAutoscalerSpec,
    gathered: GatheredWindow | undefined,
    now: number,
  ): Promise<Prepared | undefined> {
    const fn = `${declared.functionNamespace}/${declared.functionName}`;
    if (m.log?.fn !== fn) m.log = { fn, logger: this.opts.logger.child({ fas: m.key, function: fn }) };
    const r = await this.target(m, declared, now, m.log.logger);
    if (!r) return undefined;
    const { spec, dep, status, updates } = r;
    if (!dep) {
      await this.reportNoDeployment(r);
      return undefined;
    }
    const currentReplicas = this.currentReplicas(r, dep);
    status.replicas = currentReplicas;
    const observed = observe({
      gathered,
      currentReplicas,
      readyReplicas: dep.status?.readyReplicas ?? 0,
      requests: r.requests,
      intervalSeconds: spec.intervalSeconds,
      sloMs: spec.slo.p95LatencyMs,
      buildObservation: this.opts.buildObservation,
    });
    if (observed.condition) updates.push(observed.condition);
    if (observed.obs)
      status.lastObservation = {
        ...observationStatus(observed.obs, now, this.opts.openfaasEdition === 'ce'),
        missRatio: observed.misses === null ? null : Math.round(observed.misses * 1e4) / 1e4,
      };
    // A hold needs no recommendation.
    if (observed.hold !== undefined) return { r, observed, currentReplicas, policy: undefined };
    return { r, observed, currentReplicas, policy: m.slot?.policy };
  }

  /** Decide from the recommendation, act, report. Returns whether replicas were changed. */
  private async conclude(p: Prepared, rec: Recommendation | undefined): Promise<boolean> {
    const { r, observed, currentReplicas } = p;
    const decision = this.decide(r, observed, currentReplicas, rec);
    this.recordDecision(r, decision, currentReplicas, observed.obs !== undefined);
    const acted = await this.act(r, decision, currentReplicas);
    r.updates.push(this.readyCondition(r.m.slot!, observed, decision, acted.failure));
    await this.report(r, observed.retrySoon || acted.retrySoon);
    return acted.scaled;
  }

  /**
   * The recommendations of functions that share one policy name, in order: learned ones in one
   * batched step per network. The time is counted per function (a batch's divided among them).
   */
  private recommendTimed(list: readonly Prepared[]): Recommendation[] {
    const t0 = performance.now();
    const recs = recommendAll(
      list.map((p) => ({ policy: p.policy!, obs: p.observed.obs! })),
      list[0].r.now,
    );
    const each = (performance.now() - t0) / 1000 / list.length;
    list.forEach((p, i) => {
      this.metrics.inferenceSeconds.observe({ policy: p.policy!.name }, each);
      const rec = recs[i];
      if (!rec.valid && rec.reason.startsWith(`policy ${p.policy!.name} failed: `)) p.r.log.error({ reason: rec.reason }, 'policy threw');
    });
    return recs;
  }

  /**
   * The resource's effective spec (bounds and Pro targets it leaves unset come from the function's
   * OpenFaaS labels), its Deployment and its policy slot; undefined when the bounds are invalid
   * (reported as InvalidSpec).
   */
  private async target(m: Managed, declared: FunctionAutoscalerSpec, now: number, log: Logger): Promise<Reconcile | undefined> {
    const { synced, dep } = this.deployment(declared.functionNamespace, declared.functionName);
    const { bounded, spec, requests } = this.effective(m, declared, dep);
    if (!bounded.ok) {
      await this.reconcileInvalid(m, now, { message: bounded.message, status: bounded.bounds });
      return undefined;
    }
    if (!this.mayScaleIn(m.obj, declared.functionNamespace)) {
      await this.reconcileInvalid(m, now, {
        message: `spec.functionNamespace ${declared.functionNamespace} is not this FunctionAutoscaler's namespace (${m.obj.metadata.namespace ?? 'default'}); the operator scales functions outside a resource's own namespace only in ${(this.opts.limits?.functionNamespaces ?? []).join(', ') || 'none'} (--function-namespaces)`,
        status: bounded.bounds,
      });
      return undefined;
    }
    const updates: ConditionUpdate[] = [];
    const slot = await ensurePolicySlot(
      m.slot,
      { spec: spec!, requests, now },
      {
        createPolicy: this.opts.createPolicy,
        createRails: this.opts.createRails,
        retryMs: this.opts.policyRetryMs ?? 300_000,
        emit: (ev) => this.events.emit(m.obj, ev),
        log,
      },
    );
    m.slot = slot.slot;
    updates.push(slot.condition ?? findConditionUpdate(m.conditions, 'PolicyLoaded'));
    const status = this.baseStatus(m);
    status.bounds = bounded.bounds;
    status.activePolicy = m.slot.policy?.name as PolicyName | undefined;
    return { m, spec: spec!, dep, synced, requests, status, updates, log, now };
  }

  /**
   * The resource's effective spec for its Deployment: bounds and Pro targets it leaves unset from
   * the function's labels, and the per-replica requests. Made again only when the declared spec
   * or the Deployment object changed (both are replaced, never modified, by their informers).
   */
  private effective(m: Managed, declared: FunctionAutoscalerSpec, dep: V1Deployment | undefined): Effective {
    if (m.effective?.declared === declared && m.effective.dep === dep) return m.effective;
    const labels = dep?.metadata?.labels;
    const bounded = resolveBounds(declared, labels);
    let spec: BoundedSpec | undefined;
    if (bounded.ok) {
      const labelParams = labelPolicyParams(declared.policy.name, labels);
      spec =
        Object.keys(labelParams).length > 0
          ? { ...bounded.spec, policy: { ...bounded.spec.policy, params: { ...labelParams, ...(bounded.spec.policy.params ?? {}) } } }
          : bounded.spec;
    }
    m.effective = { declared, dep, bounded, spec, requests: spec ? requestsOf(spec, dep) : {} };
    return m.effective;
  }

  private async reportNoDeployment(r: Reconcile): Promise<void> {
    const { m, spec, synced, status, updates, now } = r;
    const message = synced
      ? `Deployment ${spec.functionNamespace}/${spec.functionName} not found (is the function deployed?)`
      : `Deployment cache for ${spec.functionNamespace} not synced yet`;
    const reason = synced ? 'DeploymentNotFound' : 'WaitingForCache';
    // A cache still syncing at start-up is not worth an Event per resource; a missing Deployment is.
    if (synced) this.warnOnTransition(m, 'Ready', reason, message);
    updates.push({ type: 'Ready', status: 'False', reason, message });
    status.conditions = this.updateConditions(m, updates, now);
    const intervalMs = spec.intervalSeconds * 1000;
    m.nextDueMs = synced ? alignedNext(now, intervalMs) : now + Math.min(m.backoff.next(), intervalMs);
    await this.persist(m, status);
  }

  /** The Deployment's replicas; a change since we last saw or set them is someone else's (ExternalChange). */
  private currentReplicas(r: Reconcile, dep: V1Deployment): number {
    const { m, updates, log } = r;
    const current = dep.spec?.replicas ?? 1;
    if (m.lastKnownReplicas !== undefined && m.lastKnownReplicas !== current) {
      const message = `replicas changed from ${m.lastKnownReplicas} to ${current} by someone else (${likelyOtherWriter(this.opts.openfaasEdition, dep.metadata?.labels, current)}); deciding from ${current}`;
      updates.push({ type: 'ExternalChange', status: 'True', reason: 'ReplicasChangedExternally', message });
      this.events.emit(m.obj, { type: 'Warning', reason: 'ExternalChange', message });
      log.warn({ from: m.lastKnownReplicas, to: current }, 'replicas changed by someone else');
    } else {
      updates.push({
        type: 'ExternalChange',
        status: 'False',
        reason: 'NoExternalChange',
        message: 'replicas are as this operator last saw or set them',
      });
    }
    m.lastKnownReplicas = current;
    return current;
  }

  /** The decision step (decision/step.ts) with this operator's context, or a hold. */
  private decide(r: Reconcile, observed: Observed, currentReplicas: number, rec: Recommendation | undefined): Decision {
    const { now } = r;
    const slot = r.m.slot!;
    if (observed.hold !== undefined || !observed.obs) return holdAt(currentReplicas, observed.hold ?? 'no observation');
    const policy = slot.policy;
    if (!policy || !rec) return holdAt(currentReplicas, 'no policy could be loaded');
    return decideFrom(policy.name, rec, {
      rails: slot.rails!,
      currentReplicas,
      now,
      partialData: observed.partialData,
      ...(this.opts.limits ? { operatorLimits: this.opts.limits } : {}),
      ...(this.opts.openfaasEdition === 'ce' ? { platformRange: { ...OPENFAAS_CE_REPLICAS, name: 'OpenFaaS CE' } } : {}),
    });
  }

  /** The decision in status, the ScalingLimited condition and the metrics. */
  private recordDecision(r: Reconcile, decision: Decision, currentReplicas: number, observed: boolean): void {
    const { m, status, updates, now } = r;
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
    const direction = decision.held
      ? 'hold'
      : decision.desiredReplicas > currentReplicas
        ? 'up'
        : decision.desiredReplicas < currentReplicas
          ? 'down'
          : 'none';
    this.metrics.decisions.inc({ policy: m.slot?.policy?.name ?? 'none', direction });
    this.publishFunctionMetrics(r, currentReplicas, decision, observed ? status.lastObservation : undefined);
  }

  /**
   * Writes the decision, unless it changes nothing, the resource is a dry run (an Event says what
   * would have been done) or another replica leads. A failed write undoes the rails' scale event.
   */
  private async act(
    r: Reconcile,
    decision: Decision,
    currentReplicas: number,
  ): Promise<{ scaled: boolean; retrySoon: boolean; failure?: ConditionUpdate }> {
    const { m, spec, status, log } = r;
    const none = { scaled: false, retrySoon: false };
    if (decision.desiredReplicas === currentReplicas) return none;
    const slot = m.slot!;
    if (spec.dryRun) {
      slot.rails?.undoLastScaleEvent?.();
      // The same would-be change, interval after interval, is one Event whose count grows.
      this.events.emit(m.obj, {
        type: 'Normal',
        reason: 'DryRun',
        message: `would scale from ${currentReplicas} to ${decision.desiredReplicas}: ${decision.reason}`,
        series: `${currentReplicas}->${decision.desiredReplicas}`,
      });
      return none;
    }
    if (!this.writable(m)) return none;
    const stale = await this.changedDuringTick(m);
    if (stale) {
      // Decided for a resource that is gone or has a new spec: nothing is written; decide again.
      slot.rails?.undoLastScaleEvent?.();
      log.info({ stale }, 'the FunctionAutoscaler changed during the tick; not scaling');
      return { scaled: false, retrySoon: true };
    }
    const actuator = this.actuators[spec.actuator];
    try {
      if (!actuator)
        throw new ActuatorError('rejected', `actuator ${spec.actuator} is not configured (start the operator with --gateway-url)`);
      const result = await actuator.scale(
        { name: spec.functionName, namespace: spec.functionNamespace, decidedFrom: currentReplicas },
        decision.desiredReplicas,
      );
      m.lastKnownReplicas = result.replicas;
      status.replicas = result.replicas;
      const extra = result.adjustedReason ? ` (${result.adjustedReason})` : '';
      this.events.emit(m.obj, {
        type: 'Normal',
        reason: 'Scaled',
        message: `scaled from ${currentReplicas} to ${result.replicas}${extra}: ${decision.reason}`,
      });
      log.info({ from: currentReplicas, to: result.replicas, policy: slot.policy?.name ?? 'none', attempts: result.attempts }, 'scaled');
      return { scaled: true, retrySoon: false };
    } catch (raw) {
      return this.scaleFailed(r, raw, { from: currentReplicas, to: decision.desiredReplicas });
    }
  }

  /** A write that failed: the rails forget it, a Warning Event, and Ready says why; transient faults and conflicts retry soon. */
  private scaleFailed(
    r: Reconcile,
    raw: unknown,
    change: { from: number; to: number },
  ): { scaled: false; retrySoon: boolean; failure: ConditionUpdate } {
    const { m, spec, log } = r;
    const err = raw instanceof ActuatorError ? raw : new ActuatorError('transient', String(raw), { cause: raw });
    m.slot?.rails?.undoLastScaleEvent?.();
    this.metrics.scaleErrors.inc({ actuator: spec.actuator, kind: err.kind });
    const reason = err.kind === 'not-found' ? 'DeploymentNotFound' : 'ScaleFailed';
    this.events.emit(m.obj, {
      type: 'Warning',
      reason,
      message: `could not scale from ${change.from} to ${change.to}: ${err.message}`,
    });
    log.error({ err: err.message, kind: err.kind }, 'scale failed');
    return {
      scaled: false,
      retrySoon: err.kind === 'transient' || err.kind === 'conflict',
      failure: { type: 'Ready', status: 'False', reason, message: err.message },
    };
  }

  /**
   * Before a scale: whether the FunctionAutoscaler was deleted (or deleted and created again) or its
   * spec changed since the tick read it — by uid and generation, read from the API server. When the
   * server cannot say, the decision stands (the write itself still checks the replica count).
   */
  private async changedDuringTick(m: Managed): Promise<'deleted' | 'spec changed' | undefined> {
    if (this.managed.get(m.key) !== m) return 'deleted';
    try {
      const now = await this.opts.cluster.readAutoscaler(m.obj.metadata.namespace ?? 'default', m.obj.metadata.name);
      if (now.metadata.uid !== m.obj.metadata.uid) return 'deleted';
      if (now.metadata.generation !== m.obj.metadata.generation) return 'spec changed';
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return 'deleted';
    }
    return undefined;
  }

  /** Ready: a failed write, no policy, metrics down (retrying), else Reconciled with the decision. */
  private readyCondition(slot: PolicySlot, observed: Observed, decision: Decision, failure: ConditionUpdate | undefined): ConditionUpdate {
    if (failure) return failure;
    if (!slot.policy) return { type: 'Ready', status: 'False', reason: 'PolicyUnavailable', message: decision.reason };
    if (observed.hold !== undefined && observed.retrySoon)
      return { type: 'Ready', status: 'False', reason: 'MetricsUnavailable', message: decision.reason };
    return { type: 'Ready', status: 'True', reason: 'Reconciled', message: decision.reason };
  }

  /** Conditions (a metrics fault is an Event when it starts or changes cause), the next due time, status. */
  private async report(r: Reconcile, retrySoon: boolean): Promise<void> {
    const { m, spec, status, updates, now } = r;
    const metricsUpdate = updates.find((u) => u.type === 'MetricsAvailable');
    if (metricsUpdate?.status === 'False') {
      const prev = findCondition(m.conditions, 'MetricsAvailable');
      if (prev?.status !== 'False' || prev.reason !== metricsUpdate.reason) {
        this.events.emit(m.obj, { type: 'Warning', reason: metricsUpdate.reason, message: metricsUpdate.message });
      }
    }
    status.conditions = this.updateConditions(m, updates, now);
    const intervalMs = spec.intervalSeconds * 1000;
    if (retrySoon) {
      m.nextDueMs = now + Math.min(m.backoff.next(), intervalMs);
    } else {
      m.backoff.reset();
      m.nextDueMs = alignedNext(now, intervalMs);
    }
    await this.persist(m, status);
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

  /**
   * Writes what changed in status (a merge patch), or nothing when no field a user reads changed and
   * the stored observation is younger than `statusRefreshIntervals` intervals.
   */
  private async persist(m: Managed, status: FunctionAutoscalerStatus): Promise<void> {
    if (!this.writable(m)) return;
    const patch = statusPatch(m.obj.status as FunctionAutoscalerStatus | undefined, status, {
      nowMs: this.opts.clock.now(),
      refreshMs: intervalMsOf(m) * (this.opts.statusRefreshIntervals ?? DEFAULT_STATUS_REFRESH_INTERVALS),
    });
    if (!patch) {
      this.metrics.statusUpdates.inc({ outcome: 'unchanged' });
      return;
    }
    try {
      const written = await patchStatus(this.opts.cluster, m.obj, patch);
      // The watch may have delivered the written object before the answer came: that one is kept,
      // as it is the informer's (one copy in memory, not two). Otherwise the answer, trimmed as the
      // informer trims what it caches (it carries managedFields), until the watch delivers.
      if (m.obj.metadata.resourceVersion !== written.metadata.resourceVersion) {
        m.obj = trimAutoscaler(written);
        shareConditions(m.conditions, (m.obj.status as FunctionAutoscalerStatus | undefined)?.conditions);
      }
      this.metrics.statusUpdates.inc({ outcome: 'written' });
      this.statusWrites++;
    } catch (err) {
      this.opts.logger.error({ fas: m.key, err: err instanceof Error ? err.message : String(err) }, 'could not write status');
      // The object may be gone (deleted mid-tick) or the API down: next interval tries again.
    }
  }
}

/** A FunctionAutoscaler as cached: without managedFields and kubectl's last-applied copy of itself. */
export function trimAutoscaler(obj: AutoscalerObject): AutoscalerObject {
  const { managedFields: _mf, annotations, ...metadata } = obj.metadata as AutoscalerObject['metadata'] & { managedFields?: unknown };
  const { 'kubectl.kubernetes.io/last-applied-configuration': _last, ...rest } = annotations ?? {};
  return { ...obj, metadata: { ...metadata, ...(annotations ? { annotations: rest } : {}) } };
}

/**
 * A Deployment as cached: what the controller reads — name, labels (OpenFaaS scaling labels),
 * replicas, ready replicas, and each container's name and resource requests.
 */
export function trimDeployment<D extends V1Deployment>(dep: D): D {
  const m = dep.metadata ?? {};
  const containers = (dep.spec?.template?.spec?.containers ?? []).map((c) => ({
    name: c.name,
    ...(c.resources?.requests ? { resources: { requests: c.resources.requests } } : {}),
  }));
  return {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels },
    spec: { replicas: dep.spec?.replicas, template: { spec: { containers } } },
    status: { readyReplicas: dep.status?.readyReplicas },
  } as D;
}

/** Per-replica requests: spec.resources, else the Deployment's container (named like the function, else the first). */
function requestsOf(spec: FunctionAutoscalerSpec, dep: V1Deployment | undefined): Partial<ResourceRequests> {
  const containers = dep?.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === spec.functionName) ?? containers[0];
  const cpu = quantity(spec.resources?.requests?.cpu) ?? quantity(container?.resources?.requests?.cpu);
  const memory = quantity(spec.resources?.requests?.memory) ?? quantity(container?.resources?.requests?.memory);
  return {
    ...(cpu !== undefined && cpu > 0 ? { cpuCores: cpu } : {}),
    ...(memory !== undefined && memory > 0 ? { memoryBytes: memory } : {}),
  };
}

function findConditionUpdate(list: readonly Condition[], type: 'PolicyLoaded'): ConditionUpdate {
  const c = findCondition(list, type);
  return c
    ? { type, status: c.status, reason: c.reason, message: c.message }
    : { type, status: 'Unknown', reason: 'NotLoaded', message: 'no policy loaded yet' };
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
export function likelyOtherWriter(
  edition: OpenFaasEdition | undefined,
  labels: Readonly<Record<string, string>> | undefined,
  replicas: number,
): string {
  if (edition === 'ce') {
    return replicas === OPENFAAS_CE_REPLICAS.max || replicas === OPENFAAS_CE_REPLICAS.min
      ? 'OpenFaaS CE: faas-netes keeps functions within 1..5, and its alert-based autoscaler (APIHighInvocationRate) scales between them; turn the alert off (README, step 4)'
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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
