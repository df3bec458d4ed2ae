/**
 * The replay engine against a real local HTTP server: what it sends, when, and how it accounts
 * for what comes back. Traces are tiny and time is compressed with a large speedup, so each case
 * takes about a second. Timing checks are lower bounds only (a request is never sent before its
 * time; a sleeping server cannot answer sooner than it sleeps), so a slow machine cannot fail them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { replay } from '../../workload-generator/src/replay.js';
import type { ReplayOptions, ReplayTarget } from '../../workload-generator/src/replay.js';
import { chiSquareFit, poissonPmf } from '../unit/workload-generator/chi-square.js';
import { closedPort, startSink } from './loadgen-sink.js';
import type { Sink } from './loadgen-sink.js';

function options(gateway: string, targets: ReplayTarget[], over: Partial<ReplayOptions> = {}): ReplayOptions {
  return {
    gateway,
    targets,
    binSeconds: 60,
    mode: 'exact',
    seed: 'integration',
    speedup: 120, // a minute bin in half a second
    passes: 1,
    timeoutMs: 5000,
    payload: new Uint8Array(0),
    maxInflight: 64,
    lateThresholdMs: 10,
    ...over,
  };
}

interface LogLine {
  intendedMs: number;
  bin: number;
  fn: string;
  lagMs: number;
  latencyMs: number;
  serviceMs: number;
  status: number | null;
  error?: string;
}

let dir: string;
let sink: Sink | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgen-replay-'));
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function readLog(file: string): Promise<LogLine[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

describe('exact mode', () => {
  it('sends exactly the bin counts of every function, in the right bins', async () => {
    sink = await startSink();
    const logFile = join(dir, 'requests.ndjson');
    const targets = [
      { traceId: 'a', openfaasName: 'alpha', counts: [30, 0, 12, 45] },
      { traceId: 'b', openfaasName: 'beta', counts: [5, 20, 0, 1] },
    ];
    const summary = await replay(options(sink.url, targets, { log: createWriteStream(logFile) }));

    // What the server received, per function.
    expect(Object.fromEntries(sink.counts)).toEqual({ '/function/alpha': 87, '/function/beta': 26 });
    // Per intended bin (the log's intended time / the bin's wall length), per function.
    const log = await readLog(logFile);
    const binWallMs = (60 / 120) * 1000;
    const perBin = (fn: string): number[] => {
      const counts = [0, 0, 0, 0];
      for (const l of log.filter((x) => x.fn === fn)) counts[Math.floor(l.intendedMs / binWallMs)]++;
      return counts;
    };
    expect({ alpha: perBin('alpha'), beta: perBin('beta') }).toEqual({ alpha: [30, 0, 12, 45], beta: [5, 20, 0, 1] });
    expect(summary.bins.slice(0, 4).map((b) => [b.target, b.scheduled])).toEqual([
      [35, 35],
      [20, 20],
      [12, 12],
      [46, 46],
    ]);
    expect({
      sent: summary.sent,
      ok: summary.ok,
      unsent: summary.unsent,
      errors: summary.errors.total,
      stoppedBy: summary.stoppedBy,
    }).toEqual({ sent: 113, ok: 113, unsent: 0, errors: 0, stoppedBy: 'end' });
    expect(summary.functions.map((f) => [f.openfaasName, f.target, f.sent, f.ok])).toEqual([
      ['alpha', 87, 87, 87],
      ['beta', 26, 26, 26],
    ]);
  });

  it('sends the payload with every request', async () => {
    sink = await startSink();
    await replay(options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [3] }], { payload: Buffer.alloc(1500, 'x') }));
    expect(sink.arrivals.map((a) => a.bytes)).toEqual([1500, 1500, 1500]);
  });
});

describe('poisson mode', () => {
  it('draws per-function counts that pass a chi-square test against Poisson (fixed seed)', async () => {
    // 120 functions, each one bin of mean 8: the number each receives is Poisson(8), independently.
    sink = await startSink();
    const lambda = 8;
    const targets = Array.from({ length: 120 }, (_, i) => ({ traceId: `f${i}`, openfaasName: `f${i}`, counts: [lambda] }));
    const summary = await replay(options(sink.url, targets, { mode: 'poisson', seed: 'chi-square-sink-1', speedup: 60 }));
    const received = targets.map((t) => sink!.counts.get(`/function/${t.openfaasName}`) ?? 0);
    expect(received.reduce((a, b) => a + b, 0)).toBe(summary.sent);
    const fit = chiSquareFit(received, poissonPmf(lambda));
    expect({ pValue: fit.pValue > 0.01, cells: fit.cells.length >= 5 }).toEqual({ pValue: true, cells: true });
    // Target is the mean, scheduled is the draw: the summary keeps both.
    expect(summary.target).toBe(120 * lambda);
    expect(summary.scheduled).toBe(summary.sent);
  });
});

describe('latency is measured from the intended send time', () => {
  it('shows a server that sleeps as growing latency and late sends, not as a lower rate', async () => {
    // 10 requests evenly spread over one 1-s bin (every 100 ms) to a server that takes 200 ms,
    // one at a time: request k is due at 50 + 100k ms but cannot leave before 50 + 200k ms, so
    // its latency from the intended time is at least 200 + 100k ms.
    sink = await startSink(() => ({ status: 200, delayMs: 200 }));
    const summary = await replay(
      options(sink.url, [{ traceId: 's', openfaasName: 'slow', counts: [10] }], { binSeconds: 1, speedup: 1, maxInflight: 1 }),
    );
    expect({ sent: summary.sent, ok: summary.ok, unsent: summary.unsent }).toEqual({ sent: 10, ok: 10, unsent: 0 });
    expect(summary.latencyMs.max!).toBeGreaterThanOrEqual(1100 * 0.995); // histogram precision 0.5 %
    expect(summary.serviceTimeMs.min!).toBeGreaterThanOrEqual(199);
    // Requests 1..9 leave at least 100 ms behind schedule each; request 0 may or may not be late.
    expect(summary.late.count).toBeGreaterThanOrEqual(9);
    expect(summary.late.lagMs.max!).toBeGreaterThanOrEqual(900 * 0.995);
    // What a closed-loop tool would report (time from the actual send) hides the queueing: with
    // sends serialized, the worst latency exceeds the worst service time by at least 100 ms
    // whichever request was slowest (typically by about 900 ms).
    expect(summary.latencyMs.max! - summary.serviceTimeMs.max!).toBeGreaterThanOrEqual(99.99);
  });
});

describe('errors are counted, the schedule is kept, nothing crashes', () => {
  it('counts 429 and 5xx per status code and per function', async () => {
    const replies: Record<string, number> = { '/function/ok': 200, '/function/busy': 429, '/function/broken': 503, '/function/bad': 500 };
    sink = await startSink((path) => ({ status: replies[path] ?? 404 }));
    const summary = await replay(
      options(sink.url, [
        { traceId: 'o', openfaasName: 'ok', counts: [10] },
        { traceId: 'b', openfaasName: 'busy', counts: [7] },
        { traceId: 'r', openfaasName: 'broken', counts: [4] },
        { traceId: 'x', openfaasName: 'bad', counts: [2] },
      ]),
    );
    expect(summary.responses).toEqual({ 200: 10, 429: 7, 500: 2, 503: 4 });
    expect(summary.errors.byStatus).toEqual({ 429: 7, 500: 2, 503: 4 });
    expect({ ok: summary.ok, errors: summary.errors.total, sent: summary.sent }).toEqual({ ok: 10, errors: 13, sent: 23 });
    expect(summary.functions.map((f) => [f.openfaasName, f.ok, f.errors])).toEqual([
      ['ok', 10, 0],
      ['busy', 0, 7],
      ['broken', 0, 4],
      ['bad', 0, 2],
    ]);
  });

  it('counts connection refusals and keeps sending on schedule', async () => {
    const port = await closedPort();
    const summary = await replay(options(`http://127.0.0.1:${port}`, [{ traceId: 'a', openfaasName: 'alpha', counts: [20, 15] }]));
    expect({
      scheduled: summary.scheduled,
      sent: summary.sent,
      refused: summary.errors.byKind.refused,
      ok: summary.ok,
      total: summary.errors.total,
    }).toEqual({ scheduled: 35, sent: 35, refused: 35, ok: 0, total: 35 });
    expect(summary.bins.map((b) => b.scheduled)).toEqual([20, 15]);
  });

  it('counts connections reset by the server', async () => {
    sink = await startSink(() => ({ reset: true }));
    const summary = await replay(options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [6] }]));
    expect({ sent: summary.sent, reset: summary.errors.byKind.reset, ok: summary.ok }).toEqual({ sent: 6, reset: 6, ok: 0 });
  });

  it('counts timeouts when the server never answers', async () => {
    sink = await startSink(() => ({ hang: true }));
    const summary = await replay(options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [4] }], { timeoutMs: 300 }));
    expect({ sent: summary.sent, timeout: summary.errors.byKind.timeout, ok: summary.ok }).toEqual({ sent: 4, timeout: 4, ok: 0 });
  });
});

describe('speedup', () => {
  it('compresses trace time by the speedup: intended times, bins and arrival times at the server', async () => {
    sink = await startSink();
    const logFile = join(dir, 'requests.ndjson');
    const t0 = performance.now();
    // Two minute bins of 4 and 2 requests at speedup 120: bins of 500 ms wall time; exact mode
    // puts the requests at the slot centres 7.5, 22.5, 37.5, 52.5 s and 75, 105 s of trace time.
    const summary = await replay(
      options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [4, 2] }], { log: createWriteStream(logFile) }),
    );
    const log = await readLog(logFile);
    expect(log.map((l) => l.intendedMs).sort((a, b) => a - b)).toEqual([62.5, 187.5, 312.5, 437.5, 625, 875]);
    expect(summary.config.binWallSeconds).toBe(0.5);
    expect(summary.elapsedSeconds).toBeGreaterThanOrEqual(1);
    // Never early: the k-th arrival at the server comes no sooner than the k-th intended time.
    const arrivedMs = sink.arrivals.map((a) => a.atMs - t0).sort((a, b) => a - b);
    const intendedMs = log.map((l) => l.intendedMs).sort((a, b) => a - b);
    expect(arrivedMs.every((at, k) => at >= intendedMs[k])).toBe(true);
    expect(log.every((l) => l.lagMs >= 0)).toBe(true);
  });

  it('repeats the trace with passes and stops at --duration', async () => {
    sink = await startSink();
    const looped = await replay(options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [3, 1] }], { passes: 3, speedup: 600 }));
    expect({ sent: looped.sent, bins: looped.bins.map((b) => b.scheduled) }).toEqual({ sent: 12, bins: [3, 1, 3, 1, 3, 1] });
    // Forever, cut at 0.25 s of wall time = 150 s of trace = 2.5 bins of 60 s at speedup 600.
    const cut = await replay(
      options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [4, 4] }], {
        passes: Infinity,
        speedup: 600,
        durationSeconds: 0.25,
      }),
    );
    // Bins 0 and 1 fully (4 + 4), bin 2 up to 30 s of its 60: the slots at 7.5 and 22.5 s.
    expect({ stoppedBy: cut.stoppedBy, sent: cut.sent, scheduled: cut.scheduled, target: cut.target }).toEqual({
      stoppedBy: 'duration',
      sent: 10,
      scheduled: 10,
      target: 10,
    });
  });
});

describe('a stalled generator', () => {
  it('still sends what was due before --duration, late, and prorates targets to the duration, not to the stall', async () => {
    sink = await startSink();
    // Block the event loop from about 200 ms to 300 ms, across the 250 ms duration limit: the
    // arrivals due at 207.5 and 237.5 ms go out late, after the limit, and still count.
    const stall = setTimeout(() => {
      const until = performance.now() + 100;
      while (performance.now() < until) {
        /* a stalled machine */
      }
    }, 200);
    const cut = await replay(
      options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: [4, 4, 4, 4] }], { speedup: 600, durationSeconds: 0.25 }),
    );
    clearTimeout(stall);
    expect({ stoppedBy: cut.stoppedBy, sent: cut.sent, scheduled: cut.scheduled, target: cut.target, received: sink.total() }).toEqual({
      stoppedBy: 'duration',
      sent: 10,
      scheduled: 10,
      target: 10,
      received: 10,
    });
    expect(cut.elapsedSeconds).toBeGreaterThanOrEqual(0.25);
  });
});

