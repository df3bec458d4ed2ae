/**
 * Watches and informers against the emulated API server, with @kubernetes/client-node's `Watch`
 * and `makeInformer`: resuming from a resourceVersion, 410 for one older than the window (and the
 * informer's relist), selectors, bookmarks, timeouts on a scripted clock, broken streams, restarts
 * and injected faults.
 */
import { makeInformer, PatchStrategy, setHeaderOptions, Watch, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { ManualClock } from '#kernel/clock.js';
import { FAS, eventually, fasBody, startCluster, statusOf, type Cluster } from './sandbox-kube-helpers.js';

const NS = 'openfaas';
const PATH = `/apis/faas-autoscaler.dev/v1alpha1/namespaces/${NS}/functionautoscalers`;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  code?: number;
  reason?: string;
}

/** Starts a watch that records every event; `done` records how it ended. */
async function record(
  c: Cluster,
  query: Record<string, string | number | boolean | undefined>,
  path = PATH,
): Promise<{ seen: Seen[]; ended: { err?: unknown } | undefined; stop(): void }> {
  const state: { seen: Seen[]; ended: { err?: unknown } | undefined; stop(): void } = { seen: [], ended: undefined, stop: () => {} };
  const controller = await new Watch(c.kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }) => {
      state.seen.push(
        type === 'ERROR'
          ? { type, code: obj.code, reason: obj.reason }
          : { type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion },
      );
    },
    (err) => (state.ended = { err }),
  );
  state.stop = () => controller.abort();
  return state;
}

describe('watch', () => {
  let c: Cluster;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 0, 1));
    c = await startCluster({ clock });
  });
  afterEach(async () => {
    await c.kube.stop();
  });
  const create = (name: string): Promise<unknown> => c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody(name) });
  const patch = (name: string, body: unknown): Promise<unknown> =>
    c.custom.patchNamespacedCustomObject({ ...FAS, namespace: NS, name, body }, merge);

  it('without a resourceVersion: ADDED for what exists, then every change in order', async () => {
    await create('a');
    const w = await record(c, {});
    await eventually(() => w.seen.length === 1, 'the initial ADDED');
    await patch('a', { spec: { maxReplicas: 5 } });
    await create('b');
    await c.custom.deleteNamespacedCustomObject({ ...FAS, namespace: NS, name: 'a' });
    await eventually(() => w.seen.length === 4, 'four events');
    expect(w.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED a']);
    const rvs = w.seen.map((e) => Number(e.rv));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    w.stop();
  });

  it('from a list resourceVersion: only what happened after it', async () => {
    await create('a');
    const list = (await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS })) as { metadata: { resourceVersion: string } };
    await create('b');
    const w = await record(c, { resourceVersion: list.metadata.resourceVersion });
    await eventually(() => w.seen.length === 1, 'one event');
    expect(w.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED b']);
    w.stop();
  });

  it('from a resourceVersion older than the window: one ERROR event with a 410 Expired Status, then the stream ends', async () => {
    await create('a');
    const list = (await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS })) as { metadata: { resourceVersion: string } };
    await create('b');
    c.kube.compact();
    const w = await record(c, { resourceVersion: list.metadata.resourceVersion });
    await eventually(() => w.ended !== undefined, 'the end of the stream');
    expect(w.seen).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }]);
  });

  it('follows selectors: an object that starts matching is ADDED, one that stops is DELETED', async () => {
    await create('a');
    const w = await record(c, { labelSelector: 'tier=gold' });
    await patch('a', { metadata: { labels: { tier: 'gold' } } });
    await patch('a', { spec: { maxReplicas: 4 } });
    await patch('a', { metadata: { labels: { tier: null } } });
    await eventually(() => w.seen.length === 3, 'three events');
    expect(w.seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    w.stop();
  });

  it('sends bookmarks when allowed, and ends at timeoutSeconds on the server clock', async () => {
    const w = await record(c, { allowWatchBookmarks: true, timeoutSeconds: 90, resourceVersion: String(c.kube.store.resourceVersion()) });
    await eventually(() => c.kube.openWatchCount() === 1, 'the watch to be open');
    await create('a');
    clock.advanceSync(60_000); // the periodic bookmark
    await eventually(() => w.seen.length === 2, 'event and bookmark');
    expect(w.seen[1]).toEqual({ type: 'BOOKMARK', name: undefined, rv: String(c.kube.store.resourceVersion()) });
    expect(w.ended).toBeUndefined();
    clock.advanceSync(30_000);
    await eventually(() => w.ended !== undefined, 'the timeout');
    expect(w.ended).toEqual({ err: null });
    expect(c.kube.openWatchCount()).toBe(0);
  });

  it('watches one object by name (the item path) and the Deployment status writes of a scale', async () => {
    await c.apps.createNamespacedDeployment({
      namespace: 'openfaas-fn',
      body: {
        metadata: { name: 'figlet' },
        spec: {
          selector: { matchLabels: { app: 'figlet' } },
          template: { metadata: { labels: { app: 'figlet' } }, spec: { containers: [{ name: 'f', image: 'f' }] } },
        },
      },
    });
    const seen: string[] = [];
    const controller = await new Watch(c.kc).watch(
      '/apis/apps/v1/namespaces/openfaas-fn/deployments',
      { fieldSelector: 'metadata.name=figlet', resourceVersion: String(c.kube.store.resourceVersion()) },
      (
        type,
        obj: { metadata: { generation: number }; spec: { replicas: number }; status: { replicas?: number; observedGeneration?: number } },
      ) =>
        seen.push(
          `${type} gen=${obj.metadata.generation} spec=${obj.spec.replicas} status=${obj.status.replicas ?? 0} observed=${obj.status.observedGeneration}`,
        ),
      () => {},
    );
    await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: 'openfaas-fn', body: { spec: { replicas: 3 } } }, merge);
    await eventually(() => seen.length === 2, 'spec and status events');
    // First the spec write (status not yet caught up), then the controller's status write.
    expect(seen).toEqual(['MODIFIED gen=2 spec=3 status=1 observed=1', 'MODIFIED gen=2 spec=3 status=3 observed=2']);
    controller.abort();
  });
});

