/**
 * `npm run bench -- sim`: how fast the simulator runs the busiest function of the Azure 2019 slice
 * (`rank:1`, ≈ 9.5 requests/s, ≈ 0.93 s mean service).
 *
 *  - reference: a minimal hand-written M/M/c loop (exponential gaps, FIFO, a heap of departures;
 *    no metrics, no time-outs, no replicas) over the same number of requests, in this process.
 *  - simulator: a full day (the 480-minute slice played three times) with 12 static replicas,
 *    through `runEpisode` (windows, Observations, exact stats, 30-s intervals).
 *  - oracle: the 480-minute slice with the oracle, whose every decision runs clones of the
 *    simulator; its events include those of the trial runs.
 *
 * Figures are events per second, simulated seconds per wall second, and the ratio of the
 * simulator's event rate to the reference's. Median of three runs. Printed, never asserted.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { loadTrace, parseFunctionSelector, selectFunction } from '#kernel/traces/index.js';
import type { TraceFunction } from '#kernel/traces/types.js';
import type { Observation } from '../operator/src/metrics/types.js';
import type { Recommendation, ScalingPolicy } from '../operator/src/policies/policy.js';
import { createOraclePolicy } from '../operator/src/policies/oracle.js';
import type { RailsDecision } from '../operator/src/rails/types.js';
import { runEpisode, type EpisodeRails } from '../operator/src/sim/episode.js';
import { SimulatorLookahead } from '../operator/src/sim/lookahead.js';
import { Random } from '../operator/src/sim/random.js';
import { packageRoot } from '../operator/src/package-root.js';

const TRACE = 'traces/azure2019/invitro_sample250_min480-959';
const RUNS = 3;
const STATIC_REPLICAS = 12;
const SLO_P95_MS = 2000;
const INTERVAL_SECONDS = 30;

interface Timing {
  wallSeconds: number;
  events: number;
  simulatedSeconds: number;
}

export async function run(): Promise<void> {
  const trace = await loadTrace({ trace: join(packageRoot(), TRACE) });
  const fn = selectFunction(trace, parseFunctionSelector('rank:1'));
  const requests = fn.counts.reduce((a, b) => a + b, 0);
  const day: TraceFunction = { ...fn, counts: [...fn.counts, ...fn.counts, ...fn.counts] };
  console.log(`machine: ${availableParallelism()} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
  console.log(
    `function: rank:1 ${fn.id.slice(0, 8)} (${fn.trigger ?? '?'}), ${requests} requests in ${fn.counts.length} min (${(requests / (fn.counts.length * 60)).toFixed(2)} req/s); median of ${RUNS} runs`,
  );

  const simulator = median(() => {
    const t0 = performance.now();
    const episode = runEpisode({
      fn: day,
      binSeconds: trace.binSeconds,
      policy: fixed(STATIC_REPLICAS),
      rails: boundsOnly(1, 24),
      intervalSeconds: INTERVAL_SECONDS,
      seed: 1,
      sloP95Ms: SLO_P95_MS,
    });
    return { wallSeconds: (performance.now() - t0) / 1000, events: episode.events, simulatedSeconds: episode.simulatedSeconds };
  });
  const dayRequests = 3 * requests;
  const meanServiceSeconds = 0.928; // the function's Average (durations.csv)
  const reference = median(() =>
    bareMmc(Math.round(dayRequests), dayRequests / (day.counts.length * 60), meanServiceSeconds, STATIC_REPLICAS),
  );

  const oracle = await medianAsync(async () => {
    const lookahead = new SimulatorLookahead();
    const policy = await createOraclePolicy(
      { name: 'oracle' },
      { minReplicas: 1, maxReplicas: 24, sloP95Ms: SLO_P95_MS, intervalSeconds: INTERVAL_SECONDS, lookahead },
    );
    const t0 = performance.now();
    const episode = runEpisode({
      fn,
      binSeconds: trace.binSeconds,
      policy,
      rails: boundsOnly(1, 24),
      intervalSeconds: INTERVAL_SECONDS,
      seed: 1,
      sloP95Ms: SLO_P95_MS,
      lookahead,
    });
    return {
      wallSeconds: (performance.now() - t0) / 1000,
      events: episode.events + lookahead.trialEvents,
      simulatedSeconds: episode.simulatedSeconds,
    };
  });

  const rows: Array<[string, Timing]> = [
    ['reference: bare M/M/c loop, one day', reference],
    [`simulator: one day, static ${STATIC_REPLICAS} replicas`, simulator],
    ['simulator: 480 min, oracle (with its trial runs)', oracle],
  ];
  console.log('| run | wall s | events | events/s | simulated s per wall s | events/s vs reference |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const refRate = reference.events / reference.wallSeconds;
  for (const [name, t] of rows) {
    const rate = t.events / t.wallSeconds;
    console.log(
      `| ${name} | ${t.wallSeconds.toFixed(3)} | ${t.events} | ${fmt(rate)} | ${fmt(t.simulatedSeconds / t.wallSeconds)} | ${(rate / refRate).toFixed(2)} |`,
    );
  }
}

/** A minimal M/M/c event loop: the floor of what any discrete-event simulation of this queue costs. */
function bareMmc(requests: number, ratePerSecond: number, meanServiceSeconds: number, servers: number): Timing {
  const t0 = performance.now();
  const rng = new Random(1);
  const departures = new Float64Array(servers); // min-heap of busy servers' departure times
  let busy = 0;
  const queue = new Float64Array(requests);
  let head = 0;
  let tail = 0;
  let events = 0;
  let now = 0;
  let nextArrival = rng.exponential(1 / ratePerSecond);
  let arrived = 0;
  let waitSum = 0;
  while (arrived < requests || busy > 0) {
    if (arrived < requests && (busy === 0 || nextArrival < departures[0])) {
      now = nextArrival;
      arrived++;
      nextArrival = now + rng.exponential(1 / ratePerSecond);
      if (busy < servers) heapPush(departures, busy++, now + rng.exponential(meanServiceSeconds));
      else queue[tail++] = now;
    } else {
      now = departures[0];
      busy = heapPop(departures, busy);
      if (head < tail) {
        waitSum += now - queue[head++];
        heapPush(departures, busy++, now + rng.exponential(meanServiceSeconds));
      }
    }
    events++;
  }
  if (!(waitSum >= 0)) throw new Error('unreachable'); // keeps the loop's work observable
  return { wallSeconds: (performance.now() - t0) / 1000, events, simulatedSeconds: now };
}