describe('stop signal', () => {
  it('stops sending, waits for in-flight requests and reports what was not sent', async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 100 }));
    const stop = new AbortController();
    const run = replay(
      options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: new Array(100).fill(60) }], {
        speedup: 60,
        stopSignal: stop.signal,
      }),
    );
    while (sink.total() < 20) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    const summary = await run;
    expect(summary.stoppedBy).toBe('signal');
    // Everything sent was answered (the drain waited for the 100 ms replies) and the server saw it all.
    expect({ ok: summary.ok, errors: summary.errors.total }).toEqual({ ok: summary.sent, errors: 0 });
    expect(sink.total()).toBe(summary.sent);
    expect(summary.sent).toBeLessThan(6000);
    expect(summary.scheduled).toBe(summary.sent + summary.unsent);
  });

  it('aborts in-flight requests on the hard stop and counts them', async () => {
    sink = await startSink(() => ({ hang: true }));
    const stop = new AbortController();
    const abort = new AbortController();
    const run = replay(
      options(sink.url, [{ traceId: 'a', openfaasName: 'alpha', counts: new Array(100).fill(60) }], {
        speedup: 60,
        timeoutMs: 60_000,
        stopSignal: stop.signal,
        abortSignal: abort.signal,
      }),
    );
    while (sink.total() < 5) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    abort.abort();
    const summary = await run;
    expect(summary.errors.byKind.aborted).toBe(summary.sent);
    expect(summary.sent).toBeGreaterThanOrEqual(5);
  });
});
