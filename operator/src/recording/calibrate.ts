/**
 * `faas-autoscaler calibrate`: fit the simulator's function profile to a recording. The method and
 * the reasons for it are in docs/adr (calibration from recorded metrics); in short, per function:
 *
 *  1. service time: lognormal by maximum likelihood on the latency-bucket counts (lognormal-fit.ts)
 *     of the low-load steps: both the step and the one before it are steady (ready replicas
 *     unchanged), their offered load a = λ·E[S] on s = ready × concurrency slots predicts an
 *     M/M/s mean wait C(s, a)/(s − a) of at most 1 % of a service time, and no queue is left from
 *     before: the requests in the system at both ends of the step (arrivals minus completions,
 *     `backlog`) are at most s. With a lognormal of CV < 1 the real (M/G/s) wait is smaller than
 *     M/M/s's, so the latencies of those steps are service times plus a negligible wait. The
 *     criterion needs E[S] and the concurrency, so steps 1–2 alternate until neither changes
 *     (starting from concurrency 1, the strictest).
 *  2. concurrency per replica: in saturated steps every slot of every ready replica is busy, so
 *     throughput = ready × concurrency / E[S]; concurrency = median over those steps of
 *     throughput × E[S] / ready, rounded to an integer. Saturated = mean latency ≥ 3 E[S] in the
 *     step and the one before (a queue of at least two service times), arrivals ≥ completions in
 *     the step (the queue is not draining), replicas and ready replicas unchanged.
 *     Capacity per replica = concurrency / E[S].
 *  3. cold start: after each rise of spec.replicas, the steps until the ready count reaches it
 *     (both series come from the same kube-state-metrics scrape, so the lag is measured on one
 *     clock); the mean over rises. Resolution: one step (one scrape); the mean of n rises at random
 *     phases is unbiased.
 *  4. CPU: weighted least squares without intercept of CPU cores on busy slots and pods, over
 *     windows of at least 50 completions (a saturated step alone):
 *     cpu = cpuCoresPerBusySlot · busy + idleCpuCoresPerReplica · pods. Busy slots are ready ×
 *     concurrency in saturated steps (exact), the latency sum in low-load steps, and throughput ×
 *     E[S] (Little's law) elsewhere (`busySlots`); each window is weighted by the inverse variance
 *     of its residual (CPU measurement error, and the count noise of an estimated busy-slot value).
 *     A slope with a standard error above 20 % counts as not identified.
 *  5. memory: least squares of the working set on pods and busy slots: memoryBaseMb per pod plus
 *     memoryPerInflightMb per request in service.
 *
 * Anything the recording cannot identify (no low-load steps, no saturation, no scale-up, no ready
 * series) keeps the simulator's default and is reported as such, never guessed silently.
 */
import type { ResourceRequests } from '../metrics/types.js';
import type { HistogramBucket } from '../metrics/types.js';
import type { SimConfig } from '../sim/config.js';
import { DEFAULT_SIM_CONFIG } from '../sim/config.js';
import type { RecordField, Recording, RecordingRecord } from './format.js';
import { addBuckets, goodnessOfFit, median, type GoodnessOfFit } from './goodness-of-fit.js';
import { fitLognormalToBuckets, type LognormalFit } from './lognormal-fit.js';

/** Low load: predicted M/M/s mean wait at most this fraction of a mean service time. */
export const LOW_LOAD_MAX_WAIT_FRACTION = 0.01;
/** Saturation: mean latency at least this many mean service times. */
export const SATURATION_LATENCY_FACTOR = 3;
/** Fewer saturated steps than this and the concurrency counts as not identified. */
export const MIN_SATURATED_STEPS = 3;

export interface Estimate {
  /** Whether the recording identified the parameter (false: the simulator's default is kept). */
  identified: boolean;
  /** One line: how it was estimated, from what, with what precision. */
  method: string;
  details: Record<string, number | string | null>;
}

