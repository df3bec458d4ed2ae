/**
 * The oracle's view of the future: try replica counts on clones of the simulator (same state, same
 * coming arrivals and service demands, DESIGN.md §5) and return the fewest that meets the SLO.
 *
 * Horizon. A count chosen now at time t holds for the next interval [t, t+I). But it also decides
 * the start of the interval after: at t+I the next decision can add replicas, yet they serve only
 * from t+I+coldStart on, so a burst at t+I+1 s is met by what is ready — i.e. what was chosen now.
 * A greedy oracle that looked at [t, t+I) only would start scaling for that burst one decision too
 * late. So a candidate n is tried as: n now for one interval, then the ceiling at every later
 * decision (the most the next decisions could do), for 1 + ceil(coldStart / I) intervals in all.
 * n is accepted when each of those intervals has its P95 (exact, of the requests completed in it,
 * errors as +Inf — the quantity `sloViolationRate` counts) at or under the SLO, except the later
 * intervals that even the ceiling cannot keep under it (a violation no choice now can avoid).
 *
 * Replicas help monotonically in this model (FIFO dispatch: with more servers no request starts
 * later, and scale-down removes idle replicas first), so the fewest n is found by searching
 * outwards from the current count and then bisecting: typically 2–4 clone runs of
 * (1 + ceil(coldStart / I)) intervals per decision, at most about 2·log2(ceiling − floor) + 2.
 */
import type { Lookahead } from '../policies/policy.js';
import type { FunctionSimulator } from './simulator.js';

/** A `Lookahead` that `runEpisode` attaches to its simulator before the first decision. */
export class SimulatorLookahead implements Lookahead {
  private sim: FunctionSimulator | null = null;
  private intervalSeconds = 0;
  /** Clone runs made so far, and the events they handled (for the bench). */
  trials = 0;
  trialEvents = 0;

  attach(sim: FunctionSimulator, intervalSeconds: number): void {
    this.sim = sim;
    this.intervalSeconds = intervalSeconds;
  }

  /** Intervals a decision is judged over (see the file comment). */
  get horizonIntervals(): number {
    const sim = this.attached();
    return 1 + Math.ceil(sim.config.coldStartSeconds / this.intervalSeconds);
  }

  fewestReplicasMeetingSlo(args: { floor: number; ceiling: number; sloP95Ms: number }): number | null {
    const sim = this.attached();
    const slo = args.sloP95Ms;
    const floor = Math.max(args.floor, sim.config.allowScaleToZero ? 0 : 1);
    const ceiling = Math.max(args.ceiling, floor);
    let atCeiling: Array<number | null> | null = null;
    const ceilingP95s = (): Array<number | null> => (atCeiling ??= this.p95s(ceiling, ceiling, Number.POSITIVE_INFINITY));
    const memo = new Map<number, boolean>();
    const accepts = (n: number): boolean => {
      let ok = memo.get(n);
      if (ok === undefined) {
        const got = n === ceiling ? ceilingP95s() : this.p95s(n, ceiling, slo);
        // A later interval that even the ceiling cannot keep under the SLO does not count against n.
        ok = got.every((p95, k) => meets(p95, slo) || (k > 0 && !meets(ceilingP95s()[k], slo)));
        memo.set(n, ok);
      }
      return ok;
    };

    // Search outwards from the current count (the answer rarely moves far between decisions),
    // then bisect: [lo, hi] holds the answer, with every n < lo rejected and hi accepted (or the
    // ceiling, checked last).
    const start = Math.min(ceiling, Math.max(floor, sim.replicaCount));
    let lo = floor;
    let hi = ceiling;
    if (accepts(start)) {
      hi = start;
      for (let step = 1; hi > floor; step *= 2) {
        const candidate = Math.max(floor, hi - step);
        if (!accepts(candidate)) {
          lo = candidate + 1;
          break;
        }
        hi = candidate;
      }
    } else {
      lo = start + 1;
      for (let step = 1; lo < ceiling; step *= 2) {
        const candidate = Math.min(ceiling, lo + step - 1);
        if (accepts(candidate)) {
          hi = candidate;
          break;
        }
        lo = candidate + 1;
      }
    }
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (accepts(mid)) hi = mid;
      else lo = mid + 1;
    }
    return hi < ceiling || accepts(ceiling) ? hi : null;
  }

  /**
   * P95 (ms, null when nothing completed) of each interval of the horizon when `n` replicas are set
   * now and `later` at each following decision. Stops early once the first interval misses `stopAboveMs`.
   */
  private p95s(n: number, later: number, stopAboveMs: number): Array<number | null> {
    const clone = this.attached().clone();
    const eventsBefore = clone.eventCount;
    this.trials++;
    const out: Array<number | null> = [];
    clone.setReplicas(n);
    for (let k = 0; k < this.horizonIntervals; k++) {
      if (k > 0) clone.setReplicas(later);
      const { stats } = clone.advance(this.intervalSeconds);
      out.push(stats.p95Ms);
      if (k === 0 && !meets(stats.p95Ms, stopAboveMs)) break;
    }
    this.trialEvents += clone.eventCount - eventsBefore;
    return out;
  }

  private attached(): FunctionSimulator {
    if (this.sim === null) throw new Error('lookahead used before runEpisode attached a simulator to it');
    return this.sim;
  }
}

function meets(p95Ms: number | null, sloP95Ms: number): boolean {
  return p95Ms === null || p95Ms <= sloP95Ms;
}
