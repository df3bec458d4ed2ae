/**
 * The comparison table `evaluate` and `demo` print: one row per policy, headed by what users of a
 * P95 objective feel — `misses`, the share of requests slower than the SLO or failed, and whether
 * that stays within the 5 % a P95 objective allows — next to the cost in replica-seconds and its
 * ratio to the oracle's (the physical limit: the oracle sees the coming arrivals). Interval
 * violations, errors, the P95 over all requests, scale actions and reversals follow.
 *
 * The ★ goes to the cheapest deployable policy that meets the SLO; when none does, to the one with
 * the fewest misses. The oracle is the reference, never a contender.
 */
import { SIMULATOR_ONLY_POLICY_NAMES } from '../policies/policy.js';
import { SLO_MISS_BUDGET } from '../sim/episode.js';
import type { EvaluationRun, PolicyResult } from './types.js';

export interface TableColumn {
  header: string;
  value(r: PolicyResult, all: readonly PolicyResult[]): string;
  align?: 'left' | 'right';
}

const pct = (fraction: number): string => `${(100 * fraction).toFixed(1)}%`;
const ms = (value: number | null): string => (value === null ? '—' : Number.isFinite(value) ? value.toFixed(0) : 'timeout');

const isReference = (r: PolicyResult): boolean => (SIMULATOR_ONLY_POLICY_NAMES as readonly string[]).includes(r.policy);

/** Replica-seconds ÷ the oracle's in the same run; null when the oracle did not run (or cost nothing). */
export function costVsOracle(r: Pick<PolicyResult, 'replicaSeconds'>, all: readonly PolicyResult[]): number | null {
  const oracle = all.find(isReference);
  return oracle && oracle.replicaSeconds > 0 ? r.replicaSeconds / oracle.replicaSeconds : null;
}

export const TABLE_COLUMNS: readonly TableColumn[] = [
  { header: 'policy', value: (r) => r.policy, align: 'left' },
  { header: 'cost rep-s', value: (r) => r.replicaSeconds.toFixed(0) },
  { header: '÷oracle', value: (r, all) => ratio(costVsOracle(r, all)) },
  { header: 'misses', value: (r) => pct(r.missRate) },
  { header: 'SLO met', value: (r) => (r.sloMet ? 'yes' : 'no') },
  { header: 'viol int', value: (r) => pct(r.sloViolationRate) },
  { header: 'errors', value: (r) => String(r.errors) },
  { header: 'p95 ms', value: (r) => ms(r.p95Ms) },
  { header: 'scales', value: (r) => String(r.scaleActions) },
  { header: 'reversals', value: (r) => String(r.reversals) },
];

function ratio(x: number | null): string {
  return x === null ? '—' : x.toFixed(2);
}

/**
 * The ★: the cheapest deployable policy that meets the SLO; when none does, the one with the
 * fewest misses (ties: the cheaper). Undefined when only the oracle ran.
 */
export function starredPolicy(all: readonly PolicyResult[]): string | undefined {
  const contenders = all.filter((r) => !isReference(r));
  const meeting = contenders.filter((r) => r.sloMet);
  const pool = meeting.length > 0 ? meeting : contenders;
  const key = (r: PolicyResult): [number, number] => (meeting.length > 0 ? [r.replicaSeconds, r.missRate] : [r.missRate, r.replicaSeconds]);
  let best: PolicyResult | undefined;
  for (const r of pool) {
    if (best === undefined) best = r;
    else {
      const [a1, a2] = key(r);
      const [b1, b2] = key(best);
      if (a1 < b1 || (a1 === b1 && a2 < b2)) best = r;
    }
  }
  return best?.policy;
}

/** The note under the table that says what the ★ means for this run. */
export function starNote(all: readonly PolicyResult[]): string {
  const budget = `${(100 * SLO_MISS_BUDGET).toFixed(0)} %`;
  const anyMet = all.some((r) => !isReference(r) && r.sloMet);
  return anyMet
    ? `★ = the cheapest deployable policy that meets the SLO (at most ${budget} of requests slower than it or failed: the run's P95 within the SLO); the oracle, which sees the coming arrivals, is the reference, not a contender`
    : `★ = no deployable policy meets the SLO (at most ${budget} of requests over it): the one with the fewest misses; the oracle, which sees the coming arrivals, is the reference, not a contender`;
}

/** Columns explained, under the table. */
export const COLUMN_NOTE =
  'misses: requests slower than the SLO or failed; viol int: intervals whose P95 exceeds the SLO; reversals: scale-downs undone by a scale-up within 2 min';

export function formatTable(run: EvaluationRun, columns: readonly TableColumn[] = TABLE_COLUMNS): string {
  const rows = run.results.map((r) => columns.map((c) => c.value(r, run.results)));
  const star = starredPolicy(run.results);
  const marks = run.results.map((r) => (r.policy === star ? ' ★' : ''));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (columns[i].align === 'left' ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const header = line(columns.map((c) => c.header));
  const body = rows.map((row, i) => line(row) + marks[i]);
  const title =
    `${run.function} · ${run.trace} · SLO p95 ${run.sloP95Ms} ms · interval ${run.intervalSeconds} s · ` +
    `${(run.simulatedSeconds / 60).toFixed(0)} min simulated · seed ${run.seed}`;
  const infeasible = run.infeasibleSlo ? [`! ${run.infeasibleSlo}`] : [];
  return [title, ...infeasible, header, '-'.repeat(header.length), ...body, starNote(run.results), COLUMN_NOTE].join('\n');
}
