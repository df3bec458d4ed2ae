/**
 * `evaluate`: run several policies over one trace function in the simulator, each with the same
 * arrivals and service demands (same seed), the same rails and the same bounds, and collect the
 * `evaluate --json` document plus the series the HTML report draws.
 *
 * Baselines whose reference has no sensible default for *this* function (KEDA's threshold has none
 * at all; Knative's and OpenFaaS Pro's targets are in requests per replica, which depends on how
 * many a replica can serve) get targets derived from the function's simulated capacity, the way
 * a platform engineer would set them. Every derived value is listed in the notes, and `--param`
 * overrides any of them. See docs/adr (evaluation fairness).
 */
import type { Trace, TraceFunction } from '#kernel/traces/types.js';
import { describeFunction } from '#kernel/traces/index.js';
import { InputError } from '#kernel/input-error.js';
import { createPolicy, availablePolicyNames } from '../policies/registry.js';
import { PolicyConfigError, type AnyPolicyName, type PolicyDeps, type ScalingPolicy } from '../policies/policy.js';
import { Rails } from '../rails/rails.js';
import { mergeBehavior } from '../rails/behavior.js';
import { resolveSimConfig, type SimConfig } from '../sim/config.js';
import { resolveServiceTime, serviceTimeP95Ms, type ServiceTimeModel } from '../sim/service-time.js';
import { SimulatorLookahead } from '../sim/lookahead.js';
import { runEpisode, type IntervalRecord, type PolicyResult } from '../sim/episode.js';
import type { EvaluateResult, PolicySeries } from './types.js';
import { costVsOracle } from './table.js';
import { compareWithFrontier, markFrontiers, sweepGrid, type SweepPointResult, type SweepResult } from './sweep.js';

/** Utilisation a derived target aims at: Knative's default target utilisation (70 %), used for KEDA too. */
export const DERIVED_TARGET_UTILISATION = 0.7;

export interface EvaluateOptions {
  trace: Trace;
  fn: TraceFunction;
  policies: readonly AnyPolicyName[];
  sloP95Ms: number;
  intervalSeconds: number;
  seed: number;
  minReplicas: number;
  maxReplicas: number;
  sim?: Partial<SimConfig>;
  /** Per-policy params given by the user; they replace derived ones key by key. */
  params?: Readonly<Partial<Record<AnyPolicyName, Record<string, unknown>>>>;
  /** Per-policy model directories (learned policies). */
  models?: Readonly<Partial<Record<AnyPolicyName, string>>>;
  /** Simulate only the first seconds of the trace. */
  durationSeconds?: number;
  /**
   * Called instead of failing when a policy cannot be created (e.g. a learned policy whose model
   * is missing); the policy is then left out of the results. Without it, such an error is thrown.
   */
  onUnavailable?: (policy: AnyPolicyName, error: Error) => void;
  onProgress?: (progress: { policy: string; policyIndex: number; policyCount: number; interval: number; intervals: number }) => void;
  /** Also run every tunable baseline across its main knob (sweep.ts) and place each policy against them. */
  sweep?: boolean;
}

export interface EvaluationOutput {
  run: EvaluateResult;
  series: PolicySeries[];
  /** One line per derived parameter and simulator setting, for the table footer and the report. */
  notes: string[];
  /** The params each policy ran with. */
  paramsUsed: Partial<Record<AnyPolicyName, Record<string, unknown>>>;
}

/** Checks shared by the CLI and library callers: the one-line errors of bad input. */
export function validateEvaluateOptions(
  o: Pick<EvaluateOptions, 'sloP95Ms' | 'intervalSeconds' | 'minReplicas' | 'maxReplicas' | 'seed'>,
): void {
  if (!(o.sloP95Ms > 0) || !Number.isFinite(o.sloP95Ms)) throw new InputError(`--slo-ms: must be a number > 0, got ${String(o.sloP95Ms)}`);
  // Below a second the decisions would outnumber the requests (and 1e-9 s would never end).
  if (!(o.intervalSeconds >= 1) || !Number.isFinite(o.intervalSeconds)) {
    throw new InputError(`--interval: must be a number of seconds >= 1, got ${String(o.intervalSeconds)}`);
  }
  if (!Number.isInteger(o.minReplicas) || o.minReplicas < 0)
    throw new InputError(`--min-replicas: must be an integer >= 0, got ${String(o.minReplicas)}`);
  if (!Number.isInteger(o.maxReplicas) || o.maxReplicas < 1)
    throw new InputError(`--max-replicas: must be an integer >= 1, got ${String(o.maxReplicas)}`);
  if (o.minReplicas > o.maxReplicas) {
    throw new InputError(`--min-replicas (${o.minReplicas}) must be <= --max-replicas (${o.maxReplicas})`);
  }
  if (!Number.isInteger(o.seed)) throw new InputError(`--seed: must be an integer, got ${String(o.seed)}`);
}

