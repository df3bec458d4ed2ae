/**
 * The oracle and the simulator's lookahead: it refuses to run without a simulator, its answer is
 * the fewest replicas (one fewer misses the SLO), it scales up before a burst early enough for the
 * cold start, and on a bursty trace it keeps the SLO with fewer replica-seconds than any static
 * count that also keeps it.
 */
import { PolicyConfigError } from '../../../operator/src/policies/policy.js';
import { createOraclePolicy } from '../../../operator/src/policies/oracle.js';
import { runEpisode } from '../../../operator/src/sim/episode.js';
import { SimulatorLookahead } from '../../../operator/src/sim/lookahead.js';
import { FunctionSimulator } from '../../../operator/src/sim/simulator.js';
import type { ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import { constant, traceFn } from './helpers.js';

const DEPS = { minReplicas: 1, maxReplicas: 20, sloP95Ms: 1500, intervalSeconds: 30 };
// Per minute: quiet (1 rps), a burst of 10 rps from minute 10, quiet, a sharper burst of 15 rps.
const COUNTS = [...constant(60, 10), ...constant(600, 5), ...constant(60, 10), ...constant(900, 3), ...constant(60, 8)];
const SIM = { serviceTime: { kind: 'lognormal', mu: Math.log(450), sigma: 0.5 } as const, coldStartSeconds: 5, initialReplicas: 3 };
const fn = traceFn(COUNTS);

function staticPolicy(replicas: number): ScalingPolicy {
  return { name: 'static', recommend: () => ({ valid: true, desiredReplicas: replicas, reason: 'static' }), reset() {}, dispose() {} };
}

describe('createOraclePolicy', () => {
  it.each([
    { name: 'without a lookahead (outside the simulator)', deps: DEPS, params: undefined, error: /runs only in the simulator/ },
    {
      name: 'with params',
      deps: { ...DEPS, lookahead: new SimulatorLookahead() },
      params: { horizon: 3 },
      error: /takes no params, got "horizon"/,
    },
  ])('refuses to start $name', async ({ deps, params, error }) => {
    const attempt = createOraclePolicy({ name: 'oracle', params }, deps);
    await expect(attempt).rejects.toThrow(PolicyConfigError);
    await expect(createOraclePolicy({ name: 'oracle', params }, deps)).rejects.toThrow(error);
  });

  it('declares no stabilization and no rate limit (a smoothed oracle is no bound)', async () => {
    const oracle = await createOraclePolicy({ name: 'oracle' }, { ...DEPS, lookahead: new SimulatorLookahead() });
    expect(oracle.defaultBehavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [] },
      scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [] },
    });
  });
});

describe('SimulatorLookahead', () => {
  it('answers the fewest replicas: one fewer misses the SLO over the horizon (every decision of a run)', () => {
    const sim = new FunctionSimulator({ fn, binSeconds: 60, seed: 2, config: SIM });
    const lookahead = new SimulatorLookahead();
    lookahead.attach(sim, 30);
    const horizonP95 = (replicas: number): number[] => {
      const c = sim.clone();
      c.setReplicas(replicas);
      return Array.from({ length: lookahead.horizonIntervals }, (_, k) => {
        if (k > 0) c.setReplicas(20);
        return c.advance(30).stats.p95Ms ?? 0;
      });
    };
    const answers: Array<number | null> = [];
    while (sim.nowSeconds < 1200) {
      const at = sim.nowSeconds;
      const n = lookahead.fewestReplicasMeetingSlo({ floor: 1, ceiling: 20, sloP95Ms: 1500 });
      answers.push(n);
      if (n === null) {
        // Even 20 replicas miss the coming interval (a few very long requests): nothing can help.
        expect({ at, ceilingMisses: horizonP95(20)[0] > 1500 }).toEqual({ at, ceilingMisses: true });
      } else {
        const ceiling = horizonP95(20);
        const meets = (p95s: number[]): boolean => p95s.every((p, k) => p <= 1500 || (k > 0 && ceiling[k] > 1500));
        expect({ at, n, meets: meets(horizonP95(n)) }).toEqual({ at, n, meets: true });
        if (n > 1) expect({ at, fewer: n - 1, meets: meets(horizonP95(n - 1)) }).toEqual({ at, fewer: n - 1, meets: false });
      }
      sim.setReplicas(n ?? 20);
      sim.advance(30);
    }
    expect(Math.max(...answers.map((n) => n ?? 0))).toBeGreaterThan(5); // the bursts need more than the quiet load
    expect(answers.filter((n) => n === null).length).toBeLessThan(3);
  });

  it('is used only after runEpisode attaches it', () => {
    expect(() => new SimulatorLookahead().fewestReplicasMeetingSlo({ floor: 1, ceiling: 5, sloP95Ms: 100 })).toThrow(
      /before runEpisode attached/,
    );
  });
});

describe('oracle on a bursty trace', () => {
  // As `evaluate` does: rails with the policy's declared behaviour.
  const run = (policy: ScalingPolicy, lookahead?: SimulatorLookahead): ReturnType<typeof runEpisode> =>
    runEpisode({
      fn,
      binSeconds: 60,
      policy,
      rails: new Rails({ minReplicas: 1, maxReplicas: 20, behavior: policy.defaultBehavior }),
      intervalSeconds: 30,
      seed: 1,
      sloP95Ms: 1500,
      sim: SIM,
      lookahead,
    });

  it('keeps the SLO with fewer replica-seconds than the cheapest static count that keeps it', async () => {
    const lookahead = new SimulatorLookahead();
    const oracle = run(await createOraclePolicy({ name: 'oracle' }, { ...DEPS, lookahead }), lookahead);

    let cheapestStatic: { replicas: number; replicaSeconds: number } | null = null;
    for (let n = 1; n <= 20 && cheapestStatic === null; n++) {
      const { result } = run(staticPolicy(n));
      if (result.sloViolationRate <= oracle.result.sloViolationRate)
        cheapestStatic = { replicas: n, replicaSeconds: result.replicaSeconds };
    }
    expect({ oracleViolations: oracle.result.sloViolationRate, errors: oracle.result.errors }).toEqual({ oracleViolations: 0, errors: 0 });
    expect(cheapestStatic).not.toBeNull();
    const oracleReplicaSeconds = oracle.result.replicaSeconds;
    expect({ oracleReplicaSeconds, cheapestStatic, oracleCheaper: oracleReplicaSeconds < cheapestStatic!.replicaSeconds }).toMatchObject({
      oracleCheaper: true,
    });
  });

  it('scales up one decision before the burst, so the cold start is over when it starts', async () => {
    const lookahead = new SimulatorLookahead();
    const { intervals } = run(await createOraclePolicy({ name: 'oracle' }, { ...DEPS, lookahead }), lookahead);
    const setAt = (seconds: number): number => intervals.find((r) => r.endSeconds === seconds)!.replicasAfter;
    // The burst starts at 600 s. At 540 s the horizon (540–600 s) is quiet; at 570 s it reaches
    // 600–630 s, where replicas asked for at 600 s only serve from 605 s.
    expect(setAt(570)).toBeGreaterThan(setAt(540));
    expect(intervals.find((r) => r.startSeconds === 600)!.stats.p95Ms!).toBeLessThanOrEqual(1500);
  });
});
