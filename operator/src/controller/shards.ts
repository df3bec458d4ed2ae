/**
 * FunctionAutoscalers split across operator replicas by a stable hash, each shard guarded by a
 * Lease of its own (docs/adr/019-light-on-the-api-server.md). Kubernetes Leases are the only
 * coordination; no replica talks to another.
 *
 *   - A resource's shard is FNV-1a(`namespace/name`) mod the number of shards: it depends on
 *     nothing else, so every replica computes the same split.
 *   - Shard `i` is led through the Lease `<name>-shard-<i>` by the same elector as the single
 *     leader Lease (leader-election.ts): renew deadline, optimistic writes, release on shutdown.
 *   - Each replica also renews a member Lease `<name>-member-<identity>`. Members whose Lease was
 *     seen renewed within three retry periods are active; a replica's fair share is
 *     ceil(shards ÷ active members).
 *   - A Lease that expired (its holder died) is taken by any replica at once, whatever its share:
 *     the shard is orphaned, and scaling it matters more than balance. A Lease that was released
 *     is taken only by a replica below its fair share.
 *   - A replica above its fair share while another active member is below it releases one shard
 *     per round (the highest numbered it holds); the one below takes it at its next round.
 *   - Member Leases left by replicas gone for ten lease durations are deleted.
 *
 * A shard's leader failing hands its resources to another replica once its Lease expires: within
 * the lease duration of its last renewal, plus up to one retry period for the next round.
 */
import type { Cancel, Clock } from './clock.js';
import { KubeApiError, type ClusterClient, type LeaseRecord } from './kube.js';
import { LeaderElector, type LeaseHealth } from './leader-election.js';

/** FNV-1a, 32 bits, of the key's UTF-16 code units; the shard is that mod `shards`. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** An identity as a DNS-1123 name suffix: lower case, [a-z0-9-], at most 63 characters. */
export function nameSafe(identity: string): string {
  const safe = identity
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (safe || 'replica').slice(0, 63).replace(/-+$/, '');
}

export interface ShardCoordinatorOptions {
  client: Pick<ClusterClient, 'readLease' | 'createLease' | 'replaceLease' | 'listLeases' | 'deleteLease'>;
  namespace: string;
  /** The Leases are `<name>-shard-<i>` and `<name>-member-<identity>`. */
  name: string;
  identity: string;
  shards: number;
  clock: Clock;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  /** The shards held changed (after a take-over, a release or a lost renewal). */
  onChange?(held: readonly number[]): void;
  onError?(err: KubeApiError, changed: boolean): void;
}

interface Seen {
  key: string;
  atMs: number;
}

export class ShardCoordinator {
  readonly shards: number;
  private readonly member: LeaderElector;
  private readonly electors: LeaderElector[];
  private readonly retryPeriodMs: number;
  private readonly leaseDurationMs: number;
  private readonly seen = new Map<string, Seen>();
  private active = 1;
  private running = false;
  private cancelTimer: Cancel | undefined;
  private inFlight: Promise<void> | undefined;
  private lastHeld = '';

  constructor(private readonly opts: ShardCoordinatorOptions) {
    if (!(Number.isInteger(opts.shards) && opts.shards >= 1)) throw new Error(`shards must be a whole number ≥ 1, got ${opts.shards}`);
    this.shards = opts.shards;
    this.retryPeriodMs = (opts.retryPeriodSeconds ?? 2) * 1000;
    this.leaseDurationMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    const elector = (name: string, gate?: (why: 'free' | 'expired') => boolean): LeaderElector =>
      new LeaderElector({
        client: opts.client,
        namespace: opts.namespace,
        name,
        identity: opts.identity,
        clock: opts.clock,
        leaseDurationSeconds: opts.leaseDurationSeconds,
        renewDeadlineSeconds: opts.renewDeadlineSeconds,
        retryPeriodSeconds: opts.retryPeriodSeconds,
        onStartedLeading: () => this.changed(),
        onStoppedLeading: () => this.changed(),
        ...(opts.onError ? { onError: opts.onError } : {}),
        ...(gate ? { mayAcquire: gate } : {}),
      });
    this.member = elector(this.memberLease(opts.identity));
    this.electors = Array.from({ length: this.shards }, (_, i) =>
      elector(this.shardLease(i), (why) => why === 'expired' || this.held().length < this.fairShare()),
    );
  }

