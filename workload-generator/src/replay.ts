/**
 * The replay engine: one open-loop scheduler sending a trace's arrivals to an OpenFaaS gateway.
 *
 * Why it is built this way (see docs/adr for the longer argument):
 * - **Open loop, no coordinated omission.** Every request has an intended send time from the
 *   arrival schedule. Latency is measured from that time, not from when the request left, so a
 *   gateway that slows us down shows up as latency instead of as a quietly lower rate.
 * - **One scheduler, no per-request timers.** A single loop sends everything that is due, then
 *   sleeps with `setTimeout` until the next arrival. Node timers have 1 ms granularity, so sends
 *   go out in small batches, typically under a millisecond late (the summary's `late.lagMs`
 *   shows it). We measured the alternative — sleeping until ~2 ms before and spinning with
 *   `setImmediate` — on the shared 2-core machine: it was more precise only when the machine
 *   was idle, burned 2–4× the CPU (0.4–0.8 of a core at 3,000–6,000 req/s against 0.15–0.25),
 *   and when other processes competed it got preempted longer, so its tail lag was worse (see
 *   docs/adr/004). Request timeouts are undici's per-connection timers, not ours.
 * - **Nothing is dropped.** When `--max-inflight` requests are outstanding, the schedule waits;
 *   the waiting requests go out as soon as a slot frees, late, and count as late (more than
 *   `lateThresholdMs` behind). Only a stop (SIGINT) leaves due-but-unsent arrivals, and they are
 *   reported as `unsent`.
 * - **Keep-alive pool.** One undici `Pool` to the gateway with `connections = maxInflight`, so
 *   there is never a request queued inside undici: in-flight and open connections match.
 */
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { ArrivalSchedule } from './arrivals.js';
import type { ArrivalMode, BinArrivals } from './arrivals.js';
import { LatencyHistogram, round3 } from './histogram.js';
import { absErrorStats, ERROR_KINDS, round6 } from './replay-summary.js';
import type { BinSummary, ErrorKind, ReplaySummary, StopReason } from './replay-summary.js';

/** Waits shorter than this are not worth a timer (its minimum is 1 ms): yield once instead. */
const YIELD_ONLY_MS = 0.1;
/** A bin's arrivals are drawn this long before the bin starts, so drawing never delays sends. */
const LOOKAHEAD_MS = 20;
/** Log lines are written in batches of this many. */
const LOG_BATCH = 512;

export interface ReplayTarget {
  traceId: string;
  openfaasName: string;
  /** Invocations per bin, already rate-scaled. */
  counts: readonly number[];
}

export interface ProgressSnapshot {
  elapsedSeconds: number;
  /** Target rate of the current bin (requests per wall-clock second). */
  targetRps: number;
  /** Requests sent per second over the last progress interval. */
  achievedRps: number;
  sent: number;
  ok: number;
  errors: number;
  late: number;
  inflight: number;
}

export interface ReplayOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  gateway: string;
  targets: readonly ReplayTarget[];
  binSeconds: number;
  mode: ArrivalMode;
  seed: string;
  /** Trace seconds per wall-clock second. */
  speedup: number;
  /** Passes over the trace; Infinity loops until `durationSeconds` or a stop. */
  passes: number;
  /** Wall-clock limit for sending; undefined = until the schedule ends. */
  durationSeconds?: number;
  /** Per-request limit: no response headers (or a body stall) for this long → a timeout error. */
  timeoutMs: number;
  payload: Uint8Array;
  maxInflight: number;
  lateThresholdMs: number;
  /**
   * One NDJSON line per finished request. The caller listens for the stream's 'error' (a full
   * disk must not crash the run); after an error, lines are discarded.
   */
  log?: Writable;
  onProgress?: (p: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  /** Graceful stop: no more sends; in-flight requests get up to `timeoutMs` to finish. */
  stopSignal?: AbortSignal;
  /** Hard stop: in-flight requests are aborted now (counted as `aborted`). */
  abortSignal?: AbortSignal;
}

type State = 'running' | 'finishing' | 'draining' | 'done';

/** Run a replay to its end (schedule, duration or stop) and return the summary. */
export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const engine = new ReplayEngine(opts);
  return engine.run();
}

