/**
 * `evaluate --suite FILE`: many evaluation cases in one run, each with `--sweep`, and a scorecard
 * per policy. A suite file (YAML):
 *
 *   trace: traces/azure2019/invitro_sample250_min480-959   # default for every case
 *   policies: all                                          # default "all"
 *   cases:
 *     - name: smooth-queue                                 # unique; default: the function selector
 *       function: 1fa065352036                            # selector: hash prefix, rank:N, row:N
 *       rateScale: 1                                       # default 1
 *       sloMs: 2260                                        # default: the project's rule (1.5 × the service time's P95)
 *       shape: smooth                                      # free text, shown in the scorecard
 *       trace: ...                                         # overrides the default
 *
 * The scorecard, per policy: on how many cases it meets the SLO (and on how many the oracle does),
 * the median cost ÷ oracle, how often it lies below the tuned baselines' frontier, the median
 * misses and the median reversals.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { InputError } from '#kernel/input-error.js';
import type { EvaluateResult } from './types.js';

export interface SuiteCase {
  name: string;
  trace: string;
  function: string;
  rateScale: number;
  /** Undefined: the project's rule (training/pool.ts `sloForFunction`). */
  sloMs?: number;
  shape?: string;
}

export interface Suite {
  file: string;
  policies: string;
  cases: SuiteCase[];
}

const CASE_FIELDS = ['name', 'trace', 'function', 'rateScale', 'sloMs', 'shape'] as const;
const TOP_FIELDS = ['trace', 'policies', 'cases'] as const;

