/**
 * `evaluate --sweep`: every tunable baseline across its main knob, so that a policy is compared
 * with the baselines *tuned*, not with one default point of their trade-off.
 *
 * The grids (8 points each, derived from the function like the defaults in evaluate.ts):
 *   hpa            targetCPUUtilizationPercentage  30 40 50 60 70 80 90 95
 *   keda           threshold (RPS per replica)     capacity × 0.3 … 1.0 (step 0.1)
 *   knative        targetUtilizationPercentage     30 40 … 100, containerConcurrency = concurrency
 *   openfaas-pro   targetProportion                0.3 … 1.0, capacity mode, target = concurrency
 *   static         replicas                        8 counts from 1 to the peak minute's need at 30 %
 * (capacity = concurrency / mean service time, in requests per second per replica).
 *
 * Each family's Pareto frontier is the set of its points no other point of the family beats on
 * both cost (replica-seconds) and misses. A policy lies *below the tuned frontier* when it has
 * fewer misses than every baseline point that costs no more than it does; cheaper than every
 * baseline point, it must also have no more misses than the cheapest one.
 */
import type { TraceFunction } from '#kernel/traces/types.js';
import type { SimConfig } from '../sim/config.js';
import { SLO_MISS_BUDGET, type PolicyResult } from '../sim/episode.js';
import type { ServiceTimeModel } from '../sim/service-time.js';

/** The baselines with a main knob, in the order the tables list them. */
export const SWEPT_FAMILIES = ['hpa', 'keda', 'knative', 'openfaas-pro', 'static'] as const;
export type SweptFamily = (typeof SWEPT_FAMILIES)[number];

export interface SweepPoint {
  family: SweptFamily;
  /** The knob and its value, e.g. `targetCPUUtilizationPercentage=70`. */
  knob: string;
  params: Record<string, unknown>;
}

export interface SweepPointResult extends SweepPoint {
  replicaSeconds: number;
  missRate: number;
  costVsOracle: number | null;
  onFrontier: boolean;
}

export interface PolicyVsFrontier {
  policy: string;
  /** The fewest misses any swept baseline point reaches at no more cost; null when none is that cheap. */
  bestBaselineMissRateAtNoMoreCost: number | null;
  /** The cheapest swept baseline point that meets the SLO: its replica-seconds, and which it is. */
  cheapestBaselineMeetingSlo: { replicaSeconds: number; point: string } | null;
  belowFrontier: boolean;
}

export interface SweepResult {
  points: SweepPointResult[];
  vsFrontier: PolicyVsFrontier[];
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let x = from; x <= to + 1e-9; x += step) out.push(Math.round(x * 1000) / 1000);
  return out;
};

/** The grid of every swept family for this function (see the file comment). */
export function sweepGrid(args: {
  fn: TraceFunction;
  binSeconds: number;
  sim: SimConfig;
  serviceTime: ServiceTimeModel;
  minReplicas: number;
  maxReplicas: number;
}): SweepPoint[] {
  const concurrency = args.sim.concurrencyPerReplica;
  const capacityRps = concurrency / (args.serviceTime.meanMs / 1000);
  const peakRps = Math.max(0, ...args.fn.counts) / args.binSeconds;
  const points: SweepPoint[] = [];
  for (const t of [30, 40, 50, 60, 70, 80, 90, 95]) {
    points.push({ family: 'hpa', knob: `targetCPUUtilizationPercentage=${t}`, params: { targetCPUUtilizationPercentage: t } });
  }
  for (const u of range(0.3, 1.0, 0.1)) {
    const threshold = Math.round(capacityRps * u * 1000) / 1000;
    points.push({ family: 'keda', knob: `threshold=${threshold}`, params: { metric: 'rps', threshold } });
  }
  for (const t of range(30, 100, 10)) {
    points.push({
      family: 'knative',
      knob: `targetUtilizationPercentage=${t}`,
      params: { containerConcurrency: concurrency, targetUtilizationPercentage: t },
    });
  }
  for (const p of range(0.3, 1.0, 0.1)) {
    points.push({
      family: 'openfaas-pro',
      knob: `targetProportion=${p}`,
      params: { type: 'capacity', target: concurrency, targetProportion: p },
    });
  }
  const low = Math.max(1, args.minReplicas);
  const high = Math.min(args.maxReplicas, Math.max(low, Math.ceil(peakRps / (capacityRps * 0.3))));
  const counts = [...new Set(Array.from({ length: 8 }, (_, i) => Math.round(low + ((high - low) * i) / 7)))];
  for (const n of counts) points.push({ family: 'static', knob: `replicas=${n}`, params: { replicas: n } });
  return points;
}

