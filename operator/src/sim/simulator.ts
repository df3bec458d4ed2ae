/**
 * A discrete-event twin of one OpenFaaS function (DESIGN.md §5; the model and its defaults are in
 * README.md next to this file):
 *
 *   trace bin counts ──Poisson──> arrivals ──> gateway FIFO queue ──> ready replica with a free slot
 *                                               (upstream time-out)     (concurrency limit, lognormal
 *                                                                         service, cold starts,
 *                                                                         graceful scale-down)
 *
 * Step-wise control, so that `runEpisode`, the oracle and RL training all drive it the same way:
 *
 *   const sim = new FunctionSimulator({ fn, binSeconds: 60, seed: 1 });
 *   sim.setReplicas(3);                       // takes effect now (new replicas start cold)
 *   const { window, stats } = sim.advance(30); // one interval: the Prometheus-shaped window + exact stats
 *   const future = sim.clone();               // same state, same future arrivals and service demands
 *
 * Events: request completions (or time-outs of requests in service) and replicas becoming ready
 * live in a binary heap; arrivals are read in order from the per-bin arrays, merged with the heap
 * (no heap entry per arrival). Queued requests that time out are removed lazily (whenever a slot
 * frees and at every window end) and booked at their exact time-out instant, with the queue-length
 * integral corrected, so nothing about them depends on when they were noticed.
 *
 * Two views of every request: `stats` are what users feel (from arrival); `window` is what the
 * gateway's metrics say, which leave out the scale-from-zero wait (a request that arrives with no
 * replica ready is started and timed from when one is) — see README.md and ADR 015.
 */
import type { TraceFunction } from '#kernel/traces/types.js';
import type { FunctionMetricsWindow, HistogramBucket, ResourceRequests } from '../metrics/types.js';
import { GATEWAY_LATENCY_BUCKETS_SECONDS } from '../metrics/observation.js';
import { InputError } from '#kernel/input-error.js';
import { ArrivalSource } from './arrivals.js';
import { DEFAULT_MEMORY_BASE_MB, resolveSimConfig, type SimConfig } from './config.js';
import { EventHeap, type SimEvent } from './event-heap.js';
import { resolveServiceTime, type ServiceTimeModel } from './service-time.js';

export interface FunctionSimulatorOptions {
  fn: TraceFunction;
  /** Length of one trace bin (the trace's `binSeconds`). */
  binSeconds: number;
  seed: number;
  config?: Partial<SimConfig>;
}

/** Exact per-interval statistics (what Prometheus cannot see), for results, rewards and tests. */
export interface IntervalStats {
  startSeconds: number;
  endSeconds: number;
  /** Requests that reached the gateway in the interval. */
  arrivals: number;
  /** Requests that finished in the interval, whatever the outcome. */
  completions: number;
  successes: number;
  /** Non-200 completions (time-outs included). */
  errors: number;
  timeouts: number;
  /**
   * Exact quantiles (nearest rank) of the latencies of requests completed in the interval, with
   * errors counted as +Infinity; null when nothing completed.
   */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Sum of the time in the system of the completed requests (errors included, at their real time). */
  latencySumSeconds: number;
  /** Pod-seconds: every replica from creation to termination (starting and terminating included). */
  replicaSeconds: number;
  /** Slot-seconds of requests in service. */
  busySlotSeconds: number;
  /** Time averages over the interval. */
  meanQueueLength: number;
  meanInSystem: number;
  /** Replicas created in the interval (each starts cold). */
  coldStarts: number;
  /** At the end of the interval. */
  replicas: number;
  readyReplicas: number;
  pods: number;
  queueLength: number;
  inSystem: number;
  /** Requests that left the queue in the interval (to a replica, or by time-out). */
  leftQueue: number;
  queueWaitSumSeconds: number;
  meanQueueWaitMs: number | null;
  maxQueueWaitMs: number | null;
}

export interface SimInterval {
  /** What the batched PromQL would return for this interval. */
  window: FunctionMetricsWindow;
  stats: IntervalStats;
  /** Latencies (ms) of the requests completed in the interval, sorted; errors as +Infinity. */
  latenciesMs: Float64Array;
}

