import { costVsOracle, formatTable, starredPolicy } from '../../../operator/src/report/table.js';
import { renderEvaluationReport } from '../../../operator/src/report/html.js';
import { logTicks, niceTicks, formatNumber, placeLabels } from '../../../operator/src/report/svg.js';
import type { EvaluationRun, PolicyResult } from '../../../operator/src/report/types.js';

function result(policy: string, replicaSeconds: number, missRate: number, extra: Partial<PolicyResult> = {}): PolicyResult {
  return {
    policy,
    replicaSeconds,
    sloViolationRate: missRate,
    requests: 100,
    errors: 0,
    intervals: 10,
    requestsOverSloRate: missRate,
    missRate,
    sloMet: missRate <= 0.05,
    p50Ms: 10,
    p95Ms: 50,
    p99Ms: 90,
    meanReplicas: replicaSeconds / 300,
    maxReplicas: 3,
    scaleActions: 1,
    reversals: 0,
    coldStarts: 1,
    ...extra,
  };
}

const run = (results: PolicyResult[], extra: Partial<EvaluationRun> = {}): EvaluationRun => ({
  trace: 't.csv',
  function: 'rank:1 abc',
  sloP95Ms: 500,
  intervalSeconds: 30,
  simulatedSeconds: 300,
  seed: 1,
  results,
  ...extra,
});

describe('the ★: the cheapest deployable policy that meets the SLO, else the fewest misses', () => {
  it.each([
    // A cheap policy that misses the SLO does not get it; the cheapest that meets it does.
    [
      'cheapest meeting the SLO',
      [result('cheap', 100, 0.3), result('good', 200, 0.04), result('better', 180, 0.05), result('pricey', 300, 0.0)],
      'better',
    ],
    // 5 % exactly meets it (a P95 objective); 5.1 % does not.
    ['the 5 % boundary', [result('edge', 100, 0.05), result('over', 90, 0.051)], 'edge'],
    // None meets it: fewest misses wins, cost breaks ties.
    ['none meets: fewest misses', [result('a', 100, 0.3), result('b', 300, 0.1), result('c', 200, 0.1)], 'c'],
    // The oracle is the reference: never starred, even when it is the only one meeting the SLO.
    ['the oracle is not a contender', [result('oracle', 50, 0.0), result('a', 100, 0.2), result('b', 120, 0.1)], 'b'],
  ])('%s', (_name, results, want) => {
    expect(starredPolicy(results)).toBe(want);
  });

  it('is printed beside that row only, with the note saying which rule applied', () => {
    const text = formatTable(run([result('oracle', 50, 0.0), result('cheap', 100, 0.3), result('good', 200, 0.0)]));
    const lines = text.split('\n');
    expect(lines.filter((l) => l.endsWith('★'))).toEqual([expect.stringMatching(/^good /)]);
    expect(text).toContain('★ = the cheapest deployable policy that meets the SLO');
    expect(formatTable(run([result('a', 100, 0.3)]))).toContain('★ = no deployable policy meets the SLO');
  });

  it('shows cost ÷ oracle, misses, SLO met and reversals', () => {
    const all = [result('oracle', 200, 0.01), result('hpa', 300, 0.08, { reversals: 3 })];
    expect(costVsOracle(all[1], all)).toBe(1.5);
    expect(costVsOracle(all[1], [all[1]])).toBeNull();
    const row = formatTable(run(all))
      .split('\n')
      .find((l) => l.startsWith('hpa'))!;
    // The only contender: it takes the ★ (no policy meets the SLO; fewest misses).
    expect(row.trim().split(/\s+/)).toEqual(['hpa', '300', '1.50', '8.0%', 'no', '8.0%', '0', '50', '1', '3', '★']);
  });

  it('names an infeasible SLO above the table', () => {
    const text = formatTable(run([result('a', 100, 1)], { infeasibleSlo: 'infeasible SLO: 100 ms is below ...' }));
    expect(text.split('\n')[1]).toBe('! infeasible SLO: 100 ms is below ...');
  });
});

describe('svg helpers', () => {
  it.each([
    [0, 10, 5, [0, 2, 4, 6, 8, 10]],
    [0, 1, 4, [0, 0.5, 1]], // step 0.25 rounds up to 0.5
    [3, 97, 5, [20, 40, 60, 80]],
  ])('niceTicks(%p, %p, %p)', (lo, hi, count, want) => {
    expect(niceTicks(lo, hi, count)).toEqual(want);
  });

  it.each([
    [1, 1000, [1, 10, 100, 1000]],
    // less than three decades: 2 and 5 between
    [10, 100, [10, 20, 50, 100]],
  ])('logTicks(%p, %p)', (lo, hi, want) => {
    expect(logTicks(lo, hi)).toEqual(want);
  });

  it('spreads labels that would overlap, and leaves apart ones alone', () => {
    // three labels at the same spot, one far right at the same height, one well below
    const ys = placeLabels(
      [
        { x: 100, y: 200 },
        { x: 100, y: 200 },
        { x: 105, y: 204 },
        { x: 400, y: 200 },
        { x: 100, y: 300 },
      ],
      12,
      { top: 0, bottom: 1000 },
    );
    const near = [ys[0], ys[1], ys[2]].sort((a, b) => a - b);
    expect(near[1] - near[0]).toBeGreaterThanOrEqual(11.99);
    expect(near[2] - near[1]).toBeGreaterThanOrEqual(11.99);
    expect([ys[3], ys[4]]).toEqual([200, 300]);
  });

  it('formats non-finite values readably', () => {
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(12345)).toBe('12.3k');
  });
});

describe('renderEvaluationReport', () => {
  it('is self-contained and escapes names', () => {
    const html = renderEvaluationReport({
      run: run([result('<script>', 100, 0.1)]),
      series: [{ policy: '<script>', points: [{ timeSeconds: 30, rps: 1, replicas: 1, readyReplicas: 1, p95Ms: Infinity, overSlo: 3 }] }],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/(src|href)="http/);
    expect(html).toContain('SLO 500 ms');
  });
});