export interface Calibration {
  fn: string;
  /** The profile: a Partial<SimConfig> the simulator takes as is. */
  sim: Partial<SimConfig>;
  estimates: {
    serviceTime: Estimate & { fit: LognormalFit | null };
    concurrency: Estimate;
    coldStart: Estimate;
    cpu: Estimate;
    memory: Estimate;
  };
  fit: GoodnessOfFit;
  /** Null fields of this function's records, by field, and the repairs (notes) by text. */
  dataQuality: { steps: number; nulls: Partial<Record<RecordField, number>>; notes: Record<string, number> };
  warnings: string[];
}

export interface CalibrateOptions {
  recording: Recording;
  /** A function of the recording (`<name>.<namespace>`). */
  fn: string;
  /** Per-replica resource requests, to carry into the profile (the recording does not hold them). */
  requests?: ResourceRequests;
  /** Goodness-of-fit window in steps. */
  fitWindowSteps: number;
  seed: number;
}

/** Per step, what the estimators read. */
interface Row {
  rec: RecordingRecord;
  /** Arrivals per second (started, else completions). */
  lambda: number | null;
  /** Completions per second. */
  throughput: number | null;
  /** Ready replicas (else spec replicas). */
  ready: number | null;
}

export function calibrate(opts: CalibrateOptions): Calibration {
  const records = opts.recording.byFunction.get(opts.fn);
  if (!records) throw new Error(`calibrate: ${opts.fn} is not in the recording`);
  const step = opts.recording.header.stepSeconds;
  const rows: Row[] = records.map((rec) => ({
    rec,
    lambda: rec.started !== null ? rec.started / step : rec.requests !== null ? rec.requests / step : null,
    throughput: rec.requests !== null ? rec.requests / step : null,
    ready: rec.readyReplicas ?? rec.replicas,
  }));
  const warnings: string[] = [];

  // 1–2: service time and concurrency, alternating until stable.
  let serviceMs = bootstrapServiceMs(rows);
  let concurrency = 1;
  let service: (Estimate & { fit: LognormalFit | null }) | undefined;
  let conc: (Estimate & { saturated: number[] }) | undefined;
  let lowSteps: number[] = [];
  for (let iteration = 0; iteration < 8 && serviceMs !== null; iteration++) {
    const low = lowLoadSteps(rows, serviceMs, concurrency);
    lowSteps = low;
    const fit = low.length > 0 ? fitLognormalToBuckets(sumBuckets(low.map((i) => rows[i].rec.latencyBuckets!))) : null;
    service = serviceEstimate(fit, low.length, serviceMs, concurrency);
    const nextServiceMs = fit ? Math.exp(fit.mu + (fit.sigma * fit.sigma) / 2) : serviceMs;
    conc = concurrencyEstimate(rows, nextServiceMs);
    const nextConcurrency = conc.identified ? (conc.details.concurrency as number) : concurrency;
    const stable = Math.abs(nextServiceMs - serviceMs) < 1e-6 * serviceMs && nextConcurrency === concurrency;
    serviceMs = nextServiceMs;
    concurrency = nextConcurrency;
    if (stable) break;
  }
  if (service === undefined || conc === undefined) {
    service = {
      identified: false,
      method: 'no step with a successful request and a replica count: nothing to fit',
      details: {},
      fit: null,
    };
    conc = { identified: false, method: 'no service time, so no capacity', details: {}, saturated: [] };
  }
  if (!service.identified && !conc.identified && serviceMs !== null) {
    // Never saturated, so the concurrency is unknown and the low-load test had to assume 1 slot per
    // replica, which a moderately loaded function fails. Fall back on the least-loaded quarter of
    // the steady steps, and say that queueing in them could not be ruled out.
    const least = leastLoadedSteps(rows);
    const fit = least.length > 0 ? fitLognormalToBuckets(sumBuckets(least.map((i) => rows[i].rec.latencyBuckets!))) : null;
    if (fit) {
      service = serviceEstimate(fit, least.length, serviceMs, concurrency);
      service.method = `maximum likelihood on the bucket counts of ${fit.observations} requests in the ${least.length} least-loaded steady steps (concurrency unknown, so queueing in them is not ruled out: an upper bound)`;
      warnings.push(
        `service time from the least-loaded steps: the recording never saturated, so the concurrency is unknown and queueing at low load cannot be ruled out`,
      );
      serviceMs = Math.exp(fit.mu + (fit.sigma * fit.sigma) / 2);
      lowSteps = least;
    }
  }
  const meanServiceMs = serviceMs ?? null;
  const coldStart = coldStartEstimate(rows, step);
  const busy = busySlots(rows, meanServiceMs, step, {
    low: lowSteps,
    saturated: conc.identified ? conc.saturated : [],
    concurrency: conc.identified ? concurrency : null,
  });
  const cpu = cpuEstimate(rows, busy, meanServiceMs);
  const memory = memoryEstimate(rows, meanServiceMs);

  const sim: Partial<SimConfig> = { functionName: opts.fn };
  if (service.identified && service.fit) sim.serviceTime = { kind: 'lognormal', mu: service.fit.mu, sigma: service.fit.sigma };
  if (conc.identified) sim.concurrencyPerReplica = conc.details.concurrency as number;
  if (coldStart.identified) sim.coldStartSeconds = coldStart.details.coldStartSeconds as number;
  if (cpu.identified) {
    sim.cpuCoresPerBusySlot = cpu.details.cpuCoresPerBusySlot as number;
    sim.idleCpuCoresPerReplica = cpu.details.idleCpuCoresPerReplica as number;
  }
  if (memory.identified) {
    sim.memoryBaseMb = memory.details.memoryBaseMb as number;
    sim.memoryPerInflightMb = memory.details.memoryPerInflightMb as number;
  }
  if (opts.requests) sim.requests = opts.requests;
  for (const [name, e] of Object.entries({ 'service time': service, concurrency: conc, 'cold start': coldStart, CPU: cpu, memory })) {
    if (!e.identified) warnings.push(`${name} not identified (${e.method}); the simulator's default is kept`);
  }

  const fit = goodnessOfFit({
    records,
    stepSeconds: step,
    sim: { ...sim, serviceTime: sim.serviceTime ?? fallbackService(meanServiceMs) },
    seed: opts.seed,
    windowSteps: opts.fitWindowSteps,
  });
  return {
    fn: opts.fn,
    sim,
    estimates: {
      serviceTime: service,
      concurrency: { identified: conc.identified, method: conc.method, details: conc.details },
      coldStart,
      cpu,
      memory,
    },
    fit,
    dataQuality: dataQuality(records),
    warnings,
  };
}

