/**
 * The comparison table `evaluate` and `demo` print: one row per policy, the two counts that matter
 * first (replica-seconds and SLO-violation rate), and a mark for the policies no other deployable
 * policy dominates (at most as many replica-seconds *and* at most the violation rate, one strictly
 * less). The oracle sees the coming arrivals: it is the reference, not a contender, so it is
 * neither marked nor counted when marking the others.
 */
import { SIMULATOR_ONLY_POLICY_NAMES } from '../policies/policy.js';
import type { EvaluationRun, PolicyResult } from './types.js';

export interface TableColumn {
  header: string;
  value(r: PolicyResult): string;
  align?: 'left' | 'right';
}

const pct = (fraction: number): string => `${(100 * fraction).toFixed(1)}%`;
const ms = (value: number | null): string => (value === null ? '—' : Number.isFinite(value) ? value.toFixed(0) : 'timeout');

export const TABLE_COLUMNS: readonly TableColumn[] = [
  { header: 'policy', value: (r) => r.policy, align: 'left' },
  { header: 'replica-s', value: (r) => r.replicaSeconds.toFixed(0) },
  { header: 'SLO viol', value: (r) => pct(r.sloViolationRate) },
  { header: 'req>SLO', value: (r) => pct(r.requestsOverSloRate) },
  { header: 'p50 ms', value: (r) => ms(r.p50Ms) },
  { header: 'p95 ms', value: (r) => ms(r.p95Ms) },
  { header: 'p99 ms', value: (r) => ms(r.p99Ms) },
  { header: 'mean rep', value: (r) => r.meanReplicas.toFixed(2) },
  { header: 'max rep', value: (r) => String(r.maxReplicas) },
  { header: 'errors', value: (r) => String(r.errors) },
  { header: 'scales', value: (r) => String(r.scaleActions) },
  { header: 'cold', value: (r) => String(r.coldStarts) },
];

/** True when `a` is at least as good as `b` on both counts and strictly better on one. */
export function dominates(a: PolicyResult, b: PolicyResult): boolean {
  const noWorse = a.replicaSeconds <= b.replicaSeconds && a.sloViolationRate <= b.sloViolationRate;
  const better = a.replicaSeconds < b.replicaSeconds || a.sloViolationRate < b.sloViolationRate;
  return noWorse && better;
}

/** Names of the policies that dominate `target` (see `dominates`). */
export function dominatedBy(target: PolicyResult, all: readonly PolicyResult[]): string[] {
  return all.filter((r) => r !== target && dominates(r, target)).map((r) => r.policy);
}

const isReference = (r: PolicyResult): boolean => (SIMULATOR_ONLY_POLICY_NAMES as readonly string[]).includes(r.policy);

/** True for a deployable policy that no other deployable policy dominates (the `*` / ★ mark). */
export function onFront(target: PolicyResult, all: readonly PolicyResult[]): boolean {
  if (isReference(target)) return false;
  return dominatedBy(target, all.filter((r) => !isReference(r))).length === 0;
}

/** The note under the table that says what the mark means. */
export const FRONT_NOTE =
  'not dominated: no other policy has both fewer-or-equal replica-seconds and a lower-or-equal violation rate (the oracle, which sees the coming arrivals, is the reference and is left out)';

export function formatTable(run: EvaluationRun, columns: readonly TableColumn[] = TABLE_COLUMNS): string {
  const rows = run.results.map((r) => columns.map((c) => c.value(r)));
  const marks = run.results.map((r) => (onFront(r, run.results) ? ' *' : ''));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (columns[i].align === 'left' ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const header = line(columns.map((c) => c.header));
  const body = rows.map((row, i) => line(row) + marks[i]);
  const title =
    `${run.function} · ${run.trace} · SLO p95 ${run.sloP95Ms} ms · interval ${run.intervalSeconds} s · ` +
    `${(run.simulatedSeconds / 60).toFixed(0)} min simulated · seed ${run.seed}`;
  const note = `* = ${FRONT_NOTE}`;
  return [title, header, '-'.repeat(header.length), ...body, note].join('\n');
}
