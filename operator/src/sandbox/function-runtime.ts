/**
 * One OpenFaaS function served in real time: the sandbox's stand-in for the function's pods. It
 * follows the simulator's model (operator/src/sim/README.md) but is driven by real HTTP requests
 * and a clock instead of a trace:
 *
 *   request ──> gateway FIFO queue ──> ready replica with a free slot ──> response after the
 *               (upstream time-out → 502)  (concurrencyPerReplica slots)    drawn service time
 *
 * - Service times come from the simulator's service-time model (`resolveServiceTime`,
 *   `drawServiceSeconds`), drawn per request in arrival order from a seeded stream.
 * - Replicas follow `setReplicas` (the Deployment's spec.replicas, via `RuntimeReadiness`): a new
 *   replica takes traffic after the cold start; scale-down removes starting replicas first (newest
 *   first), then ready ones with the fewest requests in flight (newest first among equals); a
 *   removed ready replica takes no new work, finishes what it has and then ends (graceful).
 * - The upstream time-out ends a request `upstreamTimeoutSeconds` after it reached the gateway,
 *   queued or in service (the function's exec_timeout is at most the gateway's), with the
 *   simulator's `timeoutStatusCode` (502, as the real gateway records it).
 * - Pods account CPU seconds and memory for the cAdvisor endpoint: an idle replica uses
 *   `idleCpuCoresPerReplica`, each busy slot `cpuCoresPerBusySlot` (default request /
 *   concurrency); memory is `memoryBaseMb` plus `memoryPerInflightMb` per request in service.
 *
 * Time compression (`timeScale` k): service times, cold starts and the upstream time-out run k
 * times faster in wall-clock time. Everything observable is then measured honestly in wall-clock
 * units: the latency a client sees and the gateway records is the scaled one, CPU seconds are real
 * seconds of the (compressed) busy time. Utilisation (busy fraction, CPU per replica / request) and
 * the replicas a given load needs are unchanged when the generator plays the trace k times faster.
 */
import { Random, STREAM_SERVICE } from '../sim/random.js';
import type { SimConfig } from '../sim/config.js';
import { DEFAULT_MEMORY_BASE_MB } from '../sim/config.js';
import { drawServiceSeconds, type ServiceTimeModel } from '../sim/service-time.js';
import type { Cancel, Clock } from '#kernel/clock.js';
import type { ReadinessModel } from './deployments.js';

/** What a finished invocation reports to the gateway. */
export interface InvocationResult {
  /** HTTP status: 200, or the time-out status (502). */
  status: number;
  /** Wall-clock seconds from reaching the gateway to the response. */
  durationSeconds: number;
  /** The pod that served it (undefined when it timed out in the queue). */
  pod?: string;
}

export type PodPhase = 'starting' | 'ready' | 'terminating';

/** A pod as the cAdvisor endpoint and the tests see it. */
export interface PodView {
  name: string;
  uid: string;
  phase: PodPhase;
  /** Requests in service. */
  busy: number;
  /** Cumulative CPU seconds up to now. */
  cpuSeconds: number;
  memoryBytes: number;
  createdMs: number;
}

export interface FunctionRuntimeOptions {
  /** Function (= Deployment) name. */
  name: string;
  namespace: string;
  config: SimConfig;
  serviceTime: ServiceTimeModel;
  clock: Clock;
  /** Wall-clock compression factor (see the header); 1 = real time. */
  timeScale: number;
  seed: number;
  /** Replicas that exist (ready) from the start. Default `config.initialReplicas`. */
  initialReplicas?: number;
}

interface Pod {
  readonly name: string;
  readonly uid: string;
  readonly createdMs: number;
  phase: PodPhase;
  busy: number;
  /** CPU seconds accounted up to `accountedMs`. */
  cpuSeconds: number;
  accountedMs: number;
  readyTimer?: Cancel;
}

interface Pending {
  readonly arrivedMs: number;
  readonly serviceSeconds: number;
  readonly resolve: (r: InvocationResult) => void;
  deadline?: Cancel;
}

const MIB = 1024 * 1024;
/** The ReplicaSet controller's name alphabet (no vowels, no look-alike digits). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** Stream of the pod-name draws (the service demands use the simulator's STREAM_SERVICE). */
const STREAM_POD_NAMES = 101;

