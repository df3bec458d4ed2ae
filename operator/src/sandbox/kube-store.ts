/**
 * Storage of the emulated API server: objects per resource, one global, monotonically increasing
 * resourceVersion (etcd's revision), and per resource a window of recent change events that
 * watches resume from. A watch from a resourceVersion older than the window gets 410 Expired, as
 * from the API server's watch cache.
 *
 * Change events are delivered in write order: a listener that writes while being notified (the
 * Deployment controller updating status after a scale) has its event queued behind the current one.
 */
import { expired } from './kube-errors.js';
import type { KubeObject } from './kube-resources.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: EventType;
  /** Resource key (`deployments.apps`). */
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED (for selectors that stop or start matching). */
  previous?: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoredEvent) => void;

interface History {
  events: StoredEvent[];
  /** Events at or before this resourceVersion are gone. */
  compactedAt: number;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class ObjectStore {
  private rv: number;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly histories = new Map<string, History>();
  private readonly listeners = new Set<StoreListener>();
  private readonly queue: StoredEvent[] = [];
  private flushing = false;

  constructor(private readonly opts: { historySize: number; startResourceVersion: number }) {
    this.rv = opts.startResourceVersion;
  }

  resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(resource)?.get(objectKey(namespace, name));
    return obj && structuredClone(obj);
  }

  /** Objects of a resource (in one namespace, or all), sorted by namespace and name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(resource)?.values() ?? [])];
    return all
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => objectKey(a.metadata.namespace, a.metadata.name!).localeCompare(objectKey(b.metadata.namespace, b.metadata.name!)))
      .map((o) => structuredClone(o));
  }

  /**
   * Stores (or deletes) an object under a new resourceVersion and records the event. Returns the
   * stored copy (for DELETED: the object as deleted, carrying the deletion's resourceVersion).
   */
  write(resource: string, type: EventType, obj: KubeObject, previous?: KubeObject): KubeObject {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    const table = this.objects.get(resource) ?? new Map<string, KubeObject>();
    this.objects.set(resource, table);
    const key = objectKey(stored.metadata.namespace, stored.metadata.name!);
    if (type === 'DELETED') table.delete(key);
    else table.set(key, stored);
    const event: StoredEvent = { type, resource, object: stored, resourceVersion: this.rv, ...(previous ? { previous } : {}) };
    this.record(event);
    this.queue.push(event);
    this.flush();
    return structuredClone(stored);
  }

  private record(event: StoredEvent): void {
    const history = this.history(event.resource);
    history.events.push(event);
    while (history.events.length > this.opts.historySize) {
      history.compactedAt = history.events.shift()!.resourceVersion;
    }
  }

  private history(resource: string): History {
    let h = this.histories.get(resource);
    if (!h) {
      // A resource first written now has had no events before: any older version is complete.
      h = { events: [], compactedAt: 0 };
      this.histories.set(resource, h);
    }
    return h;
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const event = this.queue.shift()!;
        for (const listener of [...this.listeners]) listener(event);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Events of a resource after `resourceVersion`; throws 410 Expired when the window no longer reaches back that far. */
  eventsAfter(resource: string, resourceVersion: number): StoredEvent[] {
    const history = this.history(resource);
    if (resourceVersion < history.compactedAt) throw expired(resourceVersion, history.compactedAt + 1);
    return history.events.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Forgets the event history (of one resource or all): watches from any earlier version get 410. */
  compact(resource?: string): void {
    const keys = resource ? [resource] : [...new Set([...this.histories.keys(), ...this.objects.keys()])];
    for (const key of keys) this.histories.set(key, { events: [], compactedAt: this.rv });
  }

  /** Drops every object and the history, keeping the resourceVersion counter (a restart without state). */
  clear(): void {
    this.compact();
    this.objects.clear();
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