export interface DrainResult {
  /** Latencies (ms) of the requests completed while draining, sorted; errors as +Infinity. */
  latenciesMs: Float64Array;
  completions: number;
  errors: number;
  /** Requests that could never finish (no replicas and no time-out); counted as errors above. */
  unfinished: number;
  endSeconds: number;
}

type ReplicaState = 'starting' | 'ready' | 'terminating';

interface Replica {
  readonly id: number;
  readonly createdAt: number;
  state: ReplicaState;
  /** Requests in service on this replica. */
  busy: number;
}

const COMPLETION = 0;
const READY = 1;

interface Event extends SimEvent {
  readonly kind: typeof COMPLETION | typeof READY;
  readonly replicaId: number;
  /** Arrival time of the request (completions only). */
  readonly arrivalT: number;
  /**
   * When the gateway forwarded it (completions only): its arrival, or for a request that arrived
   * with no replica ready, the moment one became ready (the scale-from-zero wait ends).
   */
  readonly gateT: number;
  /** The request ran into the upstream time-out while in service. */
  readonly timedOut: boolean;
}

const BUCKET_COUNT = GATEWAY_LATENCY_BUCKETS_SECONDS.length + 1;
const MIB = 1024 * 1024;

/** Per-window accumulators; reset at the start of every `advance`. */
class WindowAccumulator {
  startT = 0;
  lastT = 0;
  podArea = 0;
  busyArea = 0;
  queueArea = 0;
  arrivals = 0;
  /** Requests the gateway forwarded (its `invocation_started`): arrivals less those still waiting for a first replica. */
  started = 0;
  completions = 0;
  successes = 0;
  errors = 0;
  timeouts = 0;
  latencySum = 0;
  sum200 = 0;
  count200 = 0;
  coldStarts = 0;
  leftQueue = 0;
  waitSum = 0;
  waitMax = 0;
  /** Completions by status code other than 200 (those are `count200`). */
  errorsByCode = new Map<string, number>();
  buckets = new Float64Array(BUCKET_COUNT);
  latenciesMs = new Float64Array(256);
  nLatencies = 0;

  reset(t: number): void {
    this.startT = t;
    this.lastT = t;
    this.podArea = this.busyArea = this.queueArea = 0;
    this.arrivals = this.started = this.completions = this.successes = this.errors = this.timeouts = 0;
    this.latencySum = this.sum200 = this.count200 = this.coldStarts = 0;
    this.leftQueue = this.waitSum = this.waitMax = 0;
    this.errorsByCode.clear();
    this.buckets.fill(0);
    this.nLatencies = 0;
  }

  pushLatency(ms: number): void {
    if (this.nLatencies === this.latenciesMs.length) {
      const grown = new Float64Array(this.latenciesMs.length * 2);
      grown.set(this.latenciesMs);
      this.latenciesMs = grown;
    }
    this.latenciesMs[this.nLatencies++] = ms;
  }

  sortedLatencies(): Float64Array {
    return this.latenciesMs.slice(0, this.nLatencies).sort();
  }

  clone(): WindowAccumulator {
    const c = Object.assign(new WindowAccumulator(), this);
    c.errorsByCode = new Map(this.errorsByCode);
    c.buckets = this.buckets.slice();
    c.latenciesMs = this.latenciesMs.slice();
    return c;
  }
}

export class FunctionSimulator {
  readonly config: SimConfig;
  readonly functionName: string;
  readonly serviceTime: ServiceTimeModel;
  readonly resourceRequests: ResourceRequests;
  private readonly cpuCoresPerBusySlot: number;
  private readonly memoryBaseMb: number;
  private readonly timeoutSeconds: number;
  private readonly concurrency: number;
  private readonly source: ArrivalSource;

  private now = 0;
  private seq = 0;
  private events = 0;
  private heap = new EventHeap<Event>();

  // Arrival cursor: the current bin's arrays and the index of the next arrival in them.
  private arrivalBin = -1;
  private arrivalTimes: Float64Array = new Float64Array(0);
  private arrivalServices: Float64Array = new Float64Array(0);
  private arrivalIndex = 0;
  /** Set by `drain`: no more requests reach the gateway. */
  private arrivalsClosed = false;

