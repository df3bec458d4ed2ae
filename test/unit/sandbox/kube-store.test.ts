/** The store: one global resourceVersion, a bounded event window per resource, ordered delivery. */
import { ObjectStore, type StoredEvent } from '../../../operator/src/sandbox/kube-store.js';

const obj = (
  name: string,
  extra: Record<string, unknown> = {},
): { metadata: { name: string; namespace: string }; [k: string]: unknown } => ({ metadata: { name, namespace: 'ns' }, ...extra });

describe('ObjectStore', () => {
  it('numbers every write with the next global resourceVersion, across resources', () => {
    const store = new ObjectStore({ historySize: 10, startResourceVersion: 100 });
    expect(store.write('a', 'ADDED', obj('x')).metadata.resourceVersion).toBe('101');
    expect(store.write('b', 'ADDED', obj('y')).metadata.resourceVersion).toBe('102');
    expect(store.write('a', 'DELETED', obj('x')).metadata.resourceVersion).toBe('103');
    expect(store.get('a', 'ns', 'x')).toBeUndefined();
    expect(store.resourceVersion()).toBe(103);
  });

  it('serves events after a version while the window reaches back, 410 Expired once it does not', () => {
    const store = new ObjectStore({ historySize: 2, startResourceVersion: 0 });
    for (const n of ['a', 'b', 'c']) store.write('r', 'ADDED', obj(n)); // rv 1, 2, 3; rv 1 falls out
    expect(store.eventsAfter('r', 1).map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
    expect(() => store.eventsAfter('r', 0)).toThrow(
      expect.objectContaining({ code: 410, reason: 'Expired', message: 'too old resource version: 0 (2)' }),
    );
    store.compact();
    expect(store.eventsAfter('r', 3)).toEqual([]);
    expect(() => store.eventsAfter('r', 2)).toThrow(expect.objectContaining({ code: 410 }));
  });

  it('delivers events in write order even when a listener writes while being notified', () => {
    const store = new ObjectStore({ historySize: 10, startResourceVersion: 0 });
    const seen: string[] = [];
    store.subscribe((e: StoredEvent) => {
      // Like the Deployment controller: react to a spec write with a status write.
      if (e.object.metadata.name === 'x' && !e.object.status) store.write('r', 'MODIFIED', { ...e.object, status: { ok: true } }, e.object);
    });
    store.subscribe((e) => seen.push(`${e.type} ${e.resourceVersion}`));
    store.write('r', 'ADDED', obj('x'));
    expect(seen).toEqual(['ADDED 1', 'MODIFIED 2']);
  });

  it('returns copies: changing a returned object does not change the store', () => {
    const store = new ObjectStore({ historySize: 10, startResourceVersion: 0 });
    const written = store.write('r', 'ADDED', obj('x', { spec: { n: 1 } }));
    (written.spec as { n: number }).n = 2;
    (store.get('r', 'ns', 'x')!.spec as { n: number }).n = 3;
    expect(store.get('r', 'ns', 'x')!.spec).toEqual({ n: 1 });
  });
});
