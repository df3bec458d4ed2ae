/**
 * `histogramQuantile` must give what Prometheus' `histogram_quantile` gives, edge cases included:
 * a table of hand-worked cases, then the same buckets evaluated by the real Prometheus engine
 * (`promtool test rules`, Debian package `prometheus`, installed by .ci/run) for a grid of q.
 * `buildObservation`: one row per named outcome of the file comment.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_LATENCY_BUCKETS_SECONDS, buildObservation, histogramQuantile } from '../../../operator/src/metrics/observation.js';
import { missRatio } from '../../../operator/src/metrics/observation.js';
import type { FunctionMetricsWindow, HistogramBucket } from '../../../operator/src/metrics/types.js';

const INF = Number.POSITIVE_INFINITY;
const b = (pairs: Array<[number, number]>): HistogramBucket[] => pairs.map(([le, count]) => ({ le, count }));

/** Bucket sets shared by the hand-worked table and the promtool cross-check. */
const BUCKETS: Record<string, { buckets: HistogramBucket[]; leLabels?: string[] }> = {
  // 100 requests of a gateway window: 50 ≤ 0.1 s, 90 ≤ 0.25 s, 99 ≤ 0.5 s, all ≤ 1 s.
  gateway: {
    buckets: b([
      [0.05, 10],
      [0.1, 50],
      [0.25, 90],
      [0.5, 99],
      [1, 100],
      [INF, 100],
    ]),
  },
  // 10 of 100 slower than the highest finite bucket.
  slowTail: {
    buckets: b([
      [0.5, 80],
      [1, 90],
      [INF, 100],
    ]),
  },
  // Rates are fractional.
  fractional: {
    buckets: b([
      [0.1, 0.5],
      [1, 1.5],
      [INF, 2],
    ]),
  },
  // Given out of order.
  unsorted: {
    buckets: b([
      [INF, 10],
      [1, 8],
      [0.1, 2],
    ]),
  },
  // No requests in the window.
  empty: {
    buckets: b([
      [0.1, 0],
      [1, 0],
      [INF, 0],
    ]),
  },
  // Only the +Inf bucket.
  onlyInf: { buckets: b([[INF, 10]]) },
  // No +Inf bucket: not a valid histogram.
  noInf: {
    buckets: b([
      [0.1, 5],
      [1, 10],
    ]),
  },
  // A count lower than the bucket below it (a counter reset inside the rate window): raised to 5.
  nonMonotonic: {
    buckets: b([
      [0.1, 5],
      [1, 3],
      [INF, 10],
    ]),
  },
  // The same in the middle: 0.5 raised to 5, so (0.5, 1] holds 3, not 5.
  nonMonotonicMiddle: {
    buckets: b([
      [0.1, 5],
      [0.5, 3],
      [1, 8],
      [INF, 10],
    ]),
  },
  // Two series with the same bound ("1" and "1.0"): counts are added.
  duplicateLe: {
    buckets: b([
      [1, 4],
      [1, 4],
      [INF, 10],
    ]),
    leLabels: ['1', '1.0', '+Inf'],
  },
  // First bound negative: the answer is the bound itself.
  negativeFirst: {
    buckets: b([
      [-1, 10],
      [INF, 10],
    ]),
  },
  // Every observation in the first bucket: interpolation starts at 0.
  firstBucket: {
    buckets: b([
      [0.2, 10],
      [1, 10],
      [INF, 10],
    ]),
  },
};