/** Marks each family's Pareto points (cost and misses; ties on both keep the first). */
export function markFrontiers<T extends { family: string; replicaSeconds: number; missRate: number }>(
  points: readonly T[],
): Array<T & { onFrontier: boolean }> {
  return points.map((p) => ({
    ...p,
    onFrontier: !points.some(
      (q) =>
        q !== p &&
        q.family === p.family &&
        q.replicaSeconds <= p.replicaSeconds &&
        q.missRate <= p.missRate &&
        (q.replicaSeconds < p.replicaSeconds || q.missRate < p.missRate || points.indexOf(q) < points.indexOf(p)),
    ),
  }));
}

/** Where `policy` lies against every swept baseline point (see the file comment). */
export function compareWithFrontier(
  policy: Pick<PolicyResult, 'policy' | 'replicaSeconds' | 'missRate'>,
  points: readonly SweepPointResult[],
): PolicyVsFrontier {
  const affordable = points.filter((p) => p.replicaSeconds <= policy.replicaSeconds);
  const best = affordable.length > 0 ? Math.min(...affordable.map((p) => p.missRate)) : null;
  const meeting = points.filter((p) => p.missRate <= SLO_MISS_BUDGET).sort((a, b) => a.replicaSeconds - b.replicaSeconds)[0];
  let below: boolean;
  if (best !== null) below = policy.missRate < best;
  else {
    const cheapest = [...points].sort((a, b) => a.replicaSeconds - b.replicaSeconds)[0];
    below = cheapest === undefined || policy.missRate <= cheapest.missRate;
  }
  return {
    policy: policy.policy,
    bestBaselineMissRateAtNoMoreCost: best,
    cheapestBaselineMeetingSlo: meeting ? { replicaSeconds: meeting.replicaSeconds, point: `${meeting.family} ${meeting.knob}` } : null,
    belowFrontier: below,
  };
}

/** The sweep table: each family's frontier points, then each policy against the frontier. */
export function formatSweep(sweep: SweepResult): string {
  const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
  const lines = ['tuned baselines (frontier points: no other point of the family is cheaper with no more misses):'];
  for (const family of SWEPT_FAMILIES) {
    const front = sweep.points.filter((p) => p.family === family && p.onFrontier).sort((a, b) => a.replicaSeconds - b.replicaSeconds);
    const cells = front.map(
      (p) =>
        `${p.knob}: ${p.replicaSeconds.toFixed(0)} rep-s${p.costVsOracle !== null ? ` (${p.costVsOracle.toFixed(2)}×)` : ''}, ${pct(p.missRate)}`,
    );
    lines.push(`  ${family.padEnd(13)} ${cells.join(' | ') || '—'}`);
  }
  lines.push('against the tuned frontier:');
  for (const v of sweep.vsFrontier) {
    const cheapest = v.cheapestBaselineMeetingSlo
      ? `${v.cheapestBaselineMeetingSlo.replicaSeconds.toFixed(0)} rep-s (${v.cheapestBaselineMeetingSlo.point})`
      : 'none meets the SLO';
    lines.push(
      `  ${v.policy.padEnd(13)} ${v.belowFrontier ? 'below' : 'not below'}; best baseline at no more cost misses ${pct(v.bestBaselineMissRateAtNoMoreCost)}; cheapest baseline meeting the SLO: ${cheapest}`,
    );
  }
  return lines.join('\n');
}
