/**
 * Time for the operator: the shared clock (`#kernel/clock.js`) and the back-off its retries use.
 */
export { ManualClock, settle, systemClock, type Cancel, type Clock } from '#kernel/clock.js';

/** Exponential back-off without jitter (deterministic for tests): initial, ×factor, capped. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: { initialMs: number; maxMs: number; factor?: number } = { initialMs: 1000, maxMs: 60_000 }) {}

  /** Delay before the next retry; grows with each call until `reset`. */
  next(): number {
    const factor = this.opts.factor ?? 2;
    const delay = Math.min(this.opts.maxMs, this.opts.initialMs * factor ** this.attempt);
    this.attempt++;
    return delay;
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