  // Replicas. `freeList` holds one replica id per free slot of a ready replica (LIFO, so work
  // packs onto recently used replicas and idle ones stay idle for scale-down); entries of
  // replicas that stopped being ready are skipped when popped.
  private replicas = new Map<number, Replica>();
  private nextReplicaId = 0;
  private desired = 0;
  private podCount = 0;
  private readyCount = 0;
  private terminatingCount = 0;
  private busySlots = 0;
  private freeSlots = 0;
  private freeList: number[] = [];

  // Gateway FIFO queue: a ring buffer of (arrival time, service demand).
  private queueTimes = new Float64Array(1024);
  /** When the gateway forwarded each queued request (NaN: held by scale-from-zero, no replica ready yet). */
  private queueGates = new Float64Array(1024);
  private queueServices = new Float64Array(1024);
  private queueHead = 0;
  private queueLength = 0;

  /** Status codes seen so far: a Prometheus counter, once created, reports an increase of 0. */
  private codesSeen = new Set<string>(['200']);
  private win = new WindowAccumulator();

  constructor(opts: FunctionSimulatorOptions) {
    if (!(opts.binSeconds > 0)) throw new InputError(`binSeconds: must be a number > 0, got ${String(opts.binSeconds)}`);
    if (!Number.isFinite(opts.seed)) throw new InputError(`seed: must be a finite number, got ${String(opts.seed)}`);
    const badBin = opts.fn.counts.findIndex((c) => !(c >= 0) || !Number.isFinite(c));
    if (badBin >= 0)
      throw new InputError(
        `trace function ${opts.fn.id}: bin ${badBin} has count ${String(opts.fn.counts[badBin])}; counts must be finite numbers >= 0`,
      );
    this.config = resolveSimConfig(opts.config);
    const c = this.config;
    this.functionName = c.functionName ?? `${shortName(opts.fn.id)}.openfaas-fn`;
    this.serviceTime = resolveServiceTime(c.serviceTime, opts.fn.profile.durations, c.minServiceMs);
    this.resourceRequests = { ...c.requests };
    this.concurrency = c.concurrencyPerReplica;
    this.cpuCoresPerBusySlot = c.cpuCoresPerBusySlot ?? c.requests.cpuCores / c.concurrencyPerReplica;
    this.memoryBaseMb = c.memoryBaseMb ?? opts.fn.profile.memory?.averageAllocatedMb ?? DEFAULT_MEMORY_BASE_MB;
    this.timeoutSeconds = c.upstreamTimeoutSeconds;
    this.source = new ArrivalSource({
      counts: opts.fn.counts,
      binSeconds: opts.binSeconds,
      seed: opts.seed,
      mode: c.arrivals,
      service: this.serviceTime,
      minServiceMs: c.minServiceMs,
    });
    for (let i = 0; i < c.initialReplicas; i++) {
      const r = this.createReplica();
      this.makeReady(r);
    }
    this.desired = c.initialReplicas;
    this.win.reset(0);
  }

  /** Events handled so far (arrivals, completions, time-outs, replicas becoming ready), for benchmarks. */
  get eventCount(): number {
    return this.events;
  }

  /** Current simulated time in seconds since the start of the trace. */
  get nowSeconds(): number {
    return this.now;
  }

  /** Where the trace's arrivals end. */
  get traceEndSeconds(): number {
    return this.source.endSeconds;
  }

  /** Replicas asked for (spec.replicas). */
  get replicaCount(): number {
    return this.desired;
  }

  get readyReplicaCount(): number {
    return this.readyCount;
  }

  /** Requests waiting at the gateway or in service. */
  get inSystem(): number {
    return this.queueLength + this.busySlots;
  }