describe('histogramQuantile (hand-worked)', () => {
  const cases: Array<{ name: string; q: number; set: string; want: number }> = [
    // rank 95 lies in (0.25, 0.5] holding 9: 0.25 + 0.25 × (95 − 90) / 9
    { name: 'p95 of a gateway window', q: 0.95, set: 'gateway', want: 0.25 + 0.25 * (5 / 9) },
    // rank 50 is exactly the count of le=0.1: top of that bucket
    { name: 'median on a bucket edge', q: 0.5, set: 'gateway', want: 0.1 },
    // rank 95 > 90 (the highest finite count): the highest finite bound
    { name: 'rank in the +Inf bucket', q: 0.95, set: 'slowTail', want: 1 },
    // rank 1.9 > 1.5 (the highest finite count): the highest finite bound
    { name: 'fractional counts', q: 0.95, set: 'fractional', want: 1 },
    // rank 1 in (0.1, 1] holding 1 (0.5 → 1.5): half way
    { name: 'fractional counts, inside', q: 0.5, set: 'fractional', want: 0.1 + 0.9 * ((1 - 0.5) / 1) },
    // sorted to 0.1:2, 1:8, Inf:10; rank 5 in (0.1, 1] holding 6: 0.1 + 0.9 × 3/6
    { name: 'unsorted input', q: 0.5, set: 'unsorted', want: 0.1 + 0.9 * 0.5 },
    { name: 'no observations', q: 0.95, set: 'empty', want: NaN },
    { name: 'only +Inf bucket', q: 0.5, set: 'onlyInf', want: NaN },
    { name: 'no +Inf bucket', q: 0.5, set: 'noInf', want: NaN },
    // 0.1:5, 1:5 (raised), Inf:10; rank 5 → first bucket, its top
    { name: 'non-monotonic counts forced up', q: 0.5, set: 'nonMonotonic', want: 0.1 },
    // 0.1:5, 0.5:5, 1:8; rank 6 in (0.5, 1] holding 3: 0.5 + 0.5 × 1/3
    { name: 'non-monotonic counts forced up, inside', q: 0.6, set: 'nonMonotonicMiddle', want: 0.5 + 0.5 / 3 },
    // merged 1:8, Inf:10; rank 5 in (0, 1] holding 8: 5/8
    { name: 'duplicate bounds merged', q: 0.5, set: 'duplicateLe', want: 0.625 },
    { name: 'negative first bound', q: 0.5, set: 'negativeFirst', want: -1 },
    // rank 5 of 10 in (0, 0.2]: 0.1
    { name: 'first bucket from 0', q: 0.5, set: 'firstBucket', want: 0.1 },
    // rank 0, first bucket empty: 0 × (0/0) = NaN in Prometheus too
    { name: 'q = 0 with an empty first bucket', q: 0, set: 'empty', want: NaN },
    { name: 'q = 0 lands at the lower bound 0', q: 0, set: 'gateway', want: 0 },
    { name: 'q = 1: highest finite bound reached', q: 1, set: 'gateway', want: 1 },
    { name: 'q < 0', q: -0.5, set: 'gateway', want: -INF },
    { name: 'q > 1', q: 1.5, set: 'noInf', want: INF },
    { name: 'q NaN', q: NaN, set: 'gateway', want: NaN },
  ];
  it.each(cases)('$name', ({ q, set, want }) => {
    const got = histogramQuantile(q, BUCKETS[set].buckets);
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(got).toBeCloseTo(want, 12);
  });

  it('does not modify its input', () => {
    const buckets = b([
      [INF, 10],
      [1, 3],
      [0.1, 5],
    ]);
    const before = JSON.stringify(buckets);
    histogramQuantile(0.5, buckets);
    expect(JSON.stringify(buckets)).toBe(before);
  });
});

/** Float64 as YAML that Go parses back to the same value. */
function yamlNumber(x: number): string {
  if (x === INF) return '.inf';
  if (x === -INF) return '-.inf';
  return String(x);
}

