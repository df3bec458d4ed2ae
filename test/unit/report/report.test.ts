import { dominates, dominatedBy, formatTable, onFront } from '../../../operator/src/report/table.js';
import { renderEvaluationReport } from '../../../operator/src/report/html.js';
import { niceTicks, formatNumber } from '../../../operator/src/report/svg.js';
import type { EvaluationRun, PolicyResult } from '../../../operator/src/report/types.js';

function result(policy: string, replicaSeconds: number, sloViolationRate: number): PolicyResult {
  return {
    policy, replicaSeconds, sloViolationRate, requests: 100, errors: 0, intervals: 10, requestsOverSloRate: sloViolationRate,
    p50Ms: 10, p95Ms: 50, p99Ms: 90, meanReplicas: replicaSeconds / 300, maxReplicas: 3, scaleActions: 1, coldStarts: 1,
  };
}

const run = (results: PolicyResult[]): EvaluationRun => ({
  trace: 't.csv', function: 'rank:1 abc', sloP95Ms: 500, intervalSeconds: 30, simulatedSeconds: 300, seed: 1, results,
});

describe('dominance', () => {
  it.each([
    // [a, b, a dominates b]
    ['cheaper and fewer violations', result('a', 100, 0.1), result('b', 200, 0.2), true],
    ['cheaper, same violations', result('a', 100, 0.2), result('b', 200, 0.2), true],
    ['identical: neither strictly better', result('a', 100, 0.2), result('b', 100, 0.2), false],
    ['cheaper but more violations: a trade-off', result('a', 100, 0.3), result('b', 200, 0.2), false],
  ])('%s', (_name, a, b, want) => {
    expect(dominates(a, b)).toBe(want);
  });

  it('lists every dominating policy', () => {
    const all = [result('x', 100, 0.1), result('y', 150, 0.05), result('z', 200, 0.2)];
    expect(dominatedBy(all[2], all)).toEqual(['x', 'y']);
    expect(dominatedBy(all[0], all)).toEqual([]);
  });
});

describe('formatTable', () => {
  it('marks only the non-dominated policies', () => {
    const text = formatTable(run([result('cheap', 100, 0.3), result('good', 200, 0.0), result('bad', 300, 0.3)]));
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('cheap'))).toMatch(/\*$/);
    expect(lines.find((l) => l.startsWith('good'))).toMatch(/\*$/);
    expect(lines.find((l) => l.startsWith('bad'))).not.toMatch(/\*$/);
  });

  it('leaves the oracle out: it is not marked and does not take the mark from those it dominates', () => {
    const text = formatTable(run([result('oracle', 50, 0.0), result('cheap', 100, 0.3), result('good', 200, 0.0), result('bad', 300, 0.3)]));
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('oracle'))).not.toMatch(/\*$/);
    expect(lines.find((l) => l.startsWith('cheap'))).toMatch(/\*$/);
    expect(lines.find((l) => l.startsWith('good'))).toMatch(/\*$/);
    expect(lines.find((l) => l.startsWith('bad'))).not.toMatch(/\*$/);
    expect(onFront(result('oracle', 50, 0.0), [result('good', 200, 0.0)])).toBe(false);
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
      series: [{ policy: '<script>', points: [{ timeSeconds: 30, rps: 1, replicas: 1, readyReplicas: 1, p95Ms: Infinity }] }],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/(src|href)="http/);
    expect(html).toContain('SLO 500 ms');
  });
});
