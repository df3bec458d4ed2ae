/**
 * Time as a dependency. The operator (controller, informer, leader elector) and the sandbox (API
 * server, Deployments, function runtime) never call `Date.now()` or `setTimeout` directly: they
 * take a `Clock`, so tests script time with `ManualClock` and never sleep. Real timers are unref'd:
 * a pending timer never keeps a process alive.
 */

export interface Cancel {
  (): void;
}

export interface Clock {
  /** Milliseconds since the epoch (or since the start of a scripted run). */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin that never go back (the wall clock may, when it is set):
   * for durations that decide something, such as how long ago a Lease was renewed.
   */
  monotonic(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): Cancel;
  /** Resolves after `ms` (scripted time in ManualClock). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn: () => void, ms: number): Cancel {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
  sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Scripted time: nothing happens until `advance` is called; timers fire in time order, and between
 * timers pending promise callbacks run (so async work started by a timer can finish, as long as it
 * only waits on other scripted things or on already-resolved I/O).
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Number of timers waiting (tests use it to check nothing is left behind). */
  pending(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order (ties in scheduling order), timers they
   * schedule included, without waiting for promises: for code whose timers do synchronous work.
   */
  advanceSync(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = end;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = end;
    await settle();
  }
}

/**
 * Lets pending promise chains run. Real I/O (a local HTTP server) takes longer than microtasks, so
 * a few macrotask turns are included; tests against real servers await their own conditions instead.
 */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
