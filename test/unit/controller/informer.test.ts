/** The informer's list/watch loop: events into the cache, 410 → relist, errors → back-off. */
import { ManualClock } from '../../../operator/src/controller/clock.js';
import { Informer } from '../../../operator/src/controller/informer.js';
import { trimAutoscaler, trimDeployment } from '../../../operator/src/controller/controller.js';
import type { V1Deployment } from '@kubernetes/client-node';
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
  it('caches and hands on objects as the transform trims them, from the list and from the watch', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    const fat = (name: string, rv: string): AutoscalerObject =>
      ({
        metadata: {
          ...obj(name, rv).metadata,
          managedFields: [{ manager: 'kubectl' }],
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}', team: 'a' },
        },
        spec: { functionName: name },
      }) as AutoscalerObject;
    lw.lists = [[fat('a', '1')]];
    const handed: AutoscalerObject[] = [];
    const inf = new Informer('test', lw, clock, { onUpsert: (o) => handed.push(o), transform: trimAutoscaler });
    inf.start();
    await clock.advance(0);
    lw.handlers!.onEvent('MODIFIED', fat('a', '2'));
    const trimmed = {
      metadata: { name: 'a', namespace: 'ns', resourceVersion: '2', annotations: { team: 'a' } },
      spec: { functionName: 'a' },
    };
    expect(inf.get('ns/a')).toEqual(trimmed);
    expect(handed.map((o) => Object.keys(o.metadata).sort())).toEqual([
      ['annotations', 'name', 'namespace', 'resourceVersion'],
      ['annotations', 'name', 'namespace', 'resourceVersion'],
    ]);
  });

  it('trims a Deployment to what the controller reads: labels, replicas, ready replicas, container names and requests', () => {
    const dep = {
      metadata: { name: 'f', namespace: 'fn', resourceVersion: '3', uid: 'u', labels: { faas_function: 'f' }, managedFields: [{}] },
      spec: {
        replicas: 2,
        selector: { matchLabels: { faas_function: 'f' } },
        template: {
          metadata: { labels: { faas_function: 'f' } },
          spec: { containers: [{ name: 'f', image: 'img', env: [{ name: 'A', value: 'x' }], resources: { requests: { cpu: '100m' } } }] },
        },
      },
      status: { replicas: 2, readyReplicas: 1, conditions: [{ type: 'Available', status: 'True' }] },
    };
    expect(trimDeployment(dep as V1Deployment)).toEqual({
      metadata: { name: 'f', namespace: 'fn', resourceVersion: '3', uid: 'u', labels: { faas_function: 'f' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'f', resources: { requests: { cpu: '100m' } } }] } } },
      status: { readyReplicas: 1 },
    });
  });

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

  it('keeps the object it handed on when a relist brings it back unchanged, and takes the new one when it changed', async () => {
    const clock = new ManualClock();
    const lw = new Scripted();
    lw.lists = [
      [obj('a', '1'), obj('b', '2')],
      [obj('a', '1'), obj('b', '4')],
    ];
    const handed = new Map<string, AutoscalerObject>();
    const inf = new Informer('test', lw, clock, { onUpsert: (o) => handed.set(o.metadata.name, o) });
    inf.start();
    await clock.advance(0);
    const first = { a: inf.get('ns/a'), b: inf.get('ns/b') };
    lw.handlers!.onEvent('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await clock.advance(0);
    expect(lw.listCalls).toBe(2);
    // One copy of an unchanged object: the cache's is the one the handler holds.
    expect(inf.get('ns/a')).toBe(first.a);
    expect(handed.get('a')).toBe(first.a);
    expect(inf.get('ns/b')).not.toBe(first.b);
    expect(inf.get('ns/b')).toBe(handed.get('b'));
    expect(inf.get('ns/b')?.metadata.resourceVersion).toBe('4');
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