/**
 * `all` → every registered policy (the oracle included); otherwise a comma list, each name
 * checked against the registry so a typo fails before any simulation runs.
 */
export function parsePolicyList(text: string): AnyPolicyName[] {
  const known = availablePolicyNames();
  if (text.trim() === 'all') return known;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new InputError(`--policies: give a comma-separated list or "all"; known policies: ${known.join(', ')}`);
  const seen = new Set<string>();
  for (const name of names) {
    if (!(known as string[]).includes(name)) {
      throw new PolicyConfigError(`--policies: unknown policy "${name}"; known policies: ${known.join(', ')}`);
    }
    if (seen.has(name)) throw new InputError(`--policies: "${name}" is listed twice`);
    seen.add(name);
  }
  return names as AnyPolicyName[];
}

/**
 * Targets derived from the function's capacity (see the file comment). Capacity of one replica:
 * `concurrency / mean service time` requests per second.
 */
export function derivedBaselineParams(args: {
  fn: TraceFunction;
  binSeconds: number;
  sim: SimConfig;
  serviceTime: ServiceTimeModel;
  minReplicas: number;
  maxReplicas: number;
}): Partial<Record<AnyPolicyName, Record<string, unknown>>> {
  const concurrency = args.sim.concurrencyPerReplica;
  const capacityRps = concurrency / (args.serviceTime.meanMs / 1000);
  const peakRps = Math.max(0, ...args.fn.counts) / args.binSeconds;
  // Static: provisioned for the peak bin's mean rate at the same utilisation target, the way a
  // fixed deployment is usually sized.
  const staticReplicas = Math.min(
    args.maxReplicas,
    Math.max(args.minReplicas, 1, Math.ceil(peakRps / (capacityRps * DERIVED_TARGET_UTILISATION))),
  );
  return {
    keda: { metric: 'rps', threshold: round3(capacityRps * DERIVED_TARGET_UTILISATION) },
    knative: { containerConcurrency: concurrency },
    'openfaas-pro': { type: 'capacity', target: concurrency },
    static: { replicas: staticReplicas },
  };
}

