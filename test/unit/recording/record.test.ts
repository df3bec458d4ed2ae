/**
 * runRecord against a small hand-written Prometheus stand-in (series of scrape samples, evaluated
 * at each step as Prometheus does: the last sample at or before it, 5-minute lookback): chunking
 * stays under the points limit and writes every step once; a counter reset, a gap in the scrapes
 * and a function without data come out as the named outcomes; an interrupted recording resumes to
 * the same file, also after a torn last line.
 */
import { appendFile, mkdtemp, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RangeQuerier, RangeSeries } from '../../../operator/src/metrics/prometheus.js';
import { readRecording } from '../../../operator/src/recording/format.js';
import { runRecord, type RecordOptions } from '../../../operator/src/recording/record.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const LOOKBACK_MS = 300_000;
const TARGET = { job: 'openfaas-gateway', instance: 'gw:8080' };

interface StoredSeries {
  metric: string;
  labels: Record<string, string>;
  samples: [ms: number, value: number][];
}

/** Scrapes every second at +300 ms; none in [GAP_FROM, GAP_TO); the counter resets at RESET. */
const GAP_FROM = T0 + 20_000;
const GAP_TO = T0 + 24_000;
const RESET = T0 + 10_500;

function store(): StoredSeries[] {
  const counter: StoredSeries = {
    metric: 'gateway_function_invocation_total',
    labels: { ...TARGET, function_name: 'fn.openfaas-fn', code: '200' },
    samples: [],
  };
  const replicas: StoredSeries = { metric: 'gateway_service_count', labels: { ...TARGET, function_name: 'fn.openfaas-fn' }, samples: [] };
  const up: StoredSeries = { metric: 'up', labels: TARGET, samples: [] };
  for (let ms = T0 - 5000 + 300; ms < T0 + 60_000; ms += 1000) {
    if (ms >= GAP_FROM && ms < GAP_TO) continue;
    // 10 requests per second; the gateway restarts at RESET and counts from 0 again.
    const value = ms < RESET ? 1000 + 10 * Math.floor((ms - T0 + 5000) / 1000) : 10 * Math.floor((ms - RESET) / 1000);
    counter.samples.push([ms, value]);
    replicas.samples.push([ms, 2]);
    up.samples.push([ms, 1]);
  }
  return [counter, replicas, up];
}

class FakePrometheus implements RangeQuerier {
  readonly name = 'fake';
  readonly calls: { promql: string; points: number }[] = [];
  constructor(private readonly series: StoredSeries[]) {}

