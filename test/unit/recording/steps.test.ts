/**
 * The named outcomes of one step of one function (operator/src/recording/steps.ts): a scenario per
 * row, built from hand-made aligned series (index 0 is the step before, index 1 the step).
 */
import {
  buildRecord,
  counterIncrease,
  gaugeValue,
  QueryData,
  TargetHealth,
  type AlignedSeries,
  type ChunkData,
  type StepContext,
} from '../../../operator/src/recording/steps.js';
import { recordQueries, type QuerySpec } from '../../../operator/src/recording/queries.js';

const START = Date.UTC(2026, 0, 1);
const STEP = 1000;
const GATEWAY = { job: 'openfaas-gateway', instance: 'gw:8080' };
const SPECS = Object.fromEntries(recordQueries([{ name: 'fn', namespace: 'openfaas-fn' }]).map((q) => [q.key, q])) as Record<
  string,
  QuerySpec
>;

/** A series with values at points 0 and 1 (undefined: absent). */
function series(labels: Record<string, string>, before: number | undefined, now: number | undefined): AlignedSeries {
  return {
    labels: { ...GATEWAY, function_name: 'fn.openfaas-fn', ...labels },
    present: Uint8Array.from([before === undefined ? 0 : 1, now === undefined ? 0 : 1]),
    values: Float64Array.from([before ?? 0, now ?? 0]),
  };
}

/** Scrape times (s) of the gateway target at points 0 and 1; undefined: no successful scrape. */
function health(before: number | undefined, now: number | undefined): TargetHealth {
  const up: AlignedSeries = {
    labels: GATEWAY,
    present: Uint8Array.from([before === undefined ? 0 : 1, now === undefined ? 0 : 1]),
    values: Float64Array.from([before ?? 0, now ?? 0]),
  };
  return new TargetHealth([up], [GATEWAY.job], { startMs: START, stepMs: STEP, maxSampleAgeMs: 2 * STEP });
}

const t = (j: number): number => (START + j * STEP) / 1000;
const fresh = health(t(0) - 0.3, t(1) - 0.3);

function ctx(h: TargetHealth = fresh): StepContext {
  return { health: h, sourceJobs: { a: new Set([GATEWAY.job]), b: new Set() }, sourceNames: { a: 'prometheus-a', b: 'prometheus-b' } };
}