/** Without an identified lognormal, the replay still needs a service time: the mean seen at low load. */
function fallbackService(meanServiceMs: number | null): SimConfig['serviceTime'] {
  return meanServiceMs !== null ? { kind: 'exponential', meanMs: meanServiceMs } : DEFAULT_SIM_CONFIG.serviceTime;
}

function dataQuality(records: readonly RecordingRecord[]): Calibration['dataQuality'] {
  const nulls: Partial<Record<RecordField, number>> = {};
  const notes: Record<string, number> = {};
  for (const r of records) {
    for (const f of Object.keys(r.missing) as RecordField[]) nulls[f] = (nulls[f] ?? 0) + 1;
    for (const n of r.notes) notes[n] = (notes[n] ?? 0) + 1;
  }
  return { steps: records.length, nulls, notes };
}

/**
 * A first guess of E[S] to start the alternation: the median of the per-step mean latencies of the
 * quarter of steps with the lowest ones. Queueing only adds to latency, so these are the steps
 * closest to pure service; the guess errs low, which makes the first low-load selection lax, and
 * the alternation then settles from below.
 */
function bootstrapServiceMs(rows: readonly Row[]): number | null {
  const means = rows
    .map((r) => r.rec.meanExecutionMs)
    .filter((m): m is number => m !== null && m > 0)
    .sort((a, b) => a - b);
  if (means.length === 0) return null;
  return median(means.slice(0, Math.max(1, Math.ceil(means.length / 4))));
}