  async queryRange(promql: string, range: { startMs: number; endMs: number; stepSeconds: number }): Promise<RangeSeries[]> {
    const stepMs = range.stepSeconds * 1000;
    const points = Math.floor((range.endMs - range.startMs) / stepMs) + 1;
    this.calls.push({ promql, points });
    if (points > 11_000) throw new Error('exceeded maximum resolution of 11,000 points per timeseries');
    const scrapeTimes = promql.startsWith('timestamp(up');
    const metric = scrapeTimes ? 'up' : /^[a-z_]+/.exec(promql)![0];
    const out: RangeSeries[] = [];
    for (const s of this.series.filter((x) => x.metric === metric)) {
      const timesMs: number[] = [];
      const values: number[] = [];
      for (let k = 0; k < points; k++) {
        const t = range.startMs + k * stepMs;
        const last = s.samples.filter(([ms]) => ms <= t && ms > t - LOOKBACK_MS).at(-1);
        if (!last) continue;
        timesMs.push(t);
        values.push(scrapeTimes ? last[0] / 1000 : last[1]);
      }
      if (timesMs.length > 0) out.push({ labels: s.labels, timesMs, values });
    }
    return out;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(prom: FakePrometheus, over: Partial<RecordOptions> = {}): RecordOptions {
  return {
    gateway: prom,
    cluster: prom,
    functions: [
      { name: 'fn', namespace: 'openfaas-fn' },
      { name: 'idle', namespace: 'openfaas-fn' },
    ],
    fromMs: T0,
    toMs: T0 + 40_000,
    stepSeconds: 1,
    chunkSteps: 7,
    out: join(dir, 'rec.ndjson'),
    sourceUrls: { a: 'http://a', b: 'http://b' },
    tool: 'test',
    now: () => T0,
    ...over,
  };
}

it('writes one record per step per function in chunks under the points limit, with resets repaired and gaps null', async () => {
  const prom = new FakePrometheus(store());
  const summary = await runRecord(options(prom));
  expect(summary).toMatchObject({ stepsTotal: 41, stepsWritten: 41, interrupted: false });
  // 6 chunks of ≤ 7 steps, each query with one extra point (the step before the chunk).
  expect(Math.max(...prom.calls.map((c) => c.points))).toBe(8);
  const rec = await readRecording(options(prom).out);
  const fn = rec.byFunction.get('fn.openfaas-fn')!;
  const at = (second: number): (typeof fn)[number] => fn[second];
  // Steady: 10 requests per 1-s step.
  expect([at(1).requests, at(5).requests, at(30).requests]).toEqual([10, 10, 10]);
  // The reset at 10.5 s: step 12 (11, 12] sees the scrape at 11.3 (0, counted from 0) after the one
  // at 10.3 (1150), so it is a reset with 0 new requests, noted; the next step is normal again.
  const resetStep = fn.findIndex((r) => r.notes.some((n) => n.startsWith('counter reset')));
  expect(resetStep).toBe(12);
  expect(at(12).requests).toBe(0);
  expect(at(13)).toMatchObject({ requests: 10, notes: [] });
  // Scrapes stop at 20 s and resume at 24.3 s: the steps in between and the first after are null.
  for (const s of [21, 22, 23, 24, 25]) {
    expect(at(s).requests).toBeNull();
    expect(at(s).missing.requests).toMatch(/^gap: /);
  }
  expect(at(26).requests).toBe(10);
  // A gauge keeps its last value while it is fresh (the scrape at 19.3 is 1.7 s old at step 21),
  // and is null once older than max-sample-age (2 s).
  expect([at(21).replicas, at(22).replicas, at(23).replicas]).toEqual([2, null, null]);
  // A function without series: every field null with its reason, never 0.
  const idle = rec.byFunction.get('idle.openfaas-fn')!;
  expect(idle.every((r) => r.requests === null)).toBe(true);
  expect(idle[3].missing.requests).toBe('no series gateway_function_invocation_total{function_name="idle.openfaas-fn"} on fake');
  expect(summary.notes.get('counter reset in 1 series of gateway_function_invocation_total')).toBe(1);
  expect(summary.nulls.requests!.count).toBe(41 + 5);
});

it('resumes an interrupted recording to the same file, also after a torn last line', async () => {
  const prom = new FakePrometheus(store());
  const straight = join(dir, 'straight.ndjson');
  await runRecord(options(prom, { out: straight }));

  const stop = new AbortController();
  const first = await runRecord(options(prom, { signal: stop.signal, onProgress: (p) => p.chunksDone === 2 && stop.abort() }));
  expect(first).toMatchObject({ interrupted: true, stepsWritten: 14 });
  // A kill in the middle of the next write leaves half a line (and a partial step).
  const out = options(prom).out;
  await appendFile(out, (await readFile(straight, 'utf8')).split('\n')[29].slice(0, 40));
  const resumed = await runRecord(options(prom, { resume: true }));
  expect(resumed).toMatchObject({ stepsResumed: 14, stepsWritten: 27, interrupted: false });
  expect(await readFile(out, 'utf8')).toBe(await readFile(straight, 'utf8'));

  // Resuming a finished recording writes nothing more.
  expect(await runRecord(options(prom, { resume: true }))).toMatchObject({ stepsResumed: 41, stepsWritten: 0 });
  await truncate(out, 0);
  await expect(runRecord(options(prom, { resume: true }))).rejects.toThrow(/--resume: .* has no complete header line/);
});

it('a query that fails leaves its fields null with the error, and the rest recorded', async () => {
  const prom = new FakePrometheus(store());
  const failing: RangeQuerier = {
    name: 'prometheus-b',
    queryRange: async () => {
      const { PrometheusError } = await import('../../../operator/src/metrics/prometheus.js');
      throw new PrometheusError('prometheus-b', 'unreachable', 'cannot reach http://b/api/v1/query_range (ECONNREFUSED)');
    },
  };
  await runRecord(options(prom, { cluster: failing, toMs: T0 + 5000 }));
  const r = (await readRecording(options(prom).out)).byFunction.get('fn.openfaas-fn')![2];
  expect(r.requests).toBe(10);
  expect(r.cpuCores).toBeNull();
  expect(r.missing.cpuCores).toBe('prometheus-b: cannot reach http://b/api/v1/query_range (ECONNREFUSED)');
  // Replicas fall back from kube-state-metrics (B) to the gateway's gateway_service_count (A).
  expect(r.replicas).toBe(2);
});