  /**
   * Sets the replica count now. Scale-up creates replicas that take traffic after the cold start.
   * Scale-down removes replicas still starting first (newest first), then ready ones, idle before
   * busy (fewest requests in flight first, newest first among equals); a removed ready replica takes
   * no new requests, finishes the ones it has and then ends (graceful termination).
   */
  setReplicas(replicas: number): void {
    const min = this.config.allowScaleToZero ? 0 : 1;
    if (!Number.isInteger(replicas) || replicas < min) {
      throw new InputError(
        `replicas: must be an integer >= ${min}${min === 1 ? ' (set sim.allowScaleToZero to allow 0)' : ''}, got ${String(replicas)}`,
      );
    }
    this.accumulate(this.now);
    this.desired = replicas;
    const active = this.podCount - this.terminatingCount;
    if (replicas > active) {
      for (let i = active; i < replicas; i++) {
        const r = this.createReplica();
        this.win.coldStarts++;
        if (this.config.coldStartSeconds > 0) {
          this.heap.push({
            t: this.now + this.config.coldStartSeconds,
            seq: this.seq++,
            kind: READY,
            replicaId: r.id,
            arrivalT: 0,
            gateT: 0,
            timedOut: false,
          });
        } else {
          this.makeReady(r);
        }
      }
      this.dispatch(this.now);
    } else if (replicas < active) {
      const victims = [...this.replicas.values()]
        .filter((r) => r.state !== 'terminating')
        .sort((a, b) => {
          if (a.state !== b.state) return a.state === 'starting' ? -1 : 1;
          if (a.busy !== b.busy) return a.busy - b.busy;
          return b.id - a.id;
        })
        .slice(0, active - replicas);
      for (const r of victims) this.removeReplica(r);
    }
  }

  /** Simulates `seconds` from now and returns the interval's window and exact stats. */
  advance(seconds: number): SimInterval {
    if (!(seconds > 0) || !Number.isFinite(seconds))
      throw new InputError(`interval: must be a number of seconds > 0, got ${String(seconds)}`);
    // The window runs from the end of the previous one, so replica changes made in between (at
    // the boundary) are booked in this one.
    const win = this.win;
    const end = this.now + seconds;
    this.runUntil(end);
    this.accumulate(end);
    while (this.queueLength > 0 && this.queueTimes[this.queueHead] + this.timeoutSeconds < end) this.timeOutQueued();
    this.now = end;
    const stats = this.stats(end); // sorts the window's latencies in place
    const interval = { window: this.window(seconds), stats, latenciesMs: win.latenciesMs.slice(0, win.nLatencies) };
    win.reset(end);
    return interval;
  }

  /**
   * Closes the gateway to new requests and runs on with the current replicas until every request
   * in the system has finished (after the last interval of an episode), so that every request that
   * arrived has an outcome. Requests that cannot finish (no replicas and no time-out) are counted
   * as errors. The simulator takes no arrivals afterwards.
   */
  drain(): DrainResult {
    const win = this.win;
    this.arrivalsClosed = true;
    this.runUntil(Number.POSITIVE_INFINITY);
    // Nothing left to free a slot: whatever is queued can only time out (or never finish).
    let unfinished = 0;
    if (Number.isFinite(this.timeoutSeconds)) {
      while (this.queueLength > 0) {
        const deadline = this.queueTimes[this.queueHead] + this.timeoutSeconds;
        if (deadline > this.now) {
          this.accumulate(deadline);
          this.now = deadline;
        }
        this.timeOutQueued();
      }
    } else {
      unfinished = this.queueLength;
      for (let i = 0; i < unfinished; i++) {
        win.pushLatency(Number.POSITIVE_INFINITY);
        this.dequeue();
      }
      win.completions += unfinished;
      win.errors += unfinished;
    }
    return { latenciesMs: win.sortedLatencies(), completions: win.completions, errors: win.errors, unfinished, endSeconds: this.now };
  }

  /** An independent copy: same state, same future arrivals and service demands. */
  clone(): FunctionSimulator {
    const c = Object.create(FunctionSimulator.prototype) as FunctionSimulator;
    Object.assign(c, this);
    c.heap = this.heap.clone();
    c.replicas = new Map();
    for (const [id, r] of this.replicas) c.replicas.set(id, { ...r });
    c.freeList = this.freeList.slice();
    c.queueTimes = this.queueTimes.slice();
    c.queueServices = this.queueServices.slice();
    c.queueGates = this.queueGates.slice();
    c.codesSeen = new Set(this.codesSeen);
    c.win = this.win.clone();
    return c;
  }

  // ---- event loop -------------------------------------------------------------------------