/** The quarter of steady steps (ready unchanged) with the fewest arrivals per ready replica. */
function leastLoadedSteps(rows: readonly Row[]): number[] {
  const steady: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    if (r.rec.latencyBuckets && r.rec.requests && r.lambda !== null && r.ready && r.ready === rows[i - 1].ready) steady.push(i);
  }
  steady.sort((a, b) => rows[a].lambda! / rows[a].ready! - rows[b].lambda! / rows[b].ready!);
  return steady.slice(0, Math.ceil(steady.length / 4));
}

/** Erlang C: probability that an arrival waits in M/M/s with offered load a (a < s). */
export function erlangC(servers: number, offered: number): number {
  if (offered <= 0) return 0;
  if (offered >= servers) return 1;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (offered * b) / (k + offered * b);
  return (servers * b) / (servers - offered * (1 - b));
}

/** M/M/s mean wait in units of the mean service time: C(s, a) / (s − a). */
export function mmsWaitFraction(servers: number, offered: number): number {
  if (offered >= servers) return Number.POSITIVE_INFINITY;
  return erlangC(servers, offered) / (servers - offered);
}

function lowOffered(r: Row, serviceMs: number, concurrency: number): boolean {
  if (r.lambda === null || !r.ready || r.ready <= 0) return false;
  return mmsWaitFraction(Math.round(r.ready * concurrency), (r.lambda * serviceMs) / 1000) <= LOW_LOAD_MAX_WAIT_FRACTION;
}

/**
 * Requests in the system (queued or in service) at the end of each step, from the counters:
 * arrivals (`started`) minus completions (`requests`), summed. The sum starts at an unknown
 * count, so within each run of steps with both counters known it is anchored by Little's law:
 * at low offered load the mean number in the system is λ·E[S], so the offset is the median of
 * λ·E[S] − cumulative over the run's low-offered-load steps. Null where a counter is null.
 *
 * This is what tells a step of low offered load from one that is still working off a queue left by
 * a burst (the drain after a scale-up): the offered load is low in both, the backlog is not.
 */
export function backlog(rows: readonly Row[], serviceMs: number, concurrency: number): (number | null)[] {
  const out: (number | null)[] = rows.map(() => null);
  let i = 0;
  while (i < rows.length) {
    if (rows[i].rec.started === null || rows[i].rec.requests === null) {
      i++;
      continue;
    }
    const start = i;
    const cumulative: number[] = [];
    let sum = 0;
    // A run also ends where the gateway's counters reset or restarted: requests in flight at that
    // moment were counted as started before it and will be counted as completed after it.
    for (
      ;
      i < rows.length && rows[i].rec.started !== null && rows[i].rec.requests !== null && (i === start || !countersRestarted(rows[i]));
      i++
    ) {
      sum += rows[i].rec.started! - rows[i].rec.requests!;
      cumulative.push(sum);
    }
    const anchors: number[] = [];
    for (let k = start; k < i; k++)
      if (lowOffered(rows[k], serviceMs, concurrency)) anchors.push((rows[k].lambda! * serviceMs) / 1000 - cumulative[k - start]);
    // Without a low-load step the smallest count seen is taken as empty: a lower bound.
    const offset = anchors.length > 0 ? median(anchors.sort((a, b) => a - b)) : -Math.min(...cumulative);
    for (let k = start; k < i; k++) out[k] = cumulative[k - start] + offset;
  }
  return out;
}

function countersRestarted(r: Row): boolean {
  return r.rec.notes.some((n) => /gateway_function_invocation_(total|started)/.test(n));
}