describe('informer', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster();
  });
  afterEach(async () => {
    await c.kube.stop();
  });

  function informer(): { inf: ReturnType<typeof makeInformer<KubernetesObject>>; log: string[] } {
    const inf = makeInformer<KubernetesObject>(c.kc, PATH, () => c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS }) as never);
    const log: string[] = [];
    inf.on('add', (o) => log.push(`add ${o.metadata?.name}`));
    inf.on('update', (o) => log.push(`update ${o.metadata?.name}`));
    inf.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    return { inf, log };
  }
  const names = (inf: ObjectCache<KubernetesObject>): string[] =>
    inf
      .list()
      .map((o) => o.metadata!.name!)
      .sort();

  it('lists, then follows adds, updates and deletes', async () => {
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') });
    const { inf, log } = informer();
    await inf.start();
    await eventually(() => c.kube.openWatchCount() === 1, 'the watch');
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('b') });
    await c.custom.patchNamespacedCustomObject({ ...FAS, namespace: NS, name: 'a', body: { spec: { maxReplicas: 3 } } }, merge);
    await c.custom.deleteNamespacedCustomObject({ ...FAS, namespace: NS, name: 'b' });
    await eventually(() => log.length === 4, 'four callbacks');
    expect(log).toEqual(['add a', 'add b', 'update a', 'delete b']);
    expect(names(inf)).toEqual(['a']);
    await inf.stop();
  });

  it('relists after a 410: what changed while it was disconnected shows up as add and delete', async () => {
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') });
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('b') });
    const { inf, log } = informer();
    await inf.start();
    await eventually(() => c.kube.openWatchCount() === 1, 'the watch');
    // In one step, so the informer cannot reconnect in between: its stream ends, b goes, c comes,
    // and the watch history is lost. Resuming from its resourceVersion now gets 410 → relist.
    expect(c.kube.breakWatches()).toBe(1);
    const fas = c.kube.registry.find(FAS.group, FAS.version, FAS.plural)!;
    c.kube.registry.delete({ type: fas, namespace: NS, name: 'b' });
    c.kube.registry.create(fas, NS, fasBody('c'));
    c.kube.compact();
    await eventually(() => log.length === 4, 'relist callbacks');
    expect(log).toEqual(['add a', 'add b', 'delete b', 'add c']);
    expect(names(inf)).toEqual(['a', 'c']);
    const lists = c.kube.getAuditLog().filter((e) => e.verb === 'list').length;
    expect(lists).toBe(2);
    await inf.stop();
  });

  it('recovers from a restart when its error handler restarts it (the client-node pattern)', async () => {
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') });
    const { inf, log } = informer();
    const errors: unknown[] = [];
    let stopping = false;
    inf.on('error', (err) => {
      errors.push(err);
      // Aborting on stop() also reports an error: restarting then would loop forever.
      if (!stopping) void inf.start();
    });
    try {
      await inf.start();
      await eventually(() => c.kube.openWatchCount() === 1, 'the watch');
      // Another resource moves the global resourceVersion past the informer's last one; the
      // restarted watch cache starts there, so resuming gets 410 and the informer lists again.
      await c.core.createNamespacedEvent({
        namespace: NS,
        body: { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p', namespace: NS } },
      });
      c.kube.restart({ keepState: true });
      await eventually(() => errors.length === 1 && c.kube.openWatchCount() === 1, 'the restarted watch');
      expect(c.kube.getAuditLog().filter((e) => e.verb === 'list').length).toBe(2);
      await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('b') });
      await eventually(() => log.includes('add b'), 'add b after the restart');
      expect(names(inf)).toEqual(['a', 'b']);
    } finally {
      stopping = true;
      await inf.stop();
    }
  });
});