  private runUntil(end: number): void {
    const heap = this.heap;
    for (;;) {
      const tEvent = heap.peekTime();
      const tArrival = this.nextArrivalTime();
      if (tEvent <= tArrival) {
        if (tEvent >= end) break;
        this.handleEvent(heap.pop() as Event);
      } else {
        if (tArrival >= end) break;
        this.handleArrival();
      }
    }
  }

  private nextArrivalTime(): number {
    if (this.arrivalsClosed) return Number.POSITIVE_INFINITY;
    while (this.arrivalIndex >= this.arrivalTimes.length) {
      if (this.arrivalBin + 1 >= this.source.binCount) return Number.POSITIVE_INFINITY;
      this.arrivalBin++;
      const bin = this.source.bin(this.arrivalBin);
      this.arrivalTimes = bin.times;
      this.arrivalServices = bin.services;
      this.arrivalIndex = 0;
    }
    return this.arrivalTimes[this.arrivalIndex];
  }

  private handleArrival(): void {
    const t = this.arrivalTimes[this.arrivalIndex];
    const service = this.arrivalServices[this.arrivalIndex];
    this.arrivalIndex++;
    this.events++;
    this.accumulate(t);
    this.now = t;
    this.win.arrivals++;
    // With no replica ready, the gateway's scale-from-zero handler holds the request before it is
    // started or timed (NaN: not forwarded yet); see makeReady.
    const gate = this.readyCount > 0 ? t : Number.NaN;
    if (this.readyCount > 0) this.win.started++;
    if (this.queueLength === 0 && this.freeSlots > 0) this.startService(t, t, service, gate);
    else this.enqueue(t, service, gate);
  }

  private handleEvent(e: Event): void {
    this.events++;
    this.accumulate(e.t);
    this.now = e.t;
    const r = this.replicas.get(e.replicaId);
    if (e.kind === READY) {
      // The replica may have been removed while it was starting.
      if (r !== undefined && r.state === 'starting') {
        this.makeReady(r);
        this.dispatch(e.t);
      }
      return;
    }
    if (r === undefined) throw new Error(`simulator invariant: completion on replica ${e.replicaId}, which no longer exists`);
    r.busy--;
    this.busySlots--;
    this.record(e.t - e.arrivalT, e.t - e.gateT, e.timedOut);
    if (r.state === 'ready') {
      this.freeList.push(r.id);
      this.freeSlots++;
      this.dispatch(e.t);
    } else if (r.state === 'terminating' && r.busy === 0) {
      this.deleteReplica(r);
    }
  }

  /** Moves queued requests to free slots, timing out the ones whose deadline has passed. */
  private dispatch(t: number): void {
    while (this.queueLength > 0) {
      const arrivalT = this.queueTimes[this.queueHead];
      if (arrivalT + this.timeoutSeconds <= t) {
        this.timeOutQueued();
        continue;
      }
      if (this.freeSlots === 0) return;
      const service = this.queueServices[this.queueHead];
      const gate = this.queueGates[this.queueHead];
      this.dequeue();
      this.startService(t, arrivalT, service, gate);
    }
  }

  private startService(t: number, arrivalT: number, service: number, gateT: number): void {
    let r: Replica | undefined;
    for (;;) {
      r = this.replicas.get(this.freeList.pop() as number);
      if (r !== undefined && r.state === 'ready') break;
    }
    r.busy++;
    this.freeSlots--;
    this.busySlots++;
    const wait = t - arrivalT;
    const win = this.win;
    win.leftQueue++;
    win.waitSum += wait;
    if (wait > win.waitMax) win.waitMax = wait;
    const deadline = arrivalT + this.timeoutSeconds;
    const done = t + service;
    // The function's exec_timeout is at most the gateway's upstream timeout (OpenFaaS' timeout
    // guide), so a request still running at the deadline is stopped and its slot freed.
    const timedOut = done > deadline;
    this.heap.push({ t: timedOut ? deadline : done, seq: this.seq++, kind: COMPLETION, replicaId: r.id, arrivalT, gateT, timedOut });
  }