/** Steps whose latencies are service times (criterion in the header). */
export function lowLoadSteps(rows: readonly Row[], serviceMs: number, concurrency: number): number[] {
  const inSystem = backlog(rows, serviceMs, concurrency);
  const noQueue = (k: number): boolean => {
    const n = inSystem[k];
    // Unknown backlog (a counter is null): fall back on the offered load alone.
    return n === null || (rows[k].ready !== null && n <= rows[k].ready! * concurrency);
  };
  const out: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    const p = rows[i - 1];
    if (!r.rec.latencyBuckets || r.rec.requests === null || r.rec.requests === 0) continue;
    if (r.ready !== p.ready || r.rec.replicas !== p.rec.replicas) continue;
    if (lowOffered(r, serviceMs, concurrency) && lowOffered(p, serviceMs, concurrency) && noQueue(i) && noQueue(i - 1)) out.push(i);
  }
  return out;
}

function sumBuckets(list: readonly (readonly HistogramBucket[])[]): HistogramBucket[] {
  return list.reduce<HistogramBucket[]>((acc, b) => (acc.length ? addBuckets(acc, b) : [...b]), []);
}

function serviceEstimate(
  fit: LognormalFit | null,
  steps: number,
  serviceMs: number,
  concurrency: number,
): Estimate & { fit: LognormalFit | null } {
  if (!fit) {
    return {
      identified: false,
      method:
        steps === 0
          ? `no low-load step (predicted M/M/s wait ≤ ${LOW_LOAD_MAX_WAIT_FRACTION * 100} % of a service time of ${serviceMs.toFixed(1)} ms at concurrency ${concurrency})`
          : 'the low-load latencies fill fewer than two buckets',
      details: { lowLoadSteps: steps },
      fit: null,
    };
  }
  const medianMs = Math.exp(fit.mu);
  const meanMs = Math.exp(fit.mu + (fit.sigma * fit.sigma) / 2);
  return {
    identified: true,
    method: `maximum likelihood on the bucket counts of ${fit.observations} requests in ${steps} low-load steps`,
    details: {
      mu: fit.mu,
      sigma: fit.sigma,
      muStdErr: fit.muStdErr,
      sigmaStdErr: fit.sigmaStdErr,
      medianMs,
      meanMs,
      requests: fit.observations,
      lowLoadSteps: steps,
    },
    fit,
  };
}

function concurrencyEstimate(rows: readonly Row[], serviceMs: number): Estimate & { saturated: number[] } {
  const perStep: number[] = [];
  const saturated: number[] = [];
  let best = 0;
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    const p = rows[i - 1];
    if (r.throughput === null || !r.ready || r.ready !== p.ready || r.rec.replicas !== p.rec.replicas) continue;
    const busyPerReplica = (r.throughput * serviceMs) / 1000 / r.ready;
    best = Math.max(best, busyPerReplica);
    const queued = (x: Row): boolean => x.rec.meanExecutionMs !== null && x.rec.meanExecutionMs >= SATURATION_LATENCY_FACTOR * serviceMs;
    const notDraining = r.rec.started === null || r.rec.requests === null || r.rec.started >= r.rec.requests;
    if (queued(r) && queued(p) && notDraining) {
      perStep.push(busyPerReplica);
      saturated.push(i);
    }
  }
  if (perStep.length < MIN_SATURATED_STEPS) {
    return {
      identified: false,
      method: `${perStep.length} saturated steps (need ${MIN_SATURATED_STEPS}: mean latency ≥ ${SATURATION_LATENCY_FACTOR} × ${serviceMs.toFixed(1)} ms, not draining, replicas steady); busiest step had ${best.toFixed(2)} busy slots per replica, a lower bound`,
      details: { saturatedSteps: perStep.length, lowerBound: best },
      saturated,
    };
  }
  const raw = median([...perStep].sort((a, b) => a - b));
  const concurrency = Math.max(1, Math.round(raw));
  return {
    identified: true,
    method: `median of throughput × E[S] / ready over ${perStep.length} saturated steps`,
    details: { concurrency, raw, saturatedSteps: perStep.length, capacityPerReplicaRps: concurrency / (serviceMs / 1000) },
    saturated,
  };
}

