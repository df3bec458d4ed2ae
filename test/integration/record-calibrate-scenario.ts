/**
 * The load and scaling script of the record → calibrate round trip (record-calibrate.test.ts),
 * shared with the unit test that runs the same script through the simulator
 * (test/unit/recording/calibrate.test.ts). One-second bins. Phases, each there to identify a
 * parameter:
 *
 *   0–14 s   70 req/s on 16 warm replicas (32 slots, utilisation ≈ 0.5): low load → service time
 *   14–20 s  20 req/s on 1 replica (capacity ≈ 8.8 req/s): saturated → concurrency, capacity
 *   20 s     1 → 6 replicas: a cold start; the queue drains once they are ready
 *   26–32 s  25 req/s on 2 replicas (capacity ≈ 17.7 req/s): saturated with 2 ready replicas
 *   32 s     2 → 8: a cold start
 *   38 s     8 → 3, 40 s 3 → 7: a cold start at a different phase; 15 req/s, no queue
 *
 * The round trip also breaks the recording on purpose: the gateway's counters are reset at
 * RESET_AT (as a gateway restart would), and Prometheus stops scraping from GAP_FROM for
 * GAP_SECONDS (SIGSTOP), inside the last, quiet phase.
 *
 * CPU and memory are identified throughout (busy slots and pods both vary).
 */
import type { SimConfig } from '../../operator/src/sim/config.js';

/** The function profile the round trip must recover (in the simulator's units). */
export const KNOWN_PROFILE = {
  medianMs: 200,
  sigma: 0.5,
  concurrencyPerReplica: 2,
  coldStartSeconds: 3,
  cpuCoresPerBusySlot: 0.1,
  memoryBaseMb: 80,
} as const;

export const KNOWN_SIM: Partial<SimConfig> = {
  serviceTime: { kind: 'lognormal', mu: Math.log(KNOWN_PROFILE.medianMs), sigma: KNOWN_PROFILE.sigma },
  concurrencyPerReplica: KNOWN_PROFILE.concurrencyPerReplica,
  coldStartSeconds: KNOWN_PROFILE.coldStartSeconds,
  cpuCoresPerBusySlot: KNOWN_PROFILE.cpuCoresPerBusySlot,
  memoryBaseMb: KNOWN_PROFILE.memoryBaseMb,
  initialReplicas: 16,
};

const phases: [seconds: number, rps: number][] = [
  [14, 70],
  [6, 20],
  [6, 20],
  [6, 25],
  [6, 25],
  [10, 15],
];

/** Seconds from the start: the gateway's metrics are reset (counter reset). */
export const RESET_AT = 7.5;
/** Prometheus is stopped (no scrapes) from GAP_FROM for GAP_SECONDS. */
export const GAP_FROM = 44.3;
export const GAP_SECONDS = 3;

/** Requests per 1-s bin. */
export const SCENARIO_COUNTS: readonly number[] = phases.flatMap(([s, rps]) => new Array<number>(s).fill(rps));

/** [second, replicas]: scale to `replicas` at that second from the start. */
export const SCENARIO_SCALING: readonly (readonly [number, number])[] = [
  [14, 1],
  [20, 6],
  [26, 2],
  [32, 8],
  [38, 3],
  [40, 7],
];
