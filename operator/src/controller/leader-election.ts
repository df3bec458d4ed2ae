/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection package does
 * it, so two operator replicas never both write:
 *
 *   - acquire when the Lease does not exist, has no holder (released), or has not been renewed for
 *     `leaseDurationSeconds` *as observed on our own clock* (we remember when we last saw the
 *     record change, so clock skew between replicas does not matter);
 *   - renew every `retryPeriodSeconds`; a leader that has not renewed for `renewDeadlineSeconds`
 *     stops leading (before the Lease can expire for the others, since renewDeadline < duration),
 *     measured on the monotonic clock and whatever its API calls are doing: `isLeader()` is false
 *     from the deadline on even while a renewal hangs, and a timer says so at the deadline;
 *   - every write carries the resourceVersion read before it: of two candidates racing for an
 *     expired Lease, one gets 409 and stays a follower;
 *   - on shutdown the leader clears `holderIdentity`, so the other replica takes over at once
 *     instead of waiting for the Lease to expire;
 *   - a replica that has not been able to read or write the Lease for `leaseDurationSeconds` is
 *     unhealthy (`health()`, which /readyz reports): a standby that cannot reach the Lease could
 *     never take over, and must not look like a healthy hot standby.
 */
import type { Cancel, Clock } from './clock.js';
import { KubeApiError, type ClusterClient, type LeaseRecord } from './kube.js';

export interface LeaderElectionOptions {
  client: Pick<ClusterClient, 'readLease' | 'createLease' | 'replaceLease'>;
  namespace: string;
  name: string;
  identity: string;
  clock: Clock;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
  /**
   * A failed Lease read or write (409 races excluded). `changed` is true for the first failure and
   * whenever the failure's reason differs from the previous one, so callers can log once per change.
   */
  onError?(err: KubeApiError, changed: boolean): void;
  /** The Lease could be read or written again after failures. */
  onRecovered?(): void;
  /**
   * Asked before taking a Lease this replica does not hold: `free` (released, or not created yet)
   * or `expired` (its holder stopped renewing); renewals are not gated. Shards use it to keep each replica at its fair share. Default: always.
   */
  mayAcquire?(why: 'free' | 'expired'): boolean;
}

