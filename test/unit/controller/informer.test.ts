/** The informer's list/watch loop: events into the cache, 410 → relist, errors → back-off. */
import { ManualClock } from '../../../operator/src/controller/clock.js';
import { Informer } from '../../../operator/src/controller/informer.js';
import { KubeApiError, type AutoscalerObject, type WatchHandlers } from '../../../operator/src/controller/kube.js';

function obj(name: string, rv: string): AutoscalerObject {
  return { metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

/** A lister-watcher whose list results and watch streams the test scripts. */
class Scripted {
  lists: Array<AutoscalerObject[] | KubeApiError> = [];
  listCalls = 0;
  watchRvs: string[] = [];
  handlers: WatchHandlers<AutoscalerObject> | undefined;
  async list(): Promise<{ items: AutoscalerObject[]; resourceVersion: string }> {
    this.listCalls++;
    const next = this.lists.shift() ?? [];
    if (next instanceof KubeApiError) throw next;
    return { items: next, resourceVersion: String(10 * this.listCalls) };
  }
  async watch(rv: string, h: WatchHandlers<AutoscalerObject>): Promise<{ stop(): void }> {
    this.watchRvs.push(rv);
    this.handlers = h;
    return { stop: () => undefined };
  }
}

describe('Informer', () => {
  it('applies watch events and relists at once on 410 Gone, reporting deletes missed meanwhile', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    lw.lists = [[obj('a', '1'), obj('b', '2')], [obj('a', '5')]];
    const seen: string[] = [];
    const inf = new Informer('test', lw, clock, {
      onUpsert: (o) => seen.push(`upsert ${o.metadata.name}@${o.metadata.resourceVersion}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    inf.start();
    await clock.advance(0);
    lw.handlers!.onEvent('MODIFIED', obj('a', '3'));
    lw.handlers!.onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 3 (4)' });
    await clock.advance(0);
    expect(seen).toEqual(['upsert a@1', 'upsert b@2', 'upsert a@3', 'upsert a@5', 'delete b']);
    expect({ lists: lw.listCalls, watchFrom: lw.watchRvs }).toEqual({ lists: 2, watchFrom: ['10', '20'] });
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a']);
  });

  it('resumes a cleanly closed watch from the last resourceVersion without relisting', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    lw.lists = [[obj('a', '1')]];
    const inf = new Informer('test', lw, clock, {});
    inf.start();
    await clock.advance(0);
    lw.handlers!.onEvent('MODIFIED', obj('a', '7'));
    lw.handlers!.onDone(undefined);
    await clock.advance(0);
    expect({ lists: lw.listCalls, watchFrom: lw.watchRvs }).toEqual({ lists: 1, watchFrom: ['10', '7'] });
  });

  it('re-opens a failed watch from the last resourceVersion after a back-off, without relisting', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    lw.lists = [[obj('a', '1')]];
    const delays: number[] = [];
    const inf = new Informer('test', lw, clock, { onError: (_e, ms) => delays.push(ms), backoff: { initialMs: 1000, maxMs: 4000 } });
    inf.start();
    await clock.advance(0);
    lw.handlers!.onEvent('MODIFIED', obj('a', '8'));
    lw.handlers!.onDone(new KubeApiError('watch: ECONNRESET', undefined, 'ECONNRESET'));
    await clock.advance(999);
    expect(lw.watchRvs).toEqual(['10']); // still backing off
    await clock.advance(1);
    expect({ lists: lw.listCalls, watchFrom: lw.watchRvs, delays }).toEqual({ lists: 1, watchFrom: ['10', '8'], delays: [1000] });
    inf.stop();
  });

  it('backs off exponentially while the API server fails, then syncs', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    const down = new KubeApiError('connect ECONNREFUSED', undefined, 'ECONNREFUSED');
    lw.lists = [down, down, down, [obj('a', '1')]];
    const delays: number[] = [];
    const inf = new Informer('test', lw, clock, { onError: (_e, ms) => delays.push(ms), backoff: { initialMs: 1000, maxMs: 4000 } });
    inf.start();
    await clock.advance(0);
    expect(inf.hasSynced()).toBe(false);
    await clock.advance(1000 + 2000 + 4000);
    expect({ delays, synced: inf.hasSynced(), lists: lw.listCalls }).toEqual({ delays: [1000, 2000, 4000], synced: true, lists: 4 });
    inf.stop();
    expect(clock.pending()).toBe(0);
  });
});