class ReplayEngine {
  private readonly schedule: ArrivalSchedule;
  private readonly pool: Pool;
  private readonly paths: string[];
  private readonly headers = { 'content-type': 'application/octet-stream', 'user-agent': 'faas-loadgen' };
  private readonly msPerTraceSecond: number;
  private readonly binWallMs: number;

  private state: State = 'running';
  private stoppedBy: StopReason = 'end';
  private startMs = 0;
  private startedAt = '';
  private stopAtMs = Infinity;
  private endedMs = 0;
  private finishingUntilMs = Infinity;
  private finishingScheduleEndMs = Infinity;

  // The bin being sent and the next one to draw.
  private dueMs = new Float64Array(0);
  private fnOfArrival: Uint32Array = new Uint32Array(0);
  private cursor = 0;
  private nextBinStartMs = 0;
  private scheduleExhausted = false;
  /** The last two bins drawn (a bin is drawn slightly before the previous one ends). */
  private readonly recentBins: { index: number; bin: number; startMs: number }[] = [];

  private inflight = 0;
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private resolveDone: (() => void) | undefined;

  // Counters.
  private sent = 0;
  private ok = 0;
  private late = 0;
  private unsent = 0;
  private readonly responses = new Map<number, number>();
  private readonly byKind: Record<ErrorKind, number> = { refused: 0, reset: 0, timeout: 0, aborted: 0, other: 0 };
  private readonly otherCodes = new Map<string, number>();
  private readonly lag = new LatencyHistogram();
  private readonly latency = new LatencyHistogram();
  private readonly service = new LatencyHistogram();
  private readonly binTarget: number[] = [];
  private readonly binScheduled: number[] = [];
  private readonly binSent: number[] = [];
  private readonly binOk: number[] = [];
  private readonly binErrors: number[] = [];
  private readonly fnTarget: Float64Array;
  private readonly fnScheduled: Float64Array;
  private readonly fnSent: Float64Array;
  private readonly fnOk: Float64Array;
  private readonly fnErrors: Float64Array;
  private currentBinTarget = 0;
  private sentAtLastProgress = 0;
  private lastProgressMs = 0;
  private logLines: string[] = [];