export interface LeaseHealth {
  ok: boolean;
  /** ms since the API server last answered a Lease request (our clock). */
  sinceContactMs: number;
  /** The last failure, while failing. */
  lastError?: string;
}

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private lastRenewMs = 0;
  private observed: { record: LeaseRecord | null; atMs: number; key: string } | undefined;
  private cancelTimer: Cancel | undefined;
  private cancelDeadline: Cancel | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private lastContactMs = 0;
  private failing: { key: string; message: string } | undefined;
  private releasing = false;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity;
    this.leaseDurationMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (opts.renewDeadlineSeconds ?? 10) * 1000;
    this.retryPeriodMs = (opts.retryPeriodSeconds ?? 2) * 1000;
    if (!(this.retryPeriodMs > 0 && this.retryPeriodMs < this.renewDeadlineMs && this.renewDeadlineMs < this.leaseDurationMs)) {
      throw new Error(
        `leader election needs 0 < retryPeriodSeconds (${this.retryPeriodMs / 1000}) < renewDeadlineSeconds (${this.renewDeadlineMs / 1000}) < leaseDurationSeconds (${this.leaseDurationMs / 1000})`,
      );
    }
  }

  /** Leading, and the last renewal is younger than the renew deadline (monotonic clock). */
  isLeader(): boolean {
    return this.leading && this.mono() - this.lastRenewMs < this.renewDeadlineMs;
  }

  /** Unhealthy once no Lease request has succeeded for a lease duration (since start). */
  health(): LeaseHealth {
    const sinceContactMs = this.mono() - this.lastContactMs;
    return { ok: sinceContactMs <= this.leaseDurationMs, sinceContactMs, ...(this.failing ? { lastError: this.failing.message } : {}) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastContactMs = this.mono();
    this.loop();
  }

  private loop(): void {
    if (!this.running) return;
    // A release in progress owns the Lease's next write; this round is skipped.
    this.inFlight = this.releasing ? Promise.resolve() : this.tryAcquireOrRenew().then(() => undefined);
    void this.inFlight.then(() => {
      if (this.running) this.cancelTimer = this.clock().setTimeout(() => this.loop(), this.retryPeriodMs);
    });
  }

  private clock(): Clock {
    return this.opts.clock;
  }

  private mono(): number {
    return this.opts.clock.monotonic();
  }

  /** One round: returns whether we lead afterwards. Exposed for tests. */
  async tryAcquireOrRenew(): Promise<boolean> {
    // `now` (monotonic) times everything this replica decides; `wall` only goes into the Lease.
    const now = this.mono();
    const wall = this.clock().now();
    const { client, namespace, name } = this.opts;
    try {
      const current = await client.readLease(namespace, name);
      this.contact(now);
      this.observe(current, now);
      const mine: LeaseRecord = {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationMs / 1000,
        acquireTime: new Date(wall),
        renewTime: new Date(wall),
        leaseTransitions: 0,
      };
      if (current === null) {
        if (!(this.opts.mayAcquire?.('free') ?? true)) return this.setLeading(false, now);
        this.observe(await client.createLease(namespace, name, mine), now);
        return this.setLeading(true, now);
      }
      const heldByMe = current.holderIdentity === this.identity;
      const free = !current.holderIdentity;
      const expired = this.observed !== undefined && this.observed.atMs + this.leaseDurationMs <= now;
      if (!heldByMe && (!(free || expired) || !(this.opts.mayAcquire?.(free ? 'free' : 'expired') ?? true))) {
        return this.setLeading(false, now);
      }
      const next: LeaseRecord = heldByMe
        ? { ...current, renewTime: new Date(wall), leaseDurationSeconds: this.leaseDurationMs / 1000 }
        : { ...mine, leaseTransitions: current.leaseTransitions + 1, resourceVersion: current.resourceVersion };
      this.observe(await client.replaceLease(namespace, name, next), now);
      return this.setLeading(true, now);
    } catch (raw) {
      const err =
        raw instanceof KubeApiError
          ? raw
          : new KubeApiError(`lease ${namespace}/${name}: ${String(raw)}`, undefined, 'Unknown', { cause: raw });
      // 409: someone else wrote the Lease between our read and write; we are not the leader this
      // round, but the API server answered.
      if (err.conflict) this.contact(now);
      else this.failed(err);
      // A leader keeps leading through transient errors until its renew deadline passes.
      const stillLeading = this.leading && now - this.lastRenewMs < this.renewDeadlineMs && !err.conflict;
      return this.setLeading(stillLeading, this.lastRenewMs);
    }
  }

  private contact(now: number): void {
    this.lastContactMs = now;
    if (this.failing) {
      this.failing = undefined;
      this.opts.onRecovered?.();
    }
  }

  private failed(err: KubeApiError): void {
    const key = `${err.statusCode ?? ''}|${err.reason}`;
    const changed = this.failing?.key !== key;
    this.failing = { key, message: err.message };
    this.opts.onError?.(err, changed);
  }

  private observe(rec: LeaseRecord | null, now: number): void {
    const key = rec === null ? 'none' : `${rec.holderIdentity ?? ''}|${rec.renewTime?.getTime() ?? ''}|${rec.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { record: rec, atMs: now, key };
  }

  private setLeading(leading: boolean, renewedAt: number): boolean {
    if (leading) {
      this.lastRenewMs = renewedAt;
      // At the deadline, stop leading unless a renewal came first (it re-arms this timer).
      this.cancelDeadline?.();
      this.cancelDeadline = this.clock().setTimeout(
        () => {
          if (this.leading && this.mono() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeading(false, this.lastRenewMs);
        },
        Math.max(0, this.lastRenewMs + this.renewDeadlineMs - this.mono()),
      );
    }
    leading = leading && this.mono() - this.lastRenewMs < this.renewDeadlineMs;
    if (leading !== this.leading) {
      this.leading = leading;
      if (leading) this.opts.onStartedLeading?.();
      else this.opts.onStoppedLeading?.();
    }
    return leading;
  }

  /** Stops campaigning; a leader releases the Lease (clears the holder) so another takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelDeadline?.();
    await this.inFlight;
    await this.release();
  }

  /**
   * Gives the Lease up (clears the holder) if this replica leads, and keeps campaigning, gated by
   * `mayAcquire`. Waits for a round in flight first, so a renewal cannot undo the release.
   */
  async release(): Promise<void> {
    await this.inFlight;
    if (!this.leading || this.releasing) return;
    this.releasing = true;
    // Stop leading before the Lease says so: once the holder is cleared another replica may take
    // it at once, and two leaders, even for a moment, is what the Lease is there to prevent.
    this.setLeading(false, this.lastRenewMs);
    const { client, namespace, name } = this.opts;
    try {
      const current = await client.readLease(namespace, name);
      if (current?.holderIdentity === this.identity) {
        await client.replaceLease(namespace, name, { ...current, holderIdentity: null, renewTime: new Date(this.clock().now()) });
      }
    } catch (raw) {
      if (raw instanceof KubeApiError) this.failed(raw);
    } finally {
      this.releasing = false;
    }
  }
}
