/**
 * Time for the sandbox: the real clock in demos, a manual one in tests (advance time instead of
 * sleeping). Timers fire in time order; `advance` runs every timer due within the step, including
 * timers scheduled by timers.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

const systemTimers = new Map<number, NodeJS.Timeout>();
let nextSystemTimer = 1;

/** The real clock. Timers are unref'd: a pending sandbox timer never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const id = nextSystemTimer++;
    const timer = setTimeout(
      () => {
        systemTimers.delete(id);
        callback();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
    systemTimers.set(id, timer);
    return { id };
  },
  clearTimer(handle) {
    clearTimeout(systemTimers.get(handle.id));
    systemTimers.delete(handle.id);
  },
};

interface ManualTimer {
  id: number;
  at: number;
  callback: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  /** Starts at `startMs` (default 2025-01-01T00:00:00Z, so timestamps in tests are readable). */
  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward by `ms`, firing due timers in order (ties in scheduling order). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = end;
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }
}