  constructor(private readonly opts: ReplayOptions) {
    if (!(opts.speedup > 0)) throw new RangeError(`speedup must be > 0, got ${opts.speedup}`);
    if (!(opts.maxInflight >= 1)) throw new RangeError(`maxInflight must be >= 1, got ${opts.maxInflight}`);
    this.schedule = new ArrivalSchedule({
      functions: opts.targets.map((t) => ({ id: t.traceId, counts: t.counts })),
      binSeconds: opts.binSeconds,
      mode: opts.mode,
      seed: opts.seed,
      passes: opts.passes,
    });
    this.msPerTraceSecond = 1000 / opts.speedup;
    this.binWallMs = opts.binSeconds * this.msPerTraceSecond;
    const url = new URL(opts.gateway);
    const base = url.pathname.replace(/\/+$/, '');
    this.paths = opts.targets.map((t) => `${base}/function/${t.openfaasName}`);
    this.pool = new Pool(url.origin, {
      connections: opts.maxInflight,
      pipelining: 1,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: opts.timeoutMs },
    });
    const n = opts.targets.length;
    this.fnTarget = new Float64Array(n);
    this.fnScheduled = new Float64Array(n);
    this.fnSent = new Float64Array(n);
    this.fnOk = new Float64Array(n);
    this.fnErrors = new Float64Array(n);
  }

  async run(): Promise<ReplaySummary> {
    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    const onStop = (): void => this.stop();
    const onAbort = (): void => this.abortInflight();
    this.opts.stopSignal?.addEventListener('abort', onStop, { once: true });
    this.opts.abortSignal?.addEventListener('abort', onAbort, { once: true });

    this.startMs = performance.now();
    this.startedAt = new Date().toISOString();
    this.nextBinStartMs = this.startMs;
    this.lastProgressMs = this.startMs;
    if (this.opts.durationSeconds !== undefined) this.stopAtMs = this.startMs + this.opts.durationSeconds * 1000;
    if (this.opts.onProgress) {
      this.progressTimer = setInterval(() => this.progress(), this.opts.progressIntervalMs ?? 1000);
    }
    if (this.opts.stopSignal?.aborted) this.stop();
    else this.pump();

    await done;
    this.opts.stopSignal?.removeEventListener('abort', onStop);
    this.opts.abortSignal?.removeEventListener('abort', onAbort);
    await this.pool.destroy().catch(() => undefined);
    await this.closeLog();
    return this.summary();
  }

  /** The scheduler: send what is due, then sleep until the next arrival. */
  private readonly pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.state !== 'running') return;
    let now = performance.now();
    for (;;) {
      if (this.cursor >= this.dueMs.length) {
        if (this.scheduleExhausted) return this.finishScheduling('end', this.endOfScheduleMs());
        if (this.nextBinStartMs >= this.stopAtMs) return this.finishScheduling('duration', this.stopAtMs);
        if (this.nextBinStartMs - LOOKAHEAD_MS > now) return this.arm(this.nextBinStartMs - LOOKAHEAD_MS - now);
        this.loadNextBin();
        continue;
      }
      const due = this.dueMs[this.cursor];
      if (due >= this.stopAtMs) return this.finishScheduling('duration', this.stopAtMs);
      if (due > now) return this.arm(due - now);
      if (this.inflight >= this.opts.maxInflight) {
        this.blocked = true; // resumed by the next completion
        return;
      }
      this.send(this.fnOfArrival[this.cursor], due, now);
      this.cursor++;
      now = performance.now();
    }
  };

  private arm(waitMs: number): void {
    if (waitMs < YIELD_ONLY_MS) this.immediate = setImmediate(this.pump);
    else this.timer = setTimeout(this.pump, Math.max(1, waitMs));
  }

  private loadNextBin(): void {
    const bin: BinArrivals | undefined = this.schedule.next();
    if (bin === undefined) {
      this.scheduleExhausted = true;
      this.dueMs = new Float64Array(0);
      this.cursor = 0;
      return;
    }
    const n = bin.times.length;
    const due = new Float64Array(n);
    for (let i = 0; i < n; i++) due[i] = this.startMs + bin.times[i] * this.msPerTraceSecond;
    this.dueMs = due;
    this.fnOfArrival = bin.functionIndex;
    this.cursor = 0;
    const startMs = this.startMs + bin.startSeconds * this.msPerTraceSecond;
    this.nextBinStartMs = startMs + this.binWallMs;
    this.currentBinTarget = bin.target;
    this.recentBins.push({ index: bin.index, bin: bin.bin, startMs });
    if (this.recentBins.length > 2) this.recentBins.shift();
    grow(this.binTarget, bin.index);
    grow(this.binScheduled, bin.index);
    this.binTarget[bin.index] += bin.target;
    this.binScheduled[bin.index] += n;
    for (let i = 0; i < n; i++) this.fnScheduled[bin.functionIndex[i]]++;
    for (let f = 0; f < this.opts.targets.length; f++) this.fnTarget[f] += this.opts.targets[f].counts[bin.bin] ?? 0;
  }

  /**
   * Sending stopped at `endMs`: arrivals drawn but not yet due leave `scheduled`, and the targets
   * of bins cut by the stop are prorated by the part of their wall window inside the run.
   */
  private settle(settleAtMs: number, endMs: number): void {
    for (let i = this.cursor; i < this.dueMs.length; i++) {
      const bin = this.recentBins[this.recentBins.length - 1].index;
      this.binScheduled[bin]--;
      this.fnScheduled[this.fnOfArrival[i]]--;
    }
    this.cursor = this.dueMs.length;
    for (const b of this.recentBins) {
      const uncovered = 1 - Math.min(1, Math.max(0, (settleAtMs - b.startMs) / this.binWallMs));
      if (uncovered <= 0) continue;
      this.binTarget[b.index] -= uncovered * this.binTarget[b.index];
      for (let f = 0; f < this.opts.targets.length; f++) this.fnTarget[f] -= uncovered * (this.opts.targets[f].counts[b.bin] ?? 0);
    }
    this.endedMs = endMs;
  }

  private endOfScheduleMs(): number {
    return this.startMs + this.schedule.totalBins * this.binWallMs;
  }

  private send(fn: number, dueMs: number, nowMs: number): void {
    const lagMs = nowMs - dueMs;
    this.lag.record(lagMs);
    if (lagMs > this.opts.lateThresholdMs) this.late++;
    const bin = Math.floor((nowMs - this.startMs) / this.binWallMs);
    grow(this.binSent, bin);
    this.binSent[bin]++;
    this.fnSent[fn]++;
    this.sent++;
    this.inflight++;
    const handler = new RequestHandler(this, fn, dueMs, nowMs, bin);
    this.pool.dispatch({ path: this.paths[fn], method: 'POST', body: this.opts.payload, headers: this.headers }, handler);
  }

  /** Called once per request by its handler, with the status (0 if none) and the error if any. */
  complete(h: RequestHandler, status: number, err: Error | undefined): void {
    const endMs = performance.now();
    this.inflight--;
    let kind: ErrorKind | undefined;
    if (err === undefined) {
      this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
      this.latency.record(endMs - h.dueMs);
      this.service.record(endMs - h.sentMs);
      if (status >= 200 && status < 300) {
        this.ok++;
        this.fnOk[h.fn]++;
        grow(this.binOk, h.bin);
        this.binOk[h.bin]++;
      } else {
        this.countError(h);
      }
    } else {
      kind = classifyError(err);
      this.byKind[kind]++;
      if (kind === 'other') {
        const code = errorCode(err) ?? err.name;
        this.otherCodes.set(code, (this.otherCodes.get(code) ?? 0) + 1);
      }
      this.countError(h);
    }
    if (this.opts.log) this.logRequest(h, endMs, status, kind);

    if (this.state === 'running') {
      if (this.blocked) {
        this.blocked = false;
        if (this.immediate === undefined && this.timer === undefined) this.immediate = setImmediate(this.pump);
      }
    } else if (this.state === 'draining' && this.inflight === 0) {
      this.finish();
    }
  }

  private countError(h: RequestHandler): void {
    this.fnErrors[h.fn]++;
    grow(this.binErrors, h.bin);
    this.binErrors[h.bin]++;
  }

  /**
   * No more arrivals to send before `untilMs` (end of the schedule or of --duration): the run
   * lasts until then, in-flight requests get the timeout plus a second to finish.
   */
  private finishScheduling(reason: StopReason, scheduleEndMs: number): void {
    // A last send behind schedule may go out after the end; the run's length includes it, while
    // targets are prorated to the schedule's end (--duration), not to when we got there.
    const untilMs = Math.max(scheduleEndMs, performance.now());
    this.stoppedBy = reason;
    this.state = 'finishing';
    this.finishingUntilMs = untilMs;
    this.finishingScheduleEndMs = scheduleEndMs;
    const wait = untilMs - performance.now();
    const drain = (): void => this.drain(this.opts.timeoutMs + 1000, scheduleEndMs, untilMs);
    if (wait > 0) this.timer = setTimeout(drain, wait);
    else drain();
  }

  /** Graceful stop (SIGINT): stop sending now, count what was due but unsent, drain. */
  private stop(): void {
    if (this.state === 'draining' || this.state === 'done') return;
    const now = performance.now();
    if (this.state === 'running') this.unsent = this.countDueUnsent(now);
    this.stoppedBy = 'signal';
    this.drain(this.opts.timeoutMs, Math.min(now, this.finishingScheduleEndMs), Math.min(now, this.finishingUntilMs));
  }

  private countDueUnsent(now: number): number {
    let n = 0;
    for (;;) {
      while (this.cursor < this.dueMs.length && this.dueMs[this.cursor] <= now && this.dueMs[this.cursor] < this.stopAtMs) {
        n++;
        this.cursor++;
      }
      if (this.cursor < this.dueMs.length || this.scheduleExhausted || this.nextBinStartMs > now || this.nextBinStartMs >= this.stopAtMs)
        return n;
      this.loadNextBin();
    }
  }

  /**
   * Sending ended at `endMs` (targets prorated to `settleAtMs`); wait up to `graceMs` for
   * in-flight requests, then abort the rest.
   */
  private drain(graceMs: number, settleAtMs: number, endMs: number): void {
    this.clearTimers();
    this.state = 'draining';
    this.settle(settleAtMs, endMs);
    if (this.inflight === 0) return this.finish();
    this.drainTimer = setTimeout(() => this.abortInflight(), graceMs);
  }

  /** Abort every in-flight request (their handlers report `aborted`), then finish. */
  private abortInflight(): void {
    if (this.state === 'done') return;
    if (this.state === 'running' || this.state === 'finishing') {
      const now = performance.now();
      if (this.state === 'running') this.unsent = this.countDueUnsent(now);
      this.stoppedBy = 'signal';
      this.clearTimers();
      this.state = 'draining';
      this.settle(Math.min(now, this.finishingScheduleEndMs), Math.min(now, this.finishingUntilMs));
    }
    if (this.inflight === 0) return this.finish();
    this.pool.destroy().catch(() => undefined);
  }

  private finish(): void {
    if (this.state === 'done') return;
    this.clearTimers();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.state = 'done';
    this.resolveDone?.();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.timer = undefined;
    this.immediate = undefined;
    this.progressTimer = undefined;
  }

  private progress(): void {
    const now = performance.now();
    const intervalS = (now - this.lastProgressMs) / 1000;
    const snapshot: ProgressSnapshot = {
      elapsedSeconds: round3((now - this.startMs) / 1000),
      targetRps: round3(this.currentBinTarget / (this.binWallMs / 1000)),
      achievedRps: intervalS > 0 ? round3((this.sent - this.sentAtLastProgress) / intervalS) : 0,
      sent: this.sent,
      ok: this.ok,
      errors: this.sent - this.ok - this.inflight,
      late: this.late,
      inflight: this.inflight,
    };
    this.sentAtLastProgress = this.sent;
    this.lastProgressMs = now;
    this.flushLog();
    this.opts.onProgress?.(snapshot);
  }

  private logRequest(h: RequestHandler, endMs: number, status: number, kind: ErrorKind | undefined): void {
    const line =
      `{"intendedMs":${round3(h.dueMs - this.startMs)},"bin":${h.bin},"fn":${JSON.stringify(this.opts.targets[h.fn].openfaasName)}` +
      `,"lagMs":${round3(h.sentMs - h.dueMs)},"latencyMs":${round3(endMs - h.dueMs)},"serviceMs":${round3(endMs - h.sentMs)}` +
      `,"status":${status === 0 ? 'null' : status}${kind === undefined ? '' : `,"error":"${kind}"`}}\n`;
    this.logLines.push(line);
    if (this.logLines.length >= LOG_BATCH) this.flushLog();
  }

  private flushLog(): void {
    if (!this.opts.log || this.logLines.length === 0) return;
    if (this.opts.log.destroyed || this.opts.log.errored) {
      this.logLines = [];
      return;
    }
    this.opts.log.write(this.logLines.join(''));
    this.logLines = [];
  }

  /** Flush and close the log. A failed log stream is the caller's to report (see `log` option). */
  private async closeLog(): Promise<void> {
    const log = this.opts.log;
    if (!log) return;
    if (!log.destroyed && !log.errored) this.flushLog();
    if (log.destroyed || log.errored || log.writableFinished) return;
    log.end();
    // `finished` settles after the last write has succeeded or failed ('error' comes after an
    // end() callback would), so the caller's error listener has seen any failure by then.
    await finished(log).catch(() => undefined);
  }

  private summary(): ReplaySummary {
    const o = this.opts;
    const elapsedSeconds = (this.endedMs - this.startMs) / 1000;
    const nBins = Math.max(this.binTarget.length, this.binSent.length);
    const bins: BinSummary[] = [];
    for (let k = 0; k < nBins; k++) {
      const target = this.binTarget[k] ?? 0;
      const scheduled = this.binScheduled[k] ?? 0;
      const sent = this.binSent[k] ?? 0;
      bins.push({
        index: k,
        startSeconds: round6((k * this.binWallMs) / 1000),
        target: round6(target),
        scheduled,
        sent,
        ok: this.binOk[k] ?? 0,
        errors: this.binErrors[k] ?? 0,
        errorVsTarget: target > 0 ? round6((sent - target) / target) : null,
        errorVsScheduled: scheduled > 0 ? round6((sent - scheduled) / scheduled) : null,
      });
    }
    // Rate errors are judged on bins with at least one expected request and whose wall window
    // was fully inside the run (a stop mid-bin would otherwise show as a shortfall).
    const fullBins = bins.filter((b) => b.startSeconds * 1000 + this.binWallMs <= this.endedMs - this.startMs + 1e-6 && b.target >= 1);
    const vsTarget = absErrorStats(fullBins.map((b) => b.errorVsTarget));
    const vsScheduled = absErrorStats(fullBins.filter((b) => b.scheduled >= 1).map((b) => b.errorVsScheduled));
    const target = this.binTarget.reduce((a, b) => a + b, 0);
    const scheduled = this.binScheduled.reduce((a, b) => a + b, 0);
    const responses: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    for (const [code, n] of [...this.responses.entries()].sort((a, b) => a[0] - b[0])) {
      responses[String(code)] = n;
      if (code < 200 || code >= 300) byStatus[String(code)] = n;
    }
    const byKind = Object.fromEntries(ERROR_KINDS.map((k) => [k, this.byKind[k]])) as Record<ErrorKind, number>;
    const transportErrors = ERROR_KINDS.reduce((a, k) => a + this.byKind[k], 0);
    const httpErrors = Object.values(byStatus).reduce((a, b) => a + b, 0);
    return {
      startedAt: this.startedAt,
      elapsedSeconds: round3(elapsedSeconds),
      stoppedBy: this.stoppedBy,
      config: {
        gateway: o.gateway,
        mode: o.mode,
        seed: o.seed,
        speedup: o.speedup,
        binSeconds: o.binSeconds,
        binWallSeconds: round6(this.binWallMs / 1000),
        passes: Number.isFinite(o.passes) ? o.passes : 'forever',
        durationSeconds: o.durationSeconds ?? null,
        timeoutMs: o.timeoutMs,
        maxInflight: o.maxInflight,
        lateThresholdMs: o.lateThresholdMs,
        payloadBytes: o.payload.byteLength,
      },
      target: round6(target),
      scheduled,
      sent: this.sent,
      unsent: this.unsent,
      ok: this.ok,
      responses,
      errors: {
        total: httpErrors + transportErrors,
        byStatus,
        byKind,
        otherCodes: Object.fromEntries(this.otherCodes),
      },
      late: { thresholdMs: o.lateThresholdMs, count: this.late, lagMs: this.lag.summary() },
      latencyMs: this.latency.summary(),
      serviceTimeMs: this.service.summary(),
      rate: {
        targetRps: elapsedSeconds > 0 ? round3(target / elapsedSeconds) : 0,
        sentRps: elapsedSeconds > 0 ? round3(this.sent / elapsedSeconds) : 0,
        meanAbsErrorVsTarget: vsTarget.mean,
        maxAbsErrorVsTarget: vsTarget.max,
        meanAbsErrorVsScheduled: vsScheduled.mean,
        maxAbsErrorVsScheduled: vsScheduled.max,
      },
      functions: o.targets.map((t, f) => ({
        traceId: t.traceId,
        openfaasName: t.openfaasName,
        target: round6(this.fnTarget[f]),
        scheduled: this.fnScheduled[f],
        sent: this.fnSent[f],
        ok: this.fnOk[f],
        errors: this.fnErrors[f],
      })),
      bins,
    };
  }
}

/** Per-request state, kept to the five numbers the result needs (no closures). */
class RequestHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private finished = false;

  // One of these per request on the hot path: the numbers are passed as they are, not wrapped in
  // an options object that would be allocated and dropped at every send.
  // eslint-disable-next-line max-params
  constructor(
    private readonly engine: ReplayEngine,
    readonly fn: number,
    readonly dueMs: number,
    readonly sentMs: number,
    readonly bin: number,
  ) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    if (this.finished) return;
    this.finished = true;
    this.engine.complete(this, this.status, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.engine.complete(this, this.status, err);
  }
}

/** The error code of an undici / net error, looking through AggregateError and `cause`. */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown };
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  if (e.cause !== undefined && e.cause !== err) return errorCode(e.cause);
  return undefined;
}

/** Map an error to the kinds the summary reports. */
export function classifyError(err: Error): ErrorKind {
  switch (errorCode(err)) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_CLOSED':
      return 'aborted';
    default:
      return 'other';
  }
}

function grow(a: number[], index: number): void {
  while (a.length <= index) a.push(0);
}
