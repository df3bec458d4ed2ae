/**
 * A small informer: list, then watch from the list's resourceVersion, keeping a cache keyed by
 * `namespace/name`. The same loop client-go's Reflector runs:
 *
 *   - a watch that ends cleanly (server time-out) is re-opened from the last resourceVersion seen;
 *   - a watch that fails (connection reset, 5xx, 429) is re-opened from there too, after an
 *     exponential back-off: a relist of a thousand objects per network blip is what we avoid;
 *   - 410 Gone (as an HTTP status or an ERROR event) means our resourceVersion is too old: relist;
 *   - a failed list backs off exponentially and lists again;
 *   - a relist replaces the cache and reports adds, updates and deletes against the old one, so a
 *     delete missed while disconnected is not lost.
 *
 * Time comes from the injected clock, so tests drive back-off without sleeping.
 */
import { Backoff, type Cancel, type Clock } from './clock.js';
import {
  KubeApiError,
  type KubeObject,
  type KubeStatus,
  type ObjectList,
  type WatchEventType,
  type WatchHandle,
  type WatchHandlers,
} from './kube.js';

export interface ListerWatcher<T extends KubeObject> {
  list(): Promise<ObjectList<T>>;
  watch(resourceVersion: string, h: WatchHandlers<T>): Promise<WatchHandle>;
}

export interface InformerHandlers<T> {
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
  /** After each successful list (first sync and every relist). */
  onSynced?(): void;
  onError?(err: KubeApiError, retryInMs: number): void;
  /**
   * Applied to every object before it is cached or handed on (client-go's SetTransform): keep only
   * the fields the consumer reads, so the cache's memory is what the operator uses, not what the
   * server stores (managedFields, annotations, whole pod templates).
   */
  transform?(obj: T): T;
}

export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly backoff: Backoff;
  private resourceVersion = '';
  private handle: WatchHandle | undefined;
  private cancelTimer: Cancel | undefined;
  private running = false;
  private synced = false;
  /** Counters for tests and /metrics. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0 };

  constructor(
    private readonly name: string,
    private readonly lw: ListerWatcher<T>,
    private readonly clock: Clock,
    private readonly handlers: InformerHandlers<T> & { backoff?: { initialMs: number; maxMs: number } },
  ) {
    this.backoff = new Backoff(handlers.backoff ?? { initialMs: 1000, maxMs: 30_000 });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.relist();
  }

  stop(): void {
    this.running = false;
    this.handle?.stop();
    this.handle = undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private async relist(): Promise<void> {
    if (!this.running) return;
    let list: ObjectList<T>;
    try {
      this.stats.lists++;
      list = await this.lw.list();
    } catch (err) {
      this.fail(err, 'list');
      return;
    }
    if (!this.running) return;
    const old = new Map(this.cache);
    this.cache.clear();
    for (const raw of list.items) {
      const item = this.handlers.transform ? this.handlers.transform(raw) : raw;
      const key = objectKey(item);
      const before = old.get(key);
      old.delete(key);
      if (before !== undefined && before.metadata.resourceVersion === item.metadata.resourceVersion) {
        // Unchanged: the cached object stays, the one handlers were given; a fresh copy here would
        // be a second copy of every object in memory, since handlers are not told of it.
        this.cache.set(key, before);
        continue;
      }
      this.cache.set(key, item);
      this.handlers.onUpsert?.(item, before);
    }
    for (const gone of old.values()) this.handlers.onDelete?.(gone);
    this.resourceVersion = list.resourceVersion;
    this.synced = true;
    this.handlers.onSynced?.();
    await this.openWatch();
  }

  private async openWatch(): Promise<void> {
    if (!this.running) return;
    this.stats.watches++;
    let restarted = false;
    const restartOnce = (fn: () => void): void => {
      if (restarted) return;
      restarted = true;
      this.handle?.stop();
      this.handle = undefined;
      fn();
    };
    try {
      this.handle = await this.lw.watch(this.resourceVersion, {
        onEvent: (type, object) => this.onEvent(type, object, restartOnce),
        onDone: (err) => {
          if (!this.running) return;
          if (err === undefined) {
            // Clean close (the server's watch time-out): resume where we were.
            this.backoff.reset();
            restartOnce(() => void this.openWatch());
          } else {
            restartOnce(() => this.fail(err, 'watch'));
          }
        },
      });
    } catch (err) {
      restartOnce(() => this.fail(err, 'watch'));
    }
  }

  private onEvent(type: WatchEventType, object: T | KubeStatus, restartOnce: (fn: () => void) => void): void {
    if (type === 'ERROR') {
      const status = object as KubeStatus;
      const err = new KubeApiError(
        `watch ${this.name}: ${status.reason ?? 'Error'}: ${status.message ?? ''}`,
        status.code,
        status.reason ?? 'Error',
      );
      restartOnce(() => this.fail(err, 'watch'));
      return;
    }
    const received = object as T;
    if (received.metadata?.resourceVersion) this.resourceVersion = received.metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const obj = this.handlers.transform ? this.handlers.transform(received) : received;
    this.backoff.reset();
    const key = objectKey(obj);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.handlers.onDelete?.(obj);
      return;
    }
    const old = this.cache.get(key);
    this.cache.set(key, obj);
    this.handlers.onUpsert?.(obj, old);
  }

  /**
   * 410 Gone relists at once (nothing is wrong, we are just behind); anything else backs off and
   * then retries what failed: the list, or the watch from the last resourceVersion.
   */
  private fail(raw: unknown, what: 'list' | 'watch'): void {
    if (!this.running) return;
    const err = raw instanceof KubeApiError ? raw : new KubeApiError(`${this.name}: ${String(raw)}`, undefined, 'Unknown', { cause: raw });
    if (err.gone) {
      this.stats.gone++;
      this.resourceVersion = '';
      this.handlers.onError?.(err, 0);
      void this.relist();
      return;
    }
    this.stats.errors++;
    const delay = this.backoff.next();
    this.handlers.onError?.(err, delay);
    this.cancelTimer = this.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      void (what === 'list' || this.resourceVersion === '' ? this.relist() : this.openWatch());
    }, delay);
  }
}
