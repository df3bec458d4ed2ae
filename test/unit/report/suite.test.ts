/**
 * Suite files (one-line errors naming file, line and field), the scorecard on hand-made outcomes,
 * and the rule that keeps the held-out suite's functions out of every training pool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTrace, selectFunction, parseFunctionSelector, selectFunctions } from '#kernel/traces/index.js';
import { DEFAULT_HOLDOUT, DEFAULT_VALIDATION } from '../../../operator/src/commands/train.js';
import { packageRoot } from '../../../operator/src/package-root.js';
import { loadSuite, parseSuite, scorecard, median, type CaseOutcome } from '../../../operator/src/report/suite.js';
import { buildPool, DEFAULT_POOL_OPTIONS, rankedWithout } from '../../../operator/src/training/pool.js';
import type { EvaluateResult } from '../../../operator/src/report/types.js';
import type { PolicyResult } from '../../../operator/src/sim/episode.js';

describe('parseSuite', () => {
  it('reads cases with defaults (trace, rate scale 1, the SLO rule) and per-case overrides', () => {
    const suite = parseSuite(
      'trace: t1\ncases:\n  - function: rank:1\n  - name: b\n    function: abc\n    rateScale: 2.5\n    sloMs: 300\n    trace: t2\n    shape: bursty\n',
      's.yaml',
    );
    expect(suite).toEqual({
      file: 's.yaml',
      policies: 'all',
      cases: [
        { name: 'rank:1', trace: 't1', function: 'rank:1', rateScale: 1 },
        { name: 'b', trace: 't2', function: 'abc', rateScale: 2.5, sloMs: 300, shape: 'bursty' },
      ],
    });
  });

  it.each([
    ['unknown top-level field', 'trace: t\ncase:\n  - function: a\n', 's.yaml:2: field "case": unknown; expected trace, policies, cases'],
    ['no cases', 'trace: t\ncases: []\n', 's.yaml:2: field "cases": must be a non-empty list of cases'],
    ['missing function', 'trace: t\ncases:\n  - rateScale: 2\n', 's.yaml:3: field "function": missing (a hash prefix, rank:N or row:N)'],
    [
      'bad rate scale',
      'trace: t\ncases:\n  - function: a\n    rateScale: -2\n',
      's.yaml:4: field "rateScale": must be a number > 0, got -2',
    ],
    ['SLO as text', 'trace: t\ncases:\n  - function: a\n    sloMs: fast\n', 's.yaml:4: field "sloMs": must be a number > 0, got "fast"'],
    [
      'typo in a case field',
      'trace: t\ncases:\n  - function: a\n    rate: 2\n',
      's.yaml:4: field "rate": unknown; expected name, trace, function, rateScale, sloMs, shape',
    ],
    ['no trace anywhere', 'cases:\n  - function: a\n', 's.yaml:2: field "trace": missing, and the suite gives no default "trace"'],
    ['duplicate name', 'trace: t\ncases:\n  - function: a\n  - function: a\n', 's.yaml:4: field "name": "a" is used by an earlier case'],
    ['not YAML', 'cases: [\n', 's.yaml:2: not valid YAML'],
  ])('%s: one line naming file, line and field', (_name, text, want) => {
    let message = '';
    try {
      parseSuite(text, 's.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(want)).toBe(true);
  });
});

function res(policy: string, replicaSeconds: number, missRate: number, costVsOracle: number | null, reversals = 0): PolicyResult {
  return {
    policy,
    replicaSeconds,
    missRate,
    sloMet: missRate <= 0.05,
    costVsOracle,
    reversals,
    requests: 100,
    errors: 0,
    intervals: 10,
    sloViolationRate: 0,
    requestsOverSloRate: missRate,
    p50Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    meanReplicas: 1,
    maxReplicas: 1,
    scaleActions: 1,
    coldStarts: 0,
  };
}

function outcome(name: string, results: PolicyResult[], below: Record<string, boolean>): CaseOutcome {
  const run: EvaluateResult = {
    trace: 't',
    function: name,
    sloP95Ms: 100,
    intervalSeconds: 30,
    simulatedSeconds: 300,
    seed: 1,
    results,
    sweep: {
      points: [],
      vsFrontier: Object.entries(below).map(([policy, b]) => ({
        policy,
        belowFrontier: b,
        bestBaselineMissRateAtNoMoreCost: null,
        cheapestBaselineMeetingSlo: null,
      })),
    },
  };
  return { case: { name, trace: 't', function: name, rateScale: 1 }, run };
}

describe('scorecard', () => {
  it('counts SLO met (also where the oracle meets it), medians and the share below the frontier', () => {
    const outcomes = [
      outcome('c1', [res('oracle', 100, 0.01, 1), res('x', 120, 0.04, 1.2, 2)], { x: true }),
      outcome('c2', [res('oracle', 100, 0.2, 1), res('x', 150, 0.1, 1.5, 4)], { x: false }),
      outcome('c3', [res('oracle', 100, 0.0, 1), res('x', 300, 0.08, 3, 0)], { x: true }),
    ];
    const [oracle, x] = scorecard(outcomes);
    expect(x).toEqual({
      policy: 'x',
      cases: 3,
      sloMet: 1,
      sloMetWhereOracleMeets: 1,
      oracleMeets: 2,
      medianCostVsOracle: 1.5,
      belowFrontierShare: 2 / 3,
      medianMissRate: 0.08,
      medianReversals: 2,
    });
    expect(oracle).toMatchObject({ policy: 'oracle', sloMet: 2, belowFrontierShare: null, medianCostVsOracle: 1 });
    expect([median([3, 1, 2, 4]), median([])]).toEqual([2.5, null]);
  });
});

describe('the held-out suite', () => {
  it("uses no function of any training pool: not the shipped models' training or validation functions, not train's default pool", async () => {
    const suite = await loadSuite(join(packageRoot(), 'bench', 'suites', 'heldout.yaml'));
    expect(suite.cases.length).toBeGreaterThanOrEqual(16);
    expect(new Set(suite.cases.map((c) => c.shape))).toEqual(new Set(['smooth', 'bursty', 'periodic-burst', 'sparse']));
    const trace = await loadTrace({ trace: join(packageRoot(), suite.cases[0].trace) });
    const ids = suite.cases.map((c) => selectFunction(trace, parseFunctionSelector(c.function)).id);
    expect(new Set(ids).size).toBe(ids.length);

    const trained = new Set<string>();
    for (const model of ['lstm-ppo-plus', 'lstm-ppo', 'ppo']) {
      const meta = JSON.parse(readFileSync(join(packageRoot(), 'models', model, 'model.json'), 'utf8')) as {
        trace: { trainFunctions: string[]; validationFunctions: string[] };
      };
      for (const id of [...meta.trace.trainFunctions, ...meta.trace.validationFunctions]) trained.add(id);
    }
    expect(trained.size).toBeGreaterThan(10);
    // `train` with its defaults: top:80, without the held-out and validation functions.
    const held = [...selectFunctions(trace, DEFAULT_HOLDOUT), ...selectFunctions(trace, DEFAULT_VALIDATION)];
    const candidates = new Set(selectFunctions(trace, 'top:80').map((f) => f.id));
    for (const entry of buildPool(
      trace,
      rankedWithout(trace, held).filter((f) => candidates.has(f.id)),
      DEFAULT_POOL_OPTIONS,
    ))
      trained.add(entry.fn.id);
    for (const f of held) if (DEFAULT_VALIDATION.includes(`rank:${f.rank}`)) trained.add(f.id);
    expect(ids.filter((id) => trained.has(id))).toEqual([]);
  });
});