  /** The head of the queue timed out at `arrival + timeout`, which lies in the current window. */
  private timeOutQueued(): void {
    this.events++;
    const arrivalT = this.queueTimes[this.queueHead];
    const deadline = arrivalT + this.timeoutSeconds;
    // accumulate() counted it in the queue up to lastT; it left at its deadline.
    this.win.queueArea -= this.win.lastT - deadline;
    this.win.leftQueue++;
    this.win.waitSum += this.timeoutSeconds;
    if (this.timeoutSeconds > this.win.waitMax) this.win.waitMax = this.timeoutSeconds;
    const gate = this.queueGates[this.queueHead];
    this.dequeue();
    // Gave up while waiting for a first replica: the real gateway never counts such a request.
    this.record(this.timeoutSeconds, Number.isNaN(gate) ? undefined : deadline - gate, true);
  }

  /**
   * One finished request: what its user felt (`latencySeconds` from arrival, every request) and
   * what the gateway's metrics say (`gatewaySeconds` from forwarding; undefined when the gateway
   * never forwarded it).
   */
  private record(latencySeconds: number, gatewaySeconds: number | undefined, timedOut: boolean): void {
    const win = this.win;
    win.completions++;
    win.latencySum += latencySeconds;
    if (timedOut) {
      win.errors++;
      win.timeouts++;
      win.pushLatency(Number.POSITIVE_INFINITY);
    } else {
      win.successes++;
      win.pushLatency(latencySeconds * 1000);
    }
    if (gatewaySeconds === undefined) return;
    let i = 0;
    while (i < BUCKET_COUNT - 1 && gatewaySeconds > GATEWAY_LATENCY_BUCKETS_SECONDS[i]) i++;
    win.buckets[i]++;
    if (timedOut) {
      const code = this.config.timeoutStatusCode;
      win.errorsByCode.set(code, (win.errorsByCode.get(code) ?? 0) + 1);
      this.codesSeen.add(code);
    } else {
      win.sum200 += gatewaySeconds;
      win.count200++;
    }
  }

  /** Adds the time since the last state change to the window's integrals. */
  private accumulate(t: number): void {
    const win = this.win;
    const dt = t - win.lastT;
    if (dt > 0) {
      win.podArea += dt * this.podCount;
      win.busyArea += dt * this.busySlots;
      win.queueArea += dt * this.queueLength;
      win.lastT = t;
    }
  }

  // ---- replicas ---------------------------------------------------------------------------

  private createReplica(): Replica {
    const r: Replica = { id: this.nextReplicaId++, createdAt: this.now, state: 'starting', busy: 0 };
    this.replicas.set(r.id, r);
    this.podCount++;
    return r;
  }

  private makeReady(r: Replica): void {
    r.state = 'ready';
    if (this.readyCount === 0) this.releaseFromZero();
    this.readyCount++;
    for (let i = 0; i < this.concurrency; i++) this.freeList.push(r.id);
    this.freeSlots += this.concurrency;
  }

  /** The first replica is ready: the gateway forwards every request its scale-from-zero handler held. */
  private releaseFromZero(): void {
    const n = this.queueGates.length;
    for (let k = 0; k < this.queueLength; k++) {
      const j = (this.queueHead + k) % n;
      if (Number.isNaN(this.queueGates[j])) {
        this.queueGates[j] = this.now;
        this.win.started++;
      }
    }
  }

  private removeReplica(r: Replica): void {
    if (r.state === 'starting') {
      this.deleteReplica(r);
      return;
    }
    this.readyCount--;
    this.freeSlots -= this.concurrency - r.busy;
    if (r.busy === 0) {
      this.deleteReplica(r);
    } else {
      r.state = 'terminating';
      this.terminatingCount++;
    }
    this.compactFreeList();
  }

  private deleteReplica(r: Replica): void {
    if (r.state === 'terminating') this.terminatingCount--;
    this.replicas.delete(r.id);
    this.podCount--;
  }

  /** Drops entries of replicas that are no longer ready once they outnumber the live ones. */
  private compactFreeList(): void {
    if (this.freeList.length > 2 * this.freeSlots + 64) {
      this.freeList = this.freeList.filter((id) => this.replicas.get(id)?.state === 'ready');
    }
  }

  // ---- queue ------------------------------------------------------------------------------