describe('counterIncrease', () => {
  const cases: { name: string; series: AlignedSeries[]; health?: TargetHealth; want: number | null; reason?: RegExp; note?: RegExp }[] = [
    { name: 'plain increase', series: [series({ code: '200' }, 100, 130)], want: 30 },
    { name: 'two codes add up', series: [series({ code: '200' }, 100, 130), series({ code: '504' }, 2, 3)], want: 31 },
    // A gateway restart: the counter starts again from 0; the increase is the new value (as increase() does).
    { name: 'counter reset', series: [series({ code: '200' }, 100, 7)], want: 7, note: /counter reset in 1 series/ },
    // The first 504 of the run creates its series: its first value is all new.
    {
      name: 'series created in the step',
      series: [series({ code: '200' }, 100, 130), series({ code: '504' }, undefined, 2)],
      want: 32,
      note: /1 series of .* started in this step/,
    },
    // A series that ended (a pod gone) contributes nothing more.
    { name: 'series ended', series: [series({ code: '200' }, 100, 130), series({ code: '504' }, 2, undefined)], want: 30 },
    // Prometheus stopped: the same scrape is seen at both steps, so "no increase" is not known.
    {
      name: 'no new scrape (stopped Prometheus)',
      series: [series({ code: '200' }, 100, 100)],
      health: health(t(0) - 0.3, t(0) - 0.3),
      want: null,
      reason: /^gap: no new scrape of openfaas-gateway/,
    },
    // The target came back after a gap: the value covers an unknown span.
    {
      name: 'back after a gap',
      series: [series({ code: '200' }, undefined, 500)],
      health: health(undefined, t(1) - 0.3),
      want: null,
      reason: /^gap: no scrape of openfaas-gateway .* at the previous step/,
    },
    {
      name: 'NaN sample',
      series: [series({ code: '200' }, 100, Number.NaN)],
      want: null,
      reason: /^NaN sample in gateway_function_invocation_total\{code="200"/,
    },
    {
      name: '+Inf at the previous step',
      series: [series({ code: '200' }, Number.POSITIVE_INFINITY, 3)],
      want: null,
      reason: /^infinite sample at the previous step/,
    },
    { name: 'no series at all', series: [], want: null, reason: /^no series X on prometheus-a/ },
    {
      name: 'no scrape at all at this step',
      series: [],
      health: health(t(0) - 0.3, t(0) - 2.5),
      want: null,
      reason: /^gap: prometheus-a has no scrape of openfaas-gateway at this step/,
    },
  ];
  it.each(cases)('$name', ({ series: s, health: h, want, reason, note }) => {
    const q = new QueryData(SPECS.invocations, s);
    const got = counterIncrease({ q, series: s }, { j: 1, ctx: ctx(h) }, 'X');
    if (want === null) {
      expect(got.value).toBeNull();
      expect((got as { reason: string }).reason).toMatch(reason!);
    } else {
      expect(got.value).toBe(want);
      if (note) expect((got as { notes: string[] }).notes).toEqual([expect.stringMatching(note)]);
      else expect((got as { notes: string[] }).notes).toEqual([]);
    }
  });
});

describe('gaugeValue', () => {
  const kube = (labels: Record<string, string>, v: number | undefined): AlignedSeries => ({ ...series({ ...labels }, v, v) });
  it.each([
    { name: 'one series', series: [kube({}, 4)], single: true, want: 4 },
    { name: 'memory summed over pods', series: [kube({ pod: 'a' }, 10), kube({ pod: 'b' }, 20)], single: false, want: 30 },
    // Two gateways both export the replicas: summing would double them.
    {
      name: 'several series where one is expected',
      series: [kube({ instance: 'gw1' }, 4), kube({ instance: 'gw2' }, 4)],
      single: true,
      want: null,
      reason: /^several series/,
    },
    { name: 'NaN', series: [kube({}, Number.NaN)], single: true, want: null, reason: /^NaN sample/ },
    { name: 'absent', series: [kube({}, undefined)], single: true, want: null, reason: /^no series/ },
  ])('$name', ({ series: s, single, want, reason }) => {
    const got = gaugeValue(
      { q: new QueryData(SPECS.serviceCount, s), series: s },
      { j: 1, ctx: ctx(new TargetHealth([], [], { startMs: START, stepMs: STEP, maxSampleAgeMs: 2000 })) },
      'X',
      single,
    );
    expect(got.value).toBe(want);
    if (want === null) expect((got as { reason: string }).reason).toMatch(reason!);
  });
});

describe('buildRecord', () => {
  const b = (le: string, before: number, now: number): AlignedSeries => series({ le, code: '200' }, before, now);
  const data = (over: Partial<Record<string, AlignedSeries[]>> = {}): ChunkData =>
    Object.fromEntries(Object.entries(SPECS).map(([k, spec]) => [k, new QueryData(spec, over[k] ?? [])])) as unknown as ChunkData;

  it('derives rps, buckets and mean execution time, and names every null field', () => {
    const rec = buildRecord(
      data({
        invocations: [series({ code: '200' }, 10, 40)],
        started: [series({}, 12, 44)],
        buckets: [b('0.1', 0, 10), b('0.25', 5, 35), b('+Inf', 10, 40)],
        latencySum: [series({ code: '200' }, 1, 7)],
        latencyCount: [series({ code: '200' }, 10, 40)],
        serviceCount: [series({}, 3, 3)],
      }),
      'fn.openfaas-fn',
      { j: 1, tMs: START + STEP, stepSeconds: 1 },
      ctx(),
    );
    expect(rec).toMatchObject({
      t: new Date(START + STEP).toISOString(),
      requests: 30,
      requestsByCode: { '200': 30 },
      started: 32,
      rps: 30,
      latencyBuckets: [
        { le: 0.1, count: 10 },
        { le: 0.25, count: 30 },
        { le: Number.POSITIVE_INFINITY, count: 30 },
      ],
      latencySumSeconds: 6,
      latencyCount: 30,
      meanExecutionMs: 200,
      replicas: 3,
      readyReplicas: null,
      cpuCores: null,
    });
    expect(Object.keys(rec.missing).sort()).toEqual(['cpuCores', 'inflight', 'memoryBytes', 'pods', 'readyReplicas']);
    expect(rec.missing.readyReplicas).toMatch(
      /no series kube_deployment_status_replicas_ready\{namespace="openfaas-fn",deployment="fn"\} on prometheus-b \(is kube-state-metrics scraped/,
    );
    expect(rec.missing.inflight).toMatch(/OpenFaaS CE has no inflight gauge/);
  });

  it('keeps the buckets monotonic when one le series reset and the others did not', () => {
    const rec = buildRecord(
      data({ buckets: [b('0.1', 100, 3), b('+Inf', 10, 2)] }),
      'fn.openfaas-fn',
      { j: 1, tMs: START + STEP, stepSeconds: 1 },
      ctx(),
    );
    // le=0.1 reset (3 new), +Inf went 10 → 2 as well (2 new); cumulative counts cannot fall.
    expect(rec.latencyBuckets).toEqual([
      { le: 0.1, count: 3 },
      { le: Number.POSITIVE_INFINITY, count: 3 },
    ]);
  });
});