  shardLease(i: number): string {
    return `${this.opts.name}-shard-${i}`;
  }

  memberLease(identity: string): string {
    return `${this.opts.name}-member-${nameSafe(identity)}`;
  }

  /** Whether this replica leads the shard of `key` (`namespace/name`). */
  owns(key: string): boolean {
    return this.electors[shardOf(key, this.shards)].isLeader();
  }

  /** The shards this replica leads. */
  held(): number[] {
    return this.electors.flatMap((e, i) => (e.isLeader() ? [i] : []));
  }

  /** ceil(shards ÷ active members), as of the last round. */
  fairShare(): number {
    return Math.ceil(this.shards / this.active);
  }

  /** The member Lease's health: a replica that cannot renew it cannot take or keep shards. */
  health(): LeaseHealth {
    return this.member.health();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.member.start();
    for (const e of this.electors) e.start();
    this.loop();
  }

  private loop(): void {
    if (!this.running) return;
    this.inFlight = this.balance().catch((raw: unknown) => {
      const err = raw instanceof KubeApiError ? raw : new KubeApiError(`shards: ${String(raw)}`, undefined, 'Unknown');
      this.opts.onError?.(err, true);
    });
    void this.inFlight.then(() => {
      if (this.running) this.cancelTimer = this.opts.clock.setTimeout(() => this.loop(), this.retryPeriodMs);
    });
  }

  /** One round: count active members, release a shard above the fair share to one below it, tidy. */
  async balance(): Promise<void> {
    const now = this.opts.clock.monotonic();
    const leases = await this.opts.client.listLeases(this.opts.namespace);
    const memberPrefix = `${this.opts.name}-member-`;
    const shardHolders = new Map<string, number>();
    const members: string[] = [];
    for (const lease of leases) {
      const changedAt = this.observe(lease, now);
      if (lease.name.startsWith(memberPrefix)) {
        if (lease.holderIdentity && now - changedAt <= 3 * this.retryPeriodMs) members.push(lease.holderIdentity);
        else if (now - changedAt > 10 * this.leaseDurationMs) await this.deleteQuietly(lease.name);
      } else if (lease.name.startsWith(`${this.opts.name}-shard-`) && lease.holderIdentity && now - changedAt < this.leaseDurationMs) {
        shardHolders.set(lease.holderIdentity, (shardHolders.get(lease.holderIdentity) ?? 0) + 1);
      }
    }
    this.active = Math.max(1, new Set([...members, this.opts.identity]).size);
    const fair = this.fairShare();
    const held = this.held();
    const someoneBelow = members.some((m) => m !== this.opts.identity && (shardHolders.get(m) ?? 0) < fair);
    if (held.length > fair && someoneBelow) await this.electors[held[held.length - 1]].release();
    for (const name of this.seen.keys()) if (!leases.some((l) => l.name === name)) this.seen.delete(name);
  }

  /** When the Lease's record last changed, on our monotonic clock (first sight counts as a change). */
  private observe(lease: LeaseRecord & { name: string }, now: number): number {
    const key = `${lease.holderIdentity ?? ''}|${lease.renewTime?.getTime() ?? ''}|${lease.resourceVersion ?? ''}`;
    const prev = this.seen.get(lease.name);
    if (prev?.key === key) return prev.atMs;
    this.seen.set(lease.name, { key, atMs: now });
    return now;
  }

  private async deleteQuietly(name: string): Promise<void> {
    try {
      await this.opts.client.deleteLease(this.opts.namespace, name);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.notFound) && err instanceof KubeApiError) this.opts.onError?.(err, true);
    }
  }

  private changed(): void {
    const held = this.held();
    const key = held.join(',');
    if (key === this.lastHeld) return;
    this.lastHeld = key;
    this.opts.onChange?.(held);
  }

  /** Stops campaigning and releases every Lease held, the member Lease last. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    await this.inFlight;
    await Promise.all(this.electors.map((e) => e.stop()));
    await this.member.stop();
  }
}