function coldStartEstimate(rows: readonly Row[], stepSeconds: number): Estimate {
  const lags: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const target = rows[i].rec.replicas;
    const before = rows[i - 1].rec.replicas;
    if (target === null || before === null || target <= before) continue;
    for (let k = i; k < rows.length; k++) {
      const spec = rows[k].rec.replicas;
      const ready = rows[k].rec.readyReplicas;
      if (spec === null || ready === null || spec < target) break; // unknown, or scaled down before it was ready
      if (ready >= target) {
        lags.push((k - i) * stepSeconds);
        break;
      }
    }
  }
  if (lags.length === 0) {
    const noReady = rows.every((r) => r.rec.readyReplicas === null);
    return {
      identified: false,
      method: noReady
        ? 'no ready-replica series in the recording (kube_deployment_status_replicas_ready)'
        : 'no scale-up that became ready inside the recording',
      details: { scaleUps: 0 },
    };
  }
  const mean = lags.reduce((s, x) => s + x, 0) / lags.length;
  const sd = Math.sqrt(lags.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, lags.length - 1));
  return {
    identified: true,
    method: `mean lag from a rise of spec.replicas to the ready count reaching it, over ${lags.length} scale-ups (resolution ${stepSeconds} s per event)`,
    details: {
      coldStartSeconds: mean,
      scaleUps: lags.length,
      minSeconds: Math.min(...lags),
      maxSeconds: Math.max(...lags),
      stdErrSeconds: sd / Math.sqrt(lags.length),
      resolutionSeconds: stepSeconds,
    },
  };
}

/** Least squares without intercept, y ≈ b1·x1 + b2·x2; falls back to b2 = 0 when b2 < 0. */
export function leastSquares2(
  x1: readonly number[],
  x2: readonly number[],
  y: readonly number[],
): { b1: number; b2: number; r2: number } | null {
  const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);
  const s11 = dot(x1, x1);
  const s22 = dot(x2, x2);
  const s12 = dot(x1, x2);
  const s1y = dot(x1, y);
  const s2y = dot(x2, y);
  const det = s11 * s22 - s12 * s12;
  let b1: number;
  let b2: number;
  if (det > 1e-12 * s11 * s22) {
    b1 = (s1y * s22 - s2y * s12) / det;
    b2 = (s2y * s11 - s1y * s12) / det;
  } else {
    return null;
  }
  if (b2 < 0) {
    b2 = 0;
    b1 = s11 > 0 ? s1y / s11 : 0;
  } else if (b1 < 0) {
    b1 = 0;
    b2 = s22 > 0 ? s2y / s22 : 0;
  }
  const meanY = y.reduce((s, v) => s + v, 0) / y.length;
  const ssTot = y.reduce((s, v) => s + (v - meanY) ** 2, 0);
  const ssRes = y.reduce((s, v, i) => s + (v - b1 * x1[i] - b2 * x2[i]) ** 2, 0);
  return { b1, b2, r2: ssTot > 0 ? 1 - ssRes / ssTot : 1 };
}

/**
 * Busy slots per step, the CPU regression's main input, each from the least noisy source at hand:
 * in saturated steps every slot of every ready replica is busy (ready × concurrency, exact); in
 * low-load steps the latencies are service times, so their sum over the step is the busy
 * slot-seconds of its completions; elsewhere throughput × E[S] (Little's law).
 */
function busySlots(
  rows: readonly Row[],
  serviceMs: number | null,
  stepSeconds: number,
  sets: { low: readonly number[]; saturated: readonly number[]; concurrency: number | null },
): (Busy | null)[] {
  const low = new Set(sets.low);
  const saturated = new Set(sets.saturated);
  return rows.map((r, i) => {
    if (saturated.has(i) && sets.concurrency !== null && r.ready) return { slots: r.ready * sets.concurrency, exact: true };
    if (low.has(i) && r.rec.latencySumSeconds !== null) return { slots: r.rec.latencySumSeconds / stepSeconds, exact: false };
    return serviceMs !== null && r.throughput !== null ? { slots: (r.throughput * serviceMs) / 1000, exact: false } : null;
  });
}