function heapPush(h: Float64Array, n: number, x: number): void {
  let i = n;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p] <= x) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

/** Removes the minimum; returns the new size. */
function heapPop(h: Float64Array, n: number): number {
  const last = h[--n];
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && h[c + 1] < h[c]) c++;
    if (h[c] >= last) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = last;
  return n;
}

function fixed(replicas: number): ScalingPolicy {
  return {
    name: 'static',
    recommend: (_obs: Observation, _now: number): Recommendation => ({ valid: true, desiredReplicas: replicas, reason: 'bench' }),
    reset(): void {},
    dispose(): void {},
  };
}

function boundsOnly(min: number, max: number): EpisodeRails {
  return {
    apply: ({ rawDesiredReplicas }): RailsDecision => {
      const bounded = Math.min(max, Math.max(min, rawDesiredReplicas));
      return { rawDesiredReplicas, boundedDesiredReplicas: bounded, limitedBy: 'none', reason: 'bench' };
    },
    reset(): void {},
  };
}

function median(f: () => Timing): Timing {
  const runs = Array.from({ length: RUNS }, f).sort((a, b) => a.wallSeconds - b.wallSeconds);
  return runs[Math.floor(RUNS / 2)];
}

async function medianAsync(f: () => Promise<Timing>): Promise<Timing> {
  const runs: Timing[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await f());
  runs.sort((a, b) => a.wallSeconds - b.wallSeconds);
  return runs[Math.floor(RUNS / 2)];
}

function fmt(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(1);
}