describe('histogramQuantile agrees with Prometheus (promtool)', () => {
  const QS = [0, 0.01, 0.25, 0.5, 0.6, 0.9, 0.95, 0.99, 1, -0.1, 1.1];

  it('for every bucket set and q', () => {
    const which = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (which.error) {
      throw new Error(`promtool not found (${which.error.message}); install the real Prometheus: apt-get install -y prometheus`);
    }
    const series: string[] = [];
    for (const [name, { buckets, leLabels }] of Object.entries(BUCKETS)) {
      buckets.forEach((bucket, i) => {
        const le = leLabels?.[i] ?? (bucket.le === INF ? '+Inf' : String(bucket.le));
        series.push(`      - series: 'h_bucket{set="${name}",le="${le}"}'\n        values: '${bucket.count}'`);
      });
    }
    const tests: string[] = [];
    for (const q of QS) {
      const expr = `histogram_quantile(${q}, h_bucket)`;
      const finite: string[] = [];
      const nanFlags: string[] = [];
      for (const [name, { buckets }] of Object.entries(BUCKETS)) {
        const got = histogramQuantile(q, buckets);
        if (!Number.isNaN(got)) finite.push(`          - labels: '{set="${name}"}'\n            value: ${yamlNumber(got)}`);
        nanFlags.push(`          - labels: '{set="${name}"}'\n            value: ${Number.isNaN(got) ? 1 : 0}`);
      }
      // NaN never equals NaN in promtool's comparison, so: the non-NaN results by value, and
      // which results are NaN through `x != bool x` (1 exactly for NaN).
      tests.push(`      - expr: '${expr} unless (${expr} != ${expr})'\n        eval_time: 0\n        exp_samples:\n${finite.join('\n')}`);
      tests.push(`      - expr: '${expr} != bool ${expr}'\n        eval_time: 0\n        exp_samples:\n${nanFlags.join('\n')}`);
    }
    const yaml = `evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${series.join('\n')}\n    promql_expr_test:\n${tests.join('\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'hq-'));
    try {
      const file = join(dir, 'hq.yml');
      writeFileSync(file, yaml);
      const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
      // promtool prints "exp: … got: …" for every expression that differs.
      expect({ status: run.status, output: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ status: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function window(overrides: Partial<FunctionMetricsWindow> = {}): FunctionMetricsWindow {
  const cumulative = [5, 40, 80, 90, 96, 99, 100, 100, 100, 100, 100];
  return {
    functionName: 'f.openfaas-fn',
    windowSeconds: 30,
    invocationsByCode: new Map([
      ['200', 96],
      ['502', 4],
    ]),
    invocationsStarted: 101,
    latencyBuckets: [...GATEWAY_LATENCY_BUCKETS_SECONDS.map((le, i) => ({ le, count: cumulative[i] })), { le: INF, count: 100 }],
    latencySumSeconds: 2.4,
    latencyCount: 96,
    inflight: 1.5,
    cpuCores: 0.24,
    memoryBytes: 3 * 128 * 1024 * 1024,
    podsReporting: 3,
    replicas: 3,
    readyReplicas: 2,
    problems: [],
    ...overrides,
  };
}

const REQUESTS = { cpuCores: 0.1, memoryBytes: 256 * 1024 * 1024 };

describe('buildObservation', () => {
  it('derives every field from a complete window', () => {
    const obs = buildObservation(window(), REQUESTS);
    expect(obs).toEqual({
      functionName: 'f.openfaas-fn',
      windowSeconds: 30,
      rps: 100 / 30,
      requests: 100,
      startedRps: 101 / 30, // entered the gateway, one still in flight at the window's end
      // rank 95 in (0.05, 0.1] holding 6 (90 → 96): 0.05 + 0.05 × 5/6 s
      p95LatencyMs: expect.closeTo((0.05 + 0.05 * (5 / 6)) * 1000, 9),
      meanExecutionMs: expect.closeTo(25, 9),
      errorRate: 0.04,
      replicas: 3,
      readyReplicas: 2,
      cpuPerReplica: expect.closeTo(0.8, 12), // 0.24 cores / 3 pods / 0.1
      memoryPerReplica: 0.5, // 128 MiB / 256 MiB
      inflight: 1.5,
      missing: [],
      problems: [],
    });
  });

  const cases: Array<{
    name: string;
    window: Partial<FunctionMetricsWindow>;
    missing: string[];
    problem?: RegExp;
    check?: (o: ReturnType<typeof buildObservation>) => void;
  }> = [
    {
      // Idle function: zero traffic is a value, latency and error rate of nothing are not.
      name: 'no requests completed',
      window: {
        invocationsByCode: new Map([['200', 0]]),
        latencyBuckets: [
          { le: 0.1, count: 0 },
          { le: INF, count: 0 },
        ],
        latencySumSeconds: 0,
        latencyCount: 0,
      },
      missing: ['p95LatencyMs', 'meanExecutionMs', 'errorRate'],
      problem: /no requests completed in the window/,
      check: (o) => expect([o.rps, o.requests]).toEqual([0, 0]),
    },
    {
      // Prometheus A down: every gateway-derived field is null, resources still there.
      name: 'gateway metrics missing',
      window: {
        invocationsByCode: null,
        invocationsStarted: null,
        latencyBuckets: null,
        latencySumSeconds: null,
        latencyCount: null,
        problems: ['prometheus-a: connection refused'],
      },
      missing: ['rps', 'requests', 'p95LatencyMs', 'meanExecutionMs', 'errorRate'],
      problem: /prometheus-a: connection refused/,
      check: (o) => expect(o.cpuPerReplica).toBeCloseTo(0.8, 12),
    },
    {
      // Prometheus B down: traffic fields stay, resources are null.
      name: 'cAdvisor metrics missing',
      window: { cpuCores: null, memoryBytes: null, podsReporting: null },
      missing: ['cpuPerReplica', 'memoryPerReplica'],
      problem: /cpuPerReplica: CPU usage missing/,
    },
    {
      // Scaled to zero: nothing to divide by.
      name: 'no pods reporting',
      window: { cpuCores: 0, memoryBytes: 0, podsReporting: 0 },
      missing: ['cpuPerReplica', 'memoryPerReplica'],
      problem: /no pods reporting/,
    },
    {
      // Histogram without +Inf: histogram_quantile is NaN.
      name: 'histogram without +Inf',
      window: {
        latencyBuckets: [
          { le: 0.1, count: 5 },
          { le: 1, count: 100 },
        ],
      },
      missing: ['p95LatencyMs'],
      problem: /histogram_quantile gave NaN/,
    },
    {
      // OpenFaaS CE exports no inflight gauge; ready replicas unknown (gateway API down).
      name: 'CE without inflight, readiness unknown',
      window: { inflight: null, readyReplicas: null },
      missing: ['readyReplicas', 'inflight'],
      problem: /OpenFaaS CE has none/,
    },
    {
      // Only errors: mean execution time (code 200 only) is undefined, error rate is 1.
      name: 'only failed requests',
      window: {
        invocationsByCode: new Map([
          ['200', 0],
          ['504', 10],
        ]),
        latencySumSeconds: 0,
        latencyCount: 0,
      },
      missing: ['meanExecutionMs'],
      problem: /no successful requests/,
      check: (o) => expect(o.errorRate).toBe(1),
    },
  ];
  it.each(cases)('$name', ({ window: overrides, missing, problem, check }) => {
    const obs = buildObservation(window(overrides), REQUESTS);
    expect(obs.missing).toEqual(missing);
    for (const field of missing) expect(obs[field as keyof typeof obs]).toBeNull();
    if (problem) expect(obs.problems.join('\n')).toMatch(problem);
    check?.(obs);
  });
});

describe('buildObservation: startedRps (the offered load, optional field)', () => {
  const cases: Array<{ name: string; window: Partial<FunctionMetricsWindow>; want: number | null; problem?: RegExp }> = [
    // Saturated: 300 entered, 90 completed; startedRps sees what rps cannot.
    { name: 'more entered than completed', window: { invocationsStarted: 300, invocationsByCode: new Map([['200', 90]]) }, want: 10 },
    // Idle window: zero is a value.
    { name: 'nothing entered', window: { invocationsStarted: 0, invocationsByCode: new Map([['200', 0]]) }, want: 0 },
    // Counter absent: null, with the reason, and the other gateway fields unaffected.
    {
      name: 'started counter missing',
      window: { invocationsStarted: null },
      want: null,
      problem: /startedRps: invocation started counter missing/,
    },
    // A window of no length has no rate.
    { name: 'zero-length window', window: { windowSeconds: 0 }, want: null, problem: /startedRps: window length 0 s/ },
  ];
  it.each(cases)('$name', ({ window: overrides, want, problem }) => {
    const obs = buildObservation(window(overrides), REQUESTS);
    if (want === null) expect(obs.startedRps).toBeNull();
    else expect(obs.startedRps).toBeCloseTo(want, 12);
    // Not in OBSERVATION_FIELDS: `missing` stays what it was before the field existed.
    expect(obs.missing).not.toContain('startedRps');
    if (problem) expect(obs.problems.join('\n')).toMatch(problem);
  });
});

describe('missRatio', () => {
  // 100 requests: 60 ≤ 0.25 s, 30 more ≤ 0.5 s, 10 more ≤ 1 s, none above.
  const buckets = [
    { le: 0.1, count: 20 },
    { le: 0.25, count: 60 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  it.each([
    // SLO on a bucket bound: exactly the requests above it
    ['SLO 250 ms', buckets, { '200': 100 }, 250, 0.4],
    // half-way into the 0.25–0.5 bucket: 60 + 15 below → 25 % above
    ['SLO 375 ms, interpolated', buckets, { '200': 100 }, 375, 0.25],
    // above every finite bucket: none above
    ['SLO 2 s', buckets, { '200': 100 }, 2000, 0],
    // requests in the +Inf bucket are above any SLO
    ['the +Inf bucket', [...buckets.slice(0, 4), { le: Number.POSITIVE_INFINITY, count: 110 }], { '200': 110 }, 2000, 10 / 110],
    // fast errors the histogram places below the SLO: the error share wins
    ['fast errors', buckets, { '200': 70, '500': 30 }, 2000, 0.3],
    [
      'no requests',
      [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ],
      { '200': 0 },
      500,
      null,
    ],
  ])('%s', (_name, latencyBuckets, invocationsByCode, sloMs, want) => {
    const got = missRatio({ latencyBuckets, invocationsByCode: new Map(Object.entries(invocationsByCode)) }, sloMs);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 12);
  });
});
