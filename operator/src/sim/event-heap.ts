/**
 * Binary min-heap of simulator events, ordered by time and, for equal times, by the order they were
 * scheduled (`seq`), so that a run is a pure function of its inputs. Events are immutable once
 * pushed: a clone of the heap shares them.
 */

export interface SimEvent {
  /** Simulated time in seconds. */
  readonly t: number;
  /** Tie-breaker: scheduling order. */
  readonly seq: number;
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export class EventHeap<E extends SimEvent> {
  private items: E[];

  constructor(items: E[] = []) {
    this.items = items;
  }

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest event, or +Infinity when empty. */
  peekTime(): number {
    return this.items.length > 0 ? this.items[0].t : Number.POSITIVE_INFINITY;
  }

  push(event: E): void {
    const items = this.items;
    let i = items.length;
    items.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = event;
  }

  pop(): E | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop() as E;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(items[right], items[left]) ? right : left;
        if (!before(items[child], last)) break;
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
    }
    return top;
  }

  clone(): EventHeap<E> {
    return new EventHeap(this.items.slice());
  }
}
