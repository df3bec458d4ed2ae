/**
 * The simulator against queueing theory. With exponential service, Poisson arrivals at a constant
 * rate and c warm replicas of concurrency 1, it is an M/M/c queue, whose mean wait is known exactly
 * (Erlang C). Little's law L = λW must hold for the queue and for the whole system; when the system
 * is empty at both ends of the run it holds exactly, time-outs included (which checks the
 * bookkeeping of requests that leave the queue by timing out).
 *
 * Run lengths: the standard error of a mean wait grows like 1/(1 − ρ)²; at ρ = 0.9 two million
 * requests give about 1.5 % (measured over 24 seeds), so the 5 % bound is over 3 standard errors.
 */
import { FunctionSimulator, type IntervalStats } from '../../../operator/src/sim/simulator.js';
import { constant, traceFn } from './helpers.js';

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let sum = 0;
  let term = 1;
  for (let k = 0; k < c; k++) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const tail = (term * a) / c / (1 - a / c);
  return tail / (sum + tail);
}

type Config = ConstructorParameters<typeof FunctionSimulator>[0]['config'];

/** Runs in one-hour steps (after `start` sets replicas, if given) and returns every interval's stats. */
function run(opts: { counts: number[]; binSeconds: number; seed: number; config: Config; startReplicas?: number }): IntervalStats[] {
  const sim = new FunctionSimulator({ fn: traceFn(opts.counts), binSeconds: opts.binSeconds, seed: opts.seed, config: opts.config });
  if (opts.startReplicas !== undefined) sim.setReplicas(opts.startReplicas);
  const total = opts.counts.length * opts.binSeconds;
  const out: IntervalStats[] = [];
  for (let t = 0; t < total; t += 3600) out.push(sim.advance(Math.min(3600, total - t)).stats);
  return out;
}

const sum = (xs: IntervalStats[], f: (s: IntervalStats) => number): number => xs.reduce((acc, s) => acc + f(s), 0);

describe('M/M/c mean waiting time vs Erlang C', () => {
  const servers = 2;
  const meanServiceSeconds = 1;
  const cases = [
    { rho: 0.5, requests: 500_000 },
    { rho: 0.8, requests: 1_000_000 },
    { rho: 0.9, requests: 2_000_000 },
  ];
  it.each(cases)('utilisation $rho over $requests requests: within 5 %', ({ rho, requests }) => {
    const lambda = (rho * servers) / meanServiceSeconds;
    const binSeconds = 60;
    const bins = Math.ceil(requests / (lambda * binSeconds));
    const stats = run({
      counts: constant(lambda * binSeconds, bins),
      binSeconds,
      seed: 1,
      config: {
        initialReplicas: servers,
        upstreamTimeoutSeconds: Infinity,
        coldStartSeconds: 0,
        serviceTime: { kind: 'exponential', meanMs: meanServiceSeconds * 1000 },
      },
    });
    const wantWq = erlangC(servers, lambda * meanServiceSeconds) / (servers / meanServiceSeconds - lambda);
    const gotWq = sum(stats, (s) => s.queueWaitSumSeconds) / sum(stats, (s) => s.leftQueue);
    const relativeError = (gotWq - wantWq) / wantWq;
    expect({ wantWq, gotWq, relativeError, within5Percent: Math.abs(relativeError) < 0.05 }).toMatchObject({ within5Percent: true });
  });
});

describe("Little's law", () => {
  const cases = [
    {
      // Stable M/M/2 at ρ = 0.8, then empty bins so the system drains before the end.
      name: 'stable queue',
      counts: [...constant(1.6 * 60, 600), ...constant(0, 10)],
      config: { initialReplicas: 2, upstreamTimeoutSeconds: Infinity, serviceTime: { kind: 'exponential', meanMs: 1000 } } as Config,
      startReplicas: undefined,
      timeouts: false,
    },
    {
      // Overloaded (ρ = 1.3) with a 5 s upstream time-out, starting from zero replicas with a
      // 30 s cold start: requests time out in the queue (booked at their deadline, noticed later)
      // and in service; the queue-length integral must still match their waits. (With FIFO and one
      // time-out for all, a queued request can only time out while no replica is ready: anything
      // in service arrived earlier and so is stopped before the head of the queue expires.)
      name: 'overload with time-outs',
      counts: [...constant(2.6 * 60, 300), ...constant(0, 10)],
      config: {
        initialReplicas: 0,
        allowScaleToZero: true,
        coldStartSeconds: 30,
        upstreamTimeoutSeconds: 5,
        serviceTime: { kind: 'exponential', meanMs: 1000 },
      } as Config,
      startReplicas: 2,
      timeouts: true,
    },
  ];
  it.each(cases)('$name: L = λW for the queue and the system', ({ counts, config, startReplicas, timeouts }) => {
    const stats = run({ counts, binSeconds: 60, seed: 3, config, startReplicas });
    const seconds = counts.length * 60;
    const last = stats[stats.length - 1];
    expect({ inSystemAtEnd: last.inSystem, timedOut: sum(stats, (s) => s.timeouts) > 0 }).toEqual({ inSystemAtEnd: 0, timedOut: timeouts });

    const arrivals = sum(stats, (s) => s.arrivals);
    const lambda = arrivals / seconds;
    const lQueue = sum(stats, (s) => s.meanQueueLength * (s.endSeconds - s.startSeconds)) / seconds;
    const lSystem = sum(stats, (s) => s.meanInSystem * (s.endSeconds - s.startSeconds)) / seconds;
    const wQueue = sum(stats, (s) => s.queueWaitSumSeconds) / sum(stats, (s) => s.leftQueue);
    const wSystem = sum(stats, (s) => s.latencySumSeconds) / sum(stats, (s) => s.completions);
    expect(sum(stats, (s) => s.completions)).toBe(arrivals);
    expect(sum(stats, (s) => s.leftQueue)).toBe(arrivals);
    // Empty at both ends: the identities are exact up to rounding.
    expect(lQueue).toBeCloseTo(lambda * wQueue, 9);
    expect(lSystem).toBeCloseTo(lambda * wSystem, 9);
    expect(lQueue).toBeGreaterThan(0);
  });
});