/** The one line that says an SLO cannot be met (SLO below one idle replica's service-time P95). */
export function infeasibleSloSentence(sloP95Ms: number, serviceP95Ms: number): string {
  return `infeasible SLO: ${sloP95Ms} ms is below the P95 of the service time itself (${serviceP95Ms.toFixed(0)} ms at one idle replica); no number of replicas can meet it`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function seriesOf(policy: string, intervals: readonly IntervalRecord[]): PolicySeries {
  return {
    policy,
    points: intervals.map((r) => ({
      timeSeconds: r.endSeconds - (intervals[0]?.startSeconds ?? 0),
      rps: r.stats.arrivals / (r.endSeconds - r.startSeconds),
      replicas: r.replicasAfter,
      readyReplicas: r.stats.readyReplicas,
      p95Ms: r.stats.p95Ms,
      overSlo: r.overSlo,
    })),
  };
}

export async function evaluatePolicies(opts: EvaluateOptions): Promise<EvaluationOutput> {
  validateEvaluateOptions(opts);
  if (opts.policies.length === 0) throw new InputError('--policies: no policy to evaluate');
  const sim = resolveSimConfig({ initialReplicas: Math.max(1, opts.minReplicas), ...opts.sim });
  const serviceTime = resolveServiceTime(sim.serviceTime, opts.fn.profile.durations, sim.minServiceMs);
  const derived = derivedBaselineParams({
    fn: opts.fn,
    binSeconds: opts.trace.binSeconds,
    sim,
    serviceTime,
    minReplicas: opts.minReplicas,
    maxReplicas: opts.maxReplicas,
  });

  const intervalsTotal = Math.floor(
    Math.min(opts.durationSeconds ?? Infinity, opts.fn.counts.length * opts.trace.binSeconds) / opts.intervalSeconds + 1e-9,
  );
  /** One episode of `name` with `params`; undefined when the policy cannot be created and that is allowed. */
  const runOne = async (
    name: AnyPolicyName,
    params: Record<string, unknown>,
    progress: (interval: number) => void,
  ): Promise<{ result: PolicyResult; series: PolicySeries; seconds: number } | undefined> => {
    const lookahead = new SimulatorLookahead();
    const deps: PolicyDeps = {
      minReplicas: opts.minReplicas,
      maxReplicas: opts.maxReplicas,
      sloP95Ms: opts.sloP95Ms,
      intervalSeconds: opts.intervalSeconds,
      resourceRequests: sim.requests,
      lookahead,
    };
    const model = opts.models?.[name];
    let policy: ScalingPolicy;
    try {
      policy = await createPolicy({ name, params, ...(model ? { model } : {}) }, deps);
    } catch (err) {
      if (!opts.onUnavailable || !(err instanceof Error)) throw err;
      opts.onUnavailable(name, err);
      return undefined;
    }
    try {
      const rails = new Rails({
        minReplicas: opts.minReplicas,
        maxReplicas: opts.maxReplicas,
        behavior: mergeBehavior(policy.defaultBehavior, undefined),
      });
      const episode = runEpisode({
        fn: opts.fn,
        binSeconds: opts.trace.binSeconds,
        policy,
        rails,
        intervalSeconds: opts.intervalSeconds,
        seed: opts.seed,
        sloP95Ms: opts.sloP95Ms,
        sim,
        lookahead,
        ...(opts.durationSeconds !== undefined ? { durationSeconds: opts.durationSeconds } : {}),
        onInterval: (r) => progress(r.index + 1),
      });
      return { result: episode.result, series: seriesOf(name, episode.intervals), seconds: episode.simulatedSeconds };
    } finally {
      policy.dispose();
    }
  };

  const grid = opts.sweep
    ? sweepGrid({
        fn: opts.fn,
        binSeconds: opts.trace.binSeconds,
        sim,
        serviceTime,
        minReplicas: opts.minReplicas,
        maxReplicas: opts.maxReplicas,
      })
    : [];
  const episodes = opts.policies.length + grid.length;
  const results: PolicyResult[] = [];
  const series: PolicySeries[] = [];
  const paramsUsed: Partial<Record<AnyPolicyName, Record<string, unknown>>> = {};
  let simulatedSeconds = 0;
  for (const [policyIndex, name] of opts.policies.entries()) {
    const params = { ...(derived[name] ?? {}), ...(opts.params?.[name] ?? {}) };
    const ran = await runOne(name, params, (interval) =>
      opts.onProgress?.({ policy: name, policyIndex, policyCount: episodes, interval, intervals: intervalsTotal }),
    );
    if (!ran) continue;
    paramsUsed[name] = params;
    results.push(ran.result);
    series.push(ran.series);
    simulatedSeconds = ran.seconds;
  }
  const swept: Omit<SweepPointResult, 'onFrontier' | 'costVsOracle'>[] = [];
  for (const [i, point] of grid.entries()) {
    const label = `${point.family} ${point.knob}`;
    const ran = await runOne(point.family, point.params, (interval) =>
      opts.onProgress?.({
        policy: label,
        policyIndex: opts.policies.length + i,
        policyCount: episodes,
        interval,
        intervals: intervalsTotal,
      }),
    );
    if (ran) swept.push({ ...point, replicaSeconds: ran.result.replicaSeconds, missRate: ran.result.missRate });
  }

  if (results.length === 0) throw new InputError('--policies: none of the policies could be created');
  const notes = [
    `service time: ${serviceTime.kind}, mean ${serviceTime.meanMs.toFixed(1)} ms (${serviceTime.source})`,
    `simulator: concurrency ${sim.concurrencyPerReplica}/replica, cold start ${sim.coldStartSeconds} s, ` +
      `upstream timeout ${sim.upstreamTimeoutSeconds} s, requests ${sim.requests.cpuCores} CPU / ${(sim.requests.memoryBytes / 2 ** 20).toFixed(0)} MiB`,
    `replicas ${opts.minReplicas}..${opts.maxReplicas}, starting at ${sim.initialReplicas}`,
    ...Object.entries(paramsUsed)
      .filter(([, p]) => Object.keys(p ?? {}).length > 0)
      .map(
        ([name, p]) =>
          `${name} params: ${Object.entries(p ?? {})
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', ')}`,
      ),
  ];
  for (const r of results) r.costVsOracle = costVsOracle(r, results);
  let sweep: SweepResult | undefined;
  if (opts.sweep) {
    const points = markFrontiers(swept).map((p) => ({ ...p, costVsOracle: costVsOracle(p, results) }));
    sweep = { points, vsFrontier: results.filter((r) => r.policy !== 'oracle').map((r) => compareWithFrontier(r, points)) };
  }
  const serviceP95Ms = serviceTimeP95Ms(serviceTime);
  const run: EvaluateResult = {
    trace: opts.trace.source,
    function: describeFunction(opts.fn),
    sloP95Ms: opts.sloP95Ms,
    intervalSeconds: opts.intervalSeconds,
    simulatedSeconds,
    seed: opts.seed,
    serviceP95Ms: Math.round(serviceP95Ms * 10) / 10,
    ...(opts.sloP95Ms < serviceP95Ms ? { infeasibleSlo: infeasibleSloSentence(opts.sloP95Ms, serviceP95Ms) } : {}),
    results,
  };
  return { run: sweep ? { ...run, sweep } : run, series, notes, paramsUsed };
}