  private enqueue(t: number, service: number, gate: number): void {
    if (this.queueLength === this.queueTimes.length) {
      const n = this.queueTimes.length;
      const times = new Float64Array(n * 2);
      const services = new Float64Array(n * 2);
      const gates = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        const j = (this.queueHead + i) % n;
        times[i] = this.queueTimes[j];
        services[i] = this.queueServices[j];
        gates[i] = this.queueGates[j];
      }
      this.queueTimes = times;
      this.queueServices = services;
      this.queueGates = gates;
      this.queueHead = 0;
    }
    const tail = (this.queueHead + this.queueLength) % this.queueTimes.length;
    this.queueTimes[tail] = t;
    this.queueServices[tail] = service;
    this.queueGates[tail] = gate;
    this.queueLength++;
  }

  private dequeue(): void {
    this.queueHead = (this.queueHead + 1) % this.queueTimes.length;
    this.queueLength--;
  }

  // ---- output -----------------------------------------------------------------------------

  private window(seconds: number): FunctionMetricsWindow {
    const win = this.win;
    const invocationsByCode = new Map<string, number>();
    for (const code of [...this.codesSeen].sort())
      invocationsByCode.set(code, code === '200' ? win.count200 : (win.errorsByCode.get(code) ?? 0));
    const latencyBuckets: HistogramBucket[] = [];
    let cumulative = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      cumulative += win.buckets[i];
      latencyBuckets.push({ le: i < BUCKET_COUNT - 1 ? GATEWAY_LATENCY_BUCKETS_SECONDS[i] : Number.POSITIVE_INFINITY, count: cumulative });
    }
    const c = this.config;
    return {
      functionName: this.functionName,
      windowSeconds: seconds,
      invocationsByCode,
      invocationsStarted: win.started,
      latencyBuckets,
      latencySumSeconds: win.sum200,
      latencyCount: win.count200,
      inflight: (win.queueArea + win.busyArea) / seconds,
      cpuCores: (win.podArea * c.idleCpuCoresPerReplica + win.busyArea * this.cpuCoresPerBusySlot) / seconds,
      memoryBytes: (this.podCount * this.memoryBaseMb + this.busySlots * c.memoryPerInflightMb) * MIB,
      podsReporting: this.podCount,
      replicas: this.desired,
      readyReplicas: this.readyCount,
      problems: [],
    };
  }

  private stats(end: number): IntervalStats {
    const win = this.win;
    const seconds = end - win.startT;
    const sorted = win.latenciesMs.subarray(0, win.nLatencies);
    sorted.sort();
    return {
      startSeconds: win.startT,
      endSeconds: end,
      arrivals: win.arrivals,
      completions: win.completions,
      successes: win.successes,
      errors: win.errors,
      timeouts: win.timeouts,
      p50Ms: nearestRank(sorted, 0.5),
      p95Ms: nearestRank(sorted, 0.95),
      p99Ms: nearestRank(sorted, 0.99),
      latencySumSeconds: win.latencySum,
      replicaSeconds: win.podArea,
      busySlotSeconds: win.busyArea,
      meanQueueLength: win.queueArea / seconds,
      meanInSystem: (win.queueArea + win.busyArea) / seconds,
      coldStarts: win.coldStarts,
      replicas: this.desired,
      readyReplicas: this.readyCount,
      pods: this.podCount,
      queueLength: this.queueLength,
      inSystem: this.queueLength + this.busySlots,
      leftQueue: win.leftQueue,
      queueWaitSumSeconds: win.waitSum,
      meanQueueWaitMs: win.leftQueue > 0 ? (win.waitSum / win.leftQueue) * 1000 : null,
      maxQueueWaitMs: win.leftQueue > 0 ? win.waitMax * 1000 : null,
    };
  }
}

/**
 * Exact quantile of sorted values by the nearest-rank rule: the smallest value with at least
 * q × n values at or below it. Null for no values.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const i = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[i];
}

/** A Kubernetes-safe short name from a trace id (a 64-hex hash, `app/func`, a file name). */
function shortName(id: string): string {
  const cleaned = id
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `fn-${cleaned.slice(0, 12) || 'unnamed'}`;
}