/** A stable 32-bit key for a function name, so each function has its own random streams. */
function nameKey(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class FunctionRuntime {
  readonly name: string;
  readonly namespace: string;
  readonly config: SimConfig;
  readonly serviceTime: ServiceTimeModel;
  /** Pod-template hash: pods are `<name>-<hash>-<suffix>` like a Deployment's. */
  readonly templateHash: string;
  private readonly clock: Clock;
  private readonly timeScale: number;
  private readonly serviceRng: Random;
  private readonly nameRng: Random;
  private readonly cpuCoresPerBusySlot: number;
  private readonly memoryBaseMb: number;
  private readonly pods: Pod[] = [];
  private readonly queue: Pending[] = [];
  private readonly listeners: (() => void)[] = [];
  private desired = 0;
  private closed = false;

  constructor(opts: FunctionRuntimeOptions) {
    if (!(opts.timeScale > 0) || !Number.isFinite(opts.timeScale))
      throw new RangeError(`timeScale must be a finite number > 0, got ${opts.timeScale}`);
    this.name = opts.name;
    this.namespace = opts.namespace;
    this.config = opts.config;
    this.serviceTime = opts.serviceTime;
    this.clock = opts.clock;
    this.timeScale = opts.timeScale;
    this.serviceRng = new Random(opts.seed, STREAM_SERVICE, nameKey(opts.name));
    this.nameRng = new Random(opts.seed, STREAM_POD_NAMES, nameKey(opts.name));
    this.cpuCoresPerBusySlot = opts.config.cpuCoresPerBusySlot ?? opts.config.requests.cpuCores / opts.config.concurrencyPerReplica;
    this.memoryBaseMb = opts.config.memoryBaseMb ?? DEFAULT_MEMORY_BASE_MB;
    this.templateHash = this.randomName(10);
    const initial = opts.initialReplicas ?? opts.config.initialReplicas;
    for (let i = 0; i < initial; i++) this.createPod().phase = 'ready';
    this.desired = initial;
  }

  /** Replicas asked for. */
  get desiredReplicas(): number {
    return this.desired;
  }

  get readyReplicas(): number {
    return this.pods.filter((p) => p.phase === 'ready').length;
  }

  /** Requests waiting for a slot. */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Requests in service on any pod. */
  get inService(): number {
    return this.pods.reduce((s, p) => s + p.busy, 0);
  }

  /** Called whenever a replica becomes ready on its own (the Deployment's status must follow). */
  onReadyChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Sets the replica count now (idempotent): scale-up starts cold replicas, scale-down is graceful. */
  setReplicas(replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicas must be an integer >= 0, got ${replicas}`);
    if (this.closed) return;
    this.desired = replicas;
    const now = this.clock.now();
    const active = this.pods.filter((p) => p.phase !== 'terminating');
    for (let i = active.length; i < replicas; i++) {
      const pod = this.createPod();
      const coldStartMs = (this.config.coldStartSeconds * 1000) / this.timeScale;
      if (coldStartMs <= 0) {
        pod.phase = 'ready';
        this.dispatch();
      } else {
        pod.readyTimer = this.clock.setTimeout(() => this.becomeReady(pod), coldStartMs);
      }
    }
    if (replicas < active.length) {
      const victims = active
        .sort((a, b) => {
          if (a.phase !== b.phase) return a.phase === 'starting' ? -1 : 1;
          if (a.busy !== b.busy) return a.busy - b.busy;
          return b.createdMs - a.createdMs || this.pods.indexOf(b) - this.pods.indexOf(a);
        })
        .slice(0, active.length - replicas);
      for (const pod of victims) this.terminate(pod, now);
    }
  }

  /**
   * One request reaching the gateway now. Resolves when it is answered: after its service time on
   * a replica, or with the time-out status at the upstream time-out.
   */
  invoke(): Promise<InvocationResult> {
    if (this.closed) return Promise.resolve({ status: 503, durationSeconds: 0 });
    const serviceSeconds = drawServiceSeconds(this.serviceTime, this.serviceRng, this.config.minServiceMs) / this.timeScale;
    return new Promise((resolve) => {
      const pending: Pending = { arrivedMs: this.clock.now(), serviceSeconds, resolve };
      this.queue.push(pending);
      const timeoutMs = this.timeoutMs();
      if (Number.isFinite(timeoutMs)) {
        pending.deadline = this.clock.setTimeout(() => {
          const i = this.queue.indexOf(pending);
          if (i < 0) return;
          this.queue.splice(i, 1);
          resolve({ status: Number(this.config.timeoutStatusCode), durationSeconds: (this.clock.now() - pending.arrivedMs) / 1000 });
        }, timeoutMs);
      }
      this.dispatch();
    });
  }

  /**
   * Resolves true once a replica is ready (at once when one is), false when none is within the
   * upstream time-out: the wait of the gateway's scale-from-zero handler before it forwards.
   */
  whenReady(): Promise<boolean> {
    if (this.readyReplicas > 0) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (ready: boolean): void => {
        if (done) return;
        done = true;
        cancel();
        const i = this.listeners.indexOf(onChange);
        if (i >= 0) this.listeners.splice(i, 1);
        resolve(ready);
      };
      const onChange = (): void => {
        if (this.readyReplicas > 0) finish(true);
      };
      const cancel = this.clock.setTimeout(() => finish(false), this.timeoutMs());
      this.listeners.push(onChange);
    });
  }

  /** Pods with their CPU seconds and working set as of now. */
  podViews(): PodView[] {
    const now = this.clock.now();
    return this.pods.map((p) => {
      this.account(p, now);
      return {
        name: p.name,
        uid: p.uid,
        phase: p.phase,
        busy: p.busy,
        cpuSeconds: p.cpuSeconds,
        memoryBytes: (this.memoryBaseMb + p.busy * this.config.memoryPerInflightMb) * MIB,
        createdMs: p.createdMs,
      };
    });
  }

  /** Stops all timers and answers whatever is still waiting with 503 (the sandbox shuts down). */
  close(): void {
    this.closed = true;
    for (const p of this.pods) p.readyTimer?.();
    for (const q of this.queue.splice(0)) {
      q.deadline?.();
      q.resolve({ status: 503, durationSeconds: (this.clock.now() - q.arrivedMs) / 1000 });
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private timeoutMs(): number {
    return (this.config.upstreamTimeoutSeconds * 1000) / this.timeScale;
  }

  private createPod(): Pod {
    const now = this.clock.now();
    const suffix = this.randomName(5);
    const pod: Pod = {
      name: `${this.name}-${this.templateHash}-${suffix}`,
      uid: `${this.randomHex(8)}-${this.randomHex(4)}-4${this.randomHex(3)}-a${this.randomHex(3)}-${this.randomHex(12)}`,
      createdMs: now,
      phase: 'starting',
      busy: 0,
      cpuSeconds: 0,
      accountedMs: now,
    };
    this.pods.push(pod);
    return pod;
  }

  private becomeReady(pod: Pod): void {
    pod.readyTimer = undefined;
    if (pod.phase !== 'starting' || !this.pods.includes(pod)) return;
    this.account(pod, this.clock.now());
    pod.phase = 'ready';
    this.dispatch();
    for (const l of this.listeners) l();
  }

  private terminate(pod: Pod, now: number): void {
    this.account(pod, now);
    pod.readyTimer?.();
    pod.readyTimer = undefined;
    if (pod.busy === 0) this.pods.splice(this.pods.indexOf(pod), 1);
    else pod.phase = 'terminating';
  }

  /** Starts queued requests on free slots, head of the queue first, least-busy ready pod first. */
  private dispatch(): void {
    const concurrency = this.config.concurrencyPerReplica;
    while (this.queue.length > 0) {
      let target: Pod | undefined;
      for (const p of this.pods) if (p.phase === 'ready' && p.busy < concurrency && (!target || p.busy < target.busy)) target = p;
      if (!target) return;
      this.start(this.queue.shift()!, target);
    }
  }

  private start(req: Pending, pod: Pod): void {
    const now = this.clock.now();
    this.account(pod, now);
    pod.busy++;
    req.deadline?.();
    const remainingMs = Math.max(0, req.arrivedMs + this.timeoutMs() - now);
    const serviceMs = req.serviceSeconds * 1000;
    const timedOut = serviceMs > remainingMs;
    this.clock.setTimeout(
      () => {
        const end = this.clock.now();
        this.account(pod, end);
        pod.busy--;
        const status = timedOut ? Number(this.config.timeoutStatusCode) : 200;
        req.resolve({ status, durationSeconds: (end - req.arrivedMs) / 1000, pod: pod.name });
        if (pod.phase === 'terminating' && pod.busy === 0) this.pods.splice(this.pods.indexOf(pod), 1);
        this.dispatch();
      },
      timedOut ? remainingMs : serviceMs,
    );
  }

  /** Books the pod's CPU seconds since it was last accounted. */
  private account(pod: Pod, now: number): void {
    const dt = (now - pod.accountedMs) / 1000;
    if (dt <= 0) return;
    pod.cpuSeconds += dt * (this.config.idleCpuCoresPerReplica + pod.busy * this.cpuCoresPerBusySlot);
    pod.accountedMs = now;
  }

  private randomName(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += NAME_ALPHABET[this.nameRng.nextUint32() % NAME_ALPHABET.length];
    return s;
  }

  private randomHex(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += (this.nameRng.nextUint32() % 16).toString(16);
    return s;
  }
}

/**
 * The readiness hook of the emulated Deployment controller (deployments.ts): Deployments of the
 * sandbox's functions get their ready pods from their runtime, so status.readyReplicas follows the
 * cold starts; any other Deployment (created with kubectl, say) from `fallback`.
 */
export class RuntimeReadiness implements ReadinessModel {
  private readonly listeners: ((key: string) => void)[] = [];

  constructor(
    private readonly runtimes: ReadonlyMap<string, FunctionRuntime>,
    private readonly fallback: ReadinessModel,
  ) {
    for (const [key, runtime] of runtimes) runtime.onReadyChange(() => this.changed(key));
    fallback.onChange((key) => this.changed(key));
  }

  /** `namespace/name`, the key the Deployment controller uses. */
  static key(runtime: { namespace: string; name: string }): string {
    return `${runtime.namespace}/${runtime.name}`;
  }

  setDesired(key: string, replicas: number): void {
    const runtime = this.runtimes.get(key);
    if (runtime) runtime.setReplicas(replicas);
    else this.fallback.setDesired(key, replicas);
  }

  ready(key: string): number {
    return this.runtimes.get(key)?.readyReplicas ?? this.fallback.ready(key);
  }

  onChange(listener: (key: string) => void): void {
    this.listeners.push(listener);
  }

  dispose(): void {
    for (const runtime of this.runtimes.values()) runtime.close();
    this.fallback.dispose();
    this.listeners.length = 0;
  }

  private changed(key: string): void {
    for (const l of this.listeners) l(key);
  }
}
