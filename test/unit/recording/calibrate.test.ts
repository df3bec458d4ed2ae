/**
 * calibrate() on recordings the simulator makes of the round trip's script (the same arrivals and
 * scaling as test/integration/record-calibrate.test.ts, no Prometheus in between): every parameter
 * comes back within 10 % for several seeds and scaling phases; what a recording cannot identify is
 * reported as such and keeps the simulator's default.
 */
import { calibrate, erlangC, leastSquares2, mmsWaitFraction } from '../../../operator/src/recording/calibrate.js';
import { KNOWN_PROFILE, KNOWN_SIM, SCENARIO_COUNTS, SCENARIO_SCALING } from '../../integration/record-calibrate-scenario.js';
import { FN, simRecording } from './sim-recording.js';

const meanServiceMs = Math.exp(Math.log(KNOWN_PROFILE.medianMs) + KNOWN_PROFILE.sigma ** 2 / 2);

function expectWithin(name: string, got: number | undefined, want: number, tolerance = 0.1): void {
  const error = got === undefined ? Number.NaN : (got - want) / want;
  if (!(Math.abs(error) <= tolerance)) throw new Error(`${name}: want ${want} within ${tolerance * 100} %, got ${got}`);
}

describe('calibrate on simulated recordings of the round-trip script', () => {
  // Each row: a seed of the arrivals and service times, and where inside its second each scaling
  // happens (the scrape grid of a real recording sees it at a random phase).
  const cases = [
    { seed: 1, phase: 0.1 },
    { seed: 2, phase: 0.5 },
    { seed: 3, phase: 0.9 },
    { seed: 4, phase: 0.3 },
  ];
  it.each(cases)('seed $seed, scaling at +$phase s: every parameter within 10 %', ({ seed, phase }) => {
    const recording = simRecording({
      counts: SCENARIO_COUNTS,
      scaling: SCENARIO_SCALING.map(([t, r]) => [t + phase, r] as const),
      sim: { ...KNOWN_SIM, arrivals: 'poisson' },
      seed,
    });
    const cal = calibrate({ recording, fn: FN, fitWindowSteps: 5, seed: 1 });
    expect(cal.warnings).toEqual([]);
    const st = cal.sim.serviceTime as { kind: string; mu: number; sigma: number };
    expect(st.kind).toBe('lognormal');
    expectWithin('median service time', Math.exp(st.mu), KNOWN_PROFILE.medianMs);
    expectWithin('sigma', st.sigma, KNOWN_PROFILE.sigma);
    expect(cal.sim.concurrencyPerReplica).toBe(KNOWN_PROFILE.concurrencyPerReplica);
    expectWithin(
      'capacity per replica',
      cal.estimates.concurrency.details.capacityPerReplicaRps as number,
      KNOWN_PROFILE.concurrencyPerReplica / (meanServiceMs / 1000),
    );
    // Changes inside a step are seen at the step's end on both series: the lag is whole steps.
    expectWithin('cold start', cal.sim.coldStartSeconds, KNOWN_PROFILE.coldStartSeconds);
    expectWithin('CPU per busy slot', cal.sim.cpuCoresPerBusySlot, KNOWN_PROFILE.cpuCoresPerBusySlot);
    expectWithin('memory per replica', cal.sim.memoryBaseMb, KNOWN_PROFILE.memoryBaseMb, 0.001);
    // The simulator replaying its own recording (another seed; arrivals evenly spaced in each
    // step instead of at random): the median error over 5-s windows is small.
    expect(cal.fit.p95.medianApe!).toBeLessThan(0.1);
    expect(cal.fit.cpu.medianApe!).toBeLessThan(0.1);
  });

  it('says what a short recording without saturation, scale-ups or ready replicas cannot identify, and keeps the defaults', () => {
    // 14 s at 30 req/s on 16 replicas, never scaled. (Low enough to count as low load even for a
    // concurrency of 1, the assumption while the concurrency is not identified.)
    const lowOnly = new Array<number>(14).fill(30);
    const recording = simRecording({ counts: lowOnly, scaling: [], sim: { ...KNOWN_SIM, arrivals: 'poisson' }, seed: 5 });
    for (const r of recording.byFunction.get(FN)!) {
      r.readyReplicas = null;
      r.missing.readyReplicas = 'no series kube_deployment_status_replicas_ready';
    }
    const cal = calibrate({ recording, fn: FN, fitWindowSteps: 5, seed: 1 });
    expect(cal.estimates.serviceTime.identified).toBe(true);
    expect(cal.estimates.concurrency.identified).toBe(false);
    expect(cal.estimates.coldStart.identified).toBe(false);
    expect(cal.sim.concurrencyPerReplica).toBeUndefined();
    expect(cal.sim.coldStartSeconds).toBeUndefined();
    expect(cal.warnings).toEqual([
      expect.stringMatching(/^concurrency not identified \(0 saturated steps .*lower bound\)/),
      expect.stringMatching(/^cold start not identified \(no ready-replica series/),
    ]);
    expect(cal.dataQuality.nulls.readyReplicas).toBe(14);
  });
});

describe('queueing helpers', () => {
  it.each([
    // [servers, offered load, Erlang C] — textbook values
    [1, 0.5, 0.5], // M/M/1: P(wait) = ρ
    [2, 1, 1 / 3],
    [10, 5, 0.0361],
  ])('Erlang C(%d, %d) = %d', (s, a, want) => {
    expect(erlangC(s, a)).toBeCloseTo(want, 4);
  });

  it('the M/M/s wait grows without bound towards saturation and is 0 without load', () => {
    expect(mmsWaitFraction(2, 0)).toBe(0);
    expect(mmsWaitFraction(2, 1.9)).toBeGreaterThan(mmsWaitFraction(2, 1.5));
    expect(mmsWaitFraction(2, 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('least squares through the origin recovers exact coefficients, and clamps a negative one to 0', () => {
    const x1 = [1, 2, 3, 4, 5];
    const x2 = [2, 1, 4, 3, 6];
    expect(
      leastSquares2(
        x1,
        x2,
        x1.map((v, i) => 0.1 * v + 0.02 * x2[i]),
      ),
    ).toEqual({ b1: expect.closeTo(0.1, 12), b2: expect.closeTo(0.02, 12), r2: expect.closeTo(1, 12) });
    const fit = leastSquares2(
      x1,
      x2,
      x1.map((v, i) => 0.1 * v - 0.01 * x2[i]),
    )!;
    expect(fit.b2).toBe(0);
    expect(fit.b1).toBeGreaterThan(0);
  });
});