/** Parses a suite file; every error is one line naming the file, the line and the field. */
export async function loadSuite(file: string): Promise<Suite> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`--suite: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseSuite(text, file);
}

export function parseSuite(text: string, file: string): Suite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (node: YamlNode | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? file : `${file}:${lines.linePos(offset).line}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new InputError(`${file}:${e.linePos?.[0]?.line ?? '?'}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new InputError(`${at(root)}: a suite is a mapping with "cases" (and optional "trace", "policies")`);
  const field = (map: { items: ReadonlyArray<{ key: unknown; value: unknown }> }, key: string): YamlNode | undefined =>
    map.items.find((p) => isScalar(p.key) && p.key.value === key)?.value as YamlNode | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!(TOP_FIELDS as readonly string[]).includes(key))
      throw new InputError(`${at(pair.key as YamlNode)}: field "${key}": unknown; expected ${TOP_FIELDS.join(', ')}`);
  }
  const str = (node: YamlNode | undefined, name: string): string | undefined => {
    if (node === undefined) return undefined;
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number') || String(node.value).trim() === '') {
      throw new InputError(`${at(node)}: field "${name}": must be a non-empty string`);
    }
    return String(node.value);
  };
  const num = (node: YamlNode | undefined, name: string): number | undefined => {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value) || node.value <= 0) {
      throw new InputError(
        `${at(node)}: field "${name}": must be a number > 0, got ${isScalar(node) ? JSON.stringify(node.value) : 'a collection'}`,
      );
    }
    return node.value;
  };
  const defaultTrace = str(field(root, 'trace'), 'trace');
  const policies = str(field(root, 'policies'), 'policies') ?? 'all';
  const casesNode = field(root, 'cases');
  if (!isSeq(casesNode) || casesNode.items.length === 0)
    throw new InputError(`${at(casesNode ?? root)}: field "cases": must be a non-empty list of cases`);
  const seen = new Set<string>();
  const cases = casesNode.items.map((item) => {
    const node = item as YamlNode;
    if (!isMap(node))
      throw new InputError(
        `${at(node)}: a case is a mapping with "function" (and optional ${CASE_FIELDS.filter((f) => f !== 'function').join(', ')})`,
      );
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!(CASE_FIELDS as readonly string[]).includes(key))
        throw new InputError(`${at(pair.key as YamlNode)}: field "${key}": unknown; expected ${CASE_FIELDS.join(', ')}`);
    }
    const fn = str(field(node, 'function'), 'function');
    if (fn === undefined) throw new InputError(`${at(node)}: field "function": missing (a hash prefix, rank:N or row:N)`);
    const trace = str(field(node, 'trace'), 'trace') ?? defaultTrace;
    if (trace === undefined) throw new InputError(`${at(node)}: field "trace": missing, and the suite gives no default "trace"`);
    const name = str(field(node, 'name'), 'name') ?? fn;
    if (seen.has(name)) throw new InputError(`${at(field(node, 'name') ?? node)}: field "name": "${name}" is used by an earlier case`);
    seen.add(name);
    const sloMs = num(field(node, 'sloMs'), 'sloMs');
    const shape = str(field(node, 'shape'), 'shape');
    return {
      name,
      trace,
      function: fn,
      rateScale: num(field(node, 'rateScale'), 'rateScale') ?? 1,
      ...(sloMs !== undefined ? { sloMs } : {}),
      ...(shape !== undefined ? { shape } : {}),
    };
  });
  return { file, policies, cases };
}

export interface CaseOutcome {
  case: SuiteCase;
  run: EvaluateResult;
}

export interface ScorecardRow {
  policy: string;
  cases: number;
  sloMet: number;
  /** Cases where the oracle meets the SLO, and this policy too. */
  sloMetWhereOracleMeets: number;
  oracleMeets: number;
  medianCostVsOracle: number | null;
  /** Share of cases below the tuned baselines' frontier (null for the oracle and the swept baselines' own rows). */
  belowFrontierShare: number | null;
  medianMissRate: number;
  medianReversals: number;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One row per policy that ran in any case, in the order they first appear. */
export function scorecard(outcomes: readonly CaseOutcome[]): ScorecardRow[] {
  const names: string[] = [];
  for (const o of outcomes) for (const r of o.run.results) if (!names.includes(r.policy)) names.push(r.policy);
  return names.map((policy) => {
    const mine = outcomes.flatMap((o) => {
      const r = o.run.results.find((x) => x.policy === policy);
      if (!r) return [];
      const oracle = o.run.results.find((x) => x.policy === 'oracle');
      const vs = o.run.sweep?.vsFrontier.find((v) => v.policy === policy);
      return [{ r, oracleMeets: oracle?.sloMet === true, below: vs?.belowFrontier }];
    });
    const withFrontier = mine.filter((m) => m.below !== undefined);
    return {
      policy,
      cases: mine.length,
      sloMet: mine.filter((m) => m.r.sloMet).length,
      sloMetWhereOracleMeets: mine.filter((m) => m.oracleMeets && m.r.sloMet).length,
      oracleMeets: mine.filter((m) => m.oracleMeets).length,
      medianCostVsOracle: median(
        mine.flatMap((m) => (m.r.costVsOracle === null || m.r.costVsOracle === undefined ? [] : [m.r.costVsOracle])),
      ),
      belowFrontierShare:
        withFrontier.length > 0 && policy !== 'oracle' ? withFrontier.filter((m) => m.below).length / withFrontier.length : null,
      medianMissRate: median(mine.map((m) => m.r.missRate)) ?? 0,
      medianReversals: median(mine.map((m) => m.r.reversals)) ?? 0,
    };
  });
}

export function formatScorecard(suite: Suite, rows: readonly ScorecardRow[], outcomes: readonly CaseOutcome[]): string {
  const header = ['policy', 'SLO met', 'where oracle meets', 'median ÷oracle', 'below frontier', 'median misses', 'median reversals'];
  const body = rows.map((r) => [
    r.policy,
    `${r.sloMet}/${r.cases}`,
    `${r.sloMetWhereOracleMeets}/${r.oracleMeets}`,
    r.medianCostVsOracle === null ? '—' : r.medianCostVsOracle.toFixed(2),
    r.belowFrontierShare === null ? '—' : `${(100 * r.belowFrontierShare).toFixed(0)}%`,
    `${(100 * r.medianMissRate).toFixed(1)}%`,
    r.medianReversals.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const infeasible = outcomes.filter((o) => o.run.infeasibleSlo).map((o) => `  ! ${o.case.name}: ${o.run.infeasibleSlo}`);
  return [
    `suite ${suite.file}: ${outcomes.length} cases`,
    line(header),
    '-'.repeat(line(header).length),
    ...body.map(line),
    'SLO met: at most 5 % of requests slower than the SLO or failed. below frontier: fewer misses than every tuned baseline setting (evaluate --sweep) that costs no more.',
    ...infeasible,
  ].join('\n');
}