describe('fault injection', () => {
  let c: Cluster;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 0, 1));
    c = await startCluster({ clock });
  });
  afterEach(async () => {
    await c.kube.stop();
  });

  it('fails the next N matching requests with the given code, then serves normally', async () => {
    c.kube.faults.failNext(2, { verb: 'list', resource: 'functionautoscalers' }, { code: 503 });
    const list = (): Promise<unknown> => c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS });
    expect(await statusOf(list())).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(await statusOf(c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') }).then(list))).toMatchObject({
      code: 503,
    });
    await expect(list()).resolves.toMatchObject({ items: [expect.anything()] });
    c.kube.faults.failNext(1, { verb: 'patch', resource: 'functionautoscalers', subresource: 'status' }, { code: 409 });
    expect(
      await statusOf(
        c.custom.patchNamespacedCustomObjectStatus({ ...FAS, namespace: NS, name: 'a', body: { status: { replicas: 1 } } }, merge),
      ),
    ).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('functionautoscalers.faas-autoscaler.dev "a"'),
    });
  });

  it('delays matching requests on the server clock', async () => {
    c.kube.faults.delay({ verb: 'get', name: 'a' }, 1000, 1);
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') });
    let done = false;
    const pending = c.custom.getNamespacedCustomObject({ ...FAS, namespace: NS, name: 'a' }).then(() => (done = true));
    await eventually(() => c.kube.getAuditLog().some((e) => e.verb === 'get'), 'the request to arrive');
    expect(done).toBe(false);
    clock.advanceSync(1000);
    await pending;
    expect(done).toBe(true);
  });

  it('loses every object on a restart without state; namespaces and CRDs come back', async () => {
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('a') });
    c.kube.restart({ keepState: false });
    expect(await statusOf(c.custom.getNamespacedCustomObject({ ...FAS, namespace: NS, name: 'a' }))).toMatchObject({ code: 404 });
    // Namespaces and the CRD come back, so the API is usable at once.
    await expect(c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody('b') })).resolves.toBeDefined();
  });
});