/** Busy slots of a step, and whether they are known exactly (saturation) or estimated from completions. */
interface Busy {
  slots: number;
  exact: boolean;
}

/** Relative error of a CPU measurement of one step (scrape timing of cAdvisor vs the gateway). */
const CPU_RELATIVE_ERROR = 0.05;

/** CPU windows gather steps until this many completions (count noise ≈ 1/√n ≤ 14 %). */
export const CPU_WINDOW_REQUESTS = 50;

function cpuEstimate(rows: readonly Row[], busySlots: readonly (Busy | null)[], serviceMs: number | null): Estimate {
  if (serviceMs === null) return { identified: false, method: 'no service time to turn throughput into busy slots', details: {} };
  const busy: number[] = [];
  const busyVariance: number[] = [];
  const pods: number[] = [];
  const cpu: number[] = [];
  let skipped = 0;
  // The ready count is steady around step k (scrapes of different jobs see a change up to a step apart).
  const settled = (k: number): boolean => k < 1 || k >= rows.length || (rows[k].ready !== null && rows[k].ready === rows[k - 1].ready);
  // A window: consecutive usable steps (exact ones stand alone) until CPU_WINDOW_REQUESTS completions.
  let window: { busy: number; pods: number; cpu: number; n: number; requests: number } | null = null;
  const close = (w: NonNullable<typeof window>, exact: boolean): void => {
    busy.push(w.busy / w.n);
    pods.push(w.pods / w.n);
    cpu.push(w.cpu / w.n);
    busyVariance.push(exact ? 0 : (w.busy / w.n) ** 2 / Math.max(1, w.requests));
  };
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    // Left out: unknown values; steps where pods ended (their CPU after the last scrape is lost
    // with their series); steps where the gateway's counters restarted (requests in flight lost);
    // steps around a change of the ready count (new replicas start work that completes only
    // later, so completions lag the busy slots and Little's law does not hold yet).
    const b = busySlots[i];
    const usable =
      r.rec.cpuCores !== null &&
      b !== null &&
      b.slots > 0 &&
      r.rec.pods !== null &&
      rows[i - 1].rec.pods !== null &&
      r.rec.pods >= rows[i - 1].rec.pods! &&
      !countersRestarted(r) &&
      settled(i - 1) &&
      settled(i) &&
      settled(i + 1);
    if (!usable) {
      skipped++;
      continue;
    }
    if (b.exact) {
      close({ busy: b.slots, pods: r.rec.pods!, cpu: r.rec.cpuCores!, n: 1, requests: 0 }, true);
      continue;
    }
    window ??= { busy: 0, pods: 0, cpu: 0, n: 0, requests: 0 };
    window.busy += b.slots;
    window.pods += r.rec.pods!;
    window.cpu += r.rec.cpuCores!;
    window.n++;
    window.requests += r.rec.requests ?? 0;
    if (window.requests >= CPU_WINDOW_REQUESTS) {
      close(window, false);
      window = null;
    }
  }
  if (window) close(window, false);
  if (cpu.length < 3)
    return {
      identified: false,
      method: `${cpu.length} usable windows with CPU, busy slots and pods (need 3, with busy slots and pods varying)`,
      details: { windows: cpu.length },
    };
  // Weighted least squares, weights 1/variance of each window's CPU residual: the CPU measurement
  // error plus the busy-slot estimate's error times the slope. Saturated steps (busy exact) while
  // replicas start (idle pods) are what tells busy from idle CPU; one unweighted pass gives the
  // slope the weights need.
  let fit = leastSquares2(busy, pods, cpu);
  let w: number[] = cpu.map(() => 1);
  for (let pass = 0; pass < 2 && fit; pass++) {
    const slope = fit.b1;
    w = cpu.map((c, i) => 1 / Math.sqrt((CPU_RELATIVE_ERROR * c) ** 2 + slope * slope * busyVariance[i] + 1e-6));
    fit = leastSquares2(
      busy.map((x, i) => x * w[i]),
      pods.map((x, i) => x * w[i]),
      cpu.map((x, i) => x * w[i]),
    );
  }
  if (!fit)
    return {
      identified: false,
      method: `${cpu.length} usable windows, but busy slots and pods move together: busy and idle CPU cannot be told apart`,
      details: { windows: cpu.length },
    };
  const stdErr = slopeStdErr(
    busy.map((x, i) => x * w[i]),
    pods.map((x, i) => x * w[i]),
    cpu.map((x, i) => x * w[i]),
    fit,
  );
  if (!(stdErr <= 0.2 * fit.b1)) {
    return {
      identified: false,
      method: `weighted least squares over ${cpu.length} windows gives ${fit.b1.toPrecision(3)} ± ${stdErr.toPrecision(2)} cores per busy slot: busy slots and pods do not vary enough to tell busy from idle CPU`,
      details: { cpuCoresPerBusySlot: fit.b1, stdErr, windows: cpu.length },
    };
  }
  return {
    identified: true,
    method: `weighted least squares of CPU cores on busy slots and pods over ${cpu.length} windows (${skipped} steps left out: unknown values, pods ending, ready count changing, counter restarts)`,
    details: {
      cpuCoresPerBusySlot: fit.b1,
      idleCpuCoresPerReplica: fit.b2,
      cpuCoreSecondsPerRequest: (fit.b1 * serviceMs) / 1000,
      stdErr,
      windows: cpu.length,
      stepsLeftOut: skipped,
    },
  };
}

