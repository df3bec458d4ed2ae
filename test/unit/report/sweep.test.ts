/** The tuned-baseline frontier and where a policy lies against it, on hand-computed points. */
import { compareWithFrontier, markFrontiers, sweepGrid, type SweepPointResult } from '../../../operator/src/report/sweep.js';
import { countReversals } from '../../../operator/src/sim/episode.js';
import { resolveSimConfig } from '../../../operator/src/sim/config.js';
import type { TraceFunction } from '#kernel/traces/types.js';

const point = (family: SweepPointResult['family'], knob: string, replicaSeconds: number, missRate: number): SweepPointResult => ({
  family,
  knob,
  params: {},
  replicaSeconds,
  missRate,
  costVsOracle: null,
  onFrontier: false,
});

describe('markFrontiers', () => {
  it('keeps, per family, the points no other point of the family beats on cost and misses', () => {
    const marked = markFrontiers([
      point('hpa', 'a', 100, 0.5),
      point('hpa', 'b', 200, 0.1),
      // dominated by b: dearer and more misses
      point('hpa', 'c', 250, 0.2),
      point('hpa', 'd', 400, 0.0),
      // a twin of b (same cost, same misses): the first one listed stays
      point('hpa', 'b2', 200, 0.1),
      // another family is judged on its own, even though hpa's b beats it
      point('static', 's', 300, 0.3),
    ]);
    expect(marked.filter((p) => p.onFrontier).map((p) => p.knob)).toEqual(['a', 'b', 'd', 's']);
  });
});

describe('compareWithFrontier', () => {
  const points = [point('hpa', 'a', 100, 0.5), point('hpa', 'b', 200, 0.1), point('keda', 'k', 300, 0.04), point('static', 's', 500, 0.0)];
  it.each([
    // At 250 rep-s the best baseline costing no more misses 10 % (hpa b): 8 % is below, 12 % is not.
    ['fewer misses at no more cost', { replicaSeconds: 250, missRate: 0.08 }, { best: 0.1, below: true }],
    ['more misses than a cheaper baseline', { replicaSeconds: 250, missRate: 0.12 }, { best: 0.1, below: false }],
    // Equal misses is not below: the baseline already does that for no more.
    ['as good as a baseline, not better', { replicaSeconds: 200, missRate: 0.1 }, { best: 0.1, below: false }],
    // Cheaper than every baseline: below only with no more misses than the cheapest one.
    ['cheaper than all, no worse than the cheapest', { replicaSeconds: 50, missRate: 0.5 }, { best: null, below: true }],
    ['cheaper than all but worse', { replicaSeconds: 50, missRate: 0.6 }, { best: null, below: false }],
  ])('%s', (_name, p, want) => {
    const got = compareWithFrontier({ policy: 'x', ...p }, points);
    expect({ best: got.bestBaselineMissRateAtNoMoreCost, below: got.belowFrontier }).toEqual(want);
    // The cheapest baseline meeting the SLO (≤ 5 % misses) is keda at 300, whatever the policy.
    expect(got.cheapestBaselineMeetingSlo).toEqual({ replicaSeconds: 300, point: 'keda k' });
  });
});

describe('sweepGrid', () => {
  it('gives every swept family at least 8 settings spanning the trade-off (static: as many distinct counts as fit)', () => {
    const fn = { id: 'f', row: 1, counts: [600, 1200, 60], profile: {} } as unknown as TraceFunction;
    const sim = resolveSimConfig({});
    const grid = sweepGrid({
      fn,
      binSeconds: 60,
      sim,
      serviceTime: { kind: 'deterministic', mu: 0, sigma: 0, meanMs: 500, source: '' },
      minReplicas: 1,
      maxReplicas: 100,
    });
    const count = (family: string): number => grid.filter((p) => p.family === family).length;
    expect(['hpa', 'keda', 'knative', 'openfaas-pro', 'static'].map(count)).toEqual([8, 8, 8, 8, 8]);
    // capacity 2 rps/replica: keda's threshold spans 0.6 … 2 rps
    expect(grid.filter((p) => p.family === 'keda').map((p) => p.params.threshold)).toEqual([0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2]);
    // peak 20 rps needs 10 replicas at 100 %, 34 at 30 %: static from 1 to 34
    const statics = grid.filter((p) => p.family === 'static').map((p) => p.params.replicas);
    expect([statics[0], statics[statics.length - 1]]).toEqual([1, 34]);
  });
});

describe('countReversals', () => {
  it.each([
    [
      'down then up within 2 min',
      [
        [0, 'down'],
        [90, 'up'],
      ],
      1,
    ],
    [
      'down then up after 2 min',
      [
        [0, 'down'],
        [150, 'up'],
      ],
      0,
    ],
    [
      'exactly 120 s counts',
      [
        [0, 'down'],
        [120, 'up'],
      ],
      1,
    ],
    // two steps down, one back up within the window of both: both were undone
    [
      'two downs, one up',
      [
        [0, 'down'],
        [30, 'down'],
        [60, 'up'],
      ],
      2,
    ],
    // only the second down is within 2 min of the up
    [
      'an old down does not count',
      [
        [0, 'down'],
        [100, 'down'],
        [150, 'up'],
      ],
      1,
    ],
    // an up clears the slate: the later up undoes nothing
    [
      'each down is undone once',
      [
        [0, 'down'],
        [30, 'up'],
        [60, 'up'],
      ],
      1,
    ],
    [
      'ups only',
      [
        [0, 'up'],
        [30, 'up'],
      ],
      0,
    ],
  ] as const)('%s', (_name, actions, want) => {
    expect(countReversals(actions.map(([timeSeconds, direction]) => ({ timeSeconds, direction })))).toBe(want);
  });
});