/** Standard error of b1 in y ≈ b1·x1 + b2·x2 (no intercept), from the residual variance. */
function slopeStdErr(x1: readonly number[], x2: readonly number[], y: readonly number[], fit: { b1: number; b2: number }): number {
  const n = y.length;
  const params = fit.b2 === 0 ? 1 : 2;
  if (n <= params) return Number.POSITIVE_INFINITY;
  const rss = y.reduce((s, v, i) => s + (v - fit.b1 * x1[i] - fit.b2 * x2[i]) ** 2, 0);
  const sigma2 = rss / (n - params);
  const s11 = x1.reduce((s, v) => s + v * v, 0);
  const s22 = x2.reduce((s, v) => s + v * v, 0);
  const s12 = x1.reduce((s, v, i) => s + v * x2[i], 0);
  if (params === 1) return Math.sqrt(sigma2 / s11);
  const det = s11 * s22 - s12 * s12;
  return det > 0 ? Math.sqrt((sigma2 * s22) / det) : Number.POSITIVE_INFINITY;
}

function memoryEstimate(rows: readonly Row[], serviceMs: number | null): Estimate {
  const use = rows.filter((r) => r.rec.memoryBytes !== null && r.rec.pods !== null && r.rec.pods > 0 && r.throughput !== null);
  const busy = use.map((r) => (serviceMs === null ? 0 : (r.throughput! * serviceMs) / 1000));
  const mib = use.map((r) => r.rec.memoryBytes! / (1024 * 1024));
  const pods = use.map((r) => r.rec.pods!);
  let fit = use.length >= 3 ? leastSquares2(pods, busy, mib) : null;
  if (!fit && use.length >= 1) {
    // Busy slots constant (or unknown): memory per pod alone.
    const b1 = mib.reduce((s, m, i) => s + m * pods[i], 0) / pods.reduce((s, p) => s + p * p, 0);
    fit = { b1, b2: 0, r2: Number.NaN };
  }
  if (!fit) return { identified: false, method: 'no step with a working set and pods', details: { steps: 0 } };
  return {
    identified: true,
    method: `least squares of the working set on pods and busy slots over ${use.length} steps${Number.isNaN(fit.r2) ? '' : `, R² ${fit.r2.toFixed(3)}`}`,
    details: { memoryBaseMb: fit.b1, memoryPerInflightMb: fit.b2, r2: Number.isNaN(fit.r2) ? null : fit.r2, steps: use.length },
  };
}
