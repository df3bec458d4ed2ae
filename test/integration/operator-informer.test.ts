/**
 * The controller's informer over client-node against the emulated API server's real watch
 * semantics: a cleanly closed watch resumes without a relist; a restart of the API server
 * (watch history gone) answers the resume with 410 Gone and the informer relists, reporting the
 * delete it missed while disconnected; 5xx on list backs off and recovers.
 */
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../../operator/src/controller/clock.js';
import { Informer } from '../../operator/src/controller/informer.js';
import { ClientNodeCluster, type AutoscalerObject } from '../../operator/src/controller/kube.js';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { waitFor } from './operator-harness.js';

const GROUP = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers', namespace: 'openfaas-fn' };

let kube: KubeApiServer;
let custom: CustomObjectsApi;
let cluster: ClientNodeCluster;

beforeAll(async () => {
  kube = new KubeApiServer();
  await kube.start();
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml({ server: kube.url }));
  custom = kc.makeApiClient(CustomObjectsApi);
  cluster = new ClientNodeCluster(kc);
});
afterAll(async () => {
  await kube.stop();
});

function create(name: string): Promise<unknown> {
  return custom.createNamespacedCustomObject({
    ...GROUP,
    body: {
      apiVersion: 'faas-autoscaler.dev/v1alpha1',
      kind: 'FunctionAutoscaler',
      metadata: { name },
      spec: { functionName: name, maxReplicas: 3, slo: { p95LatencyMs: 100 } },
    },
  });
}

it('resumes closed and failed watches, relists on 410 Gone, and backs off on list errors', async () => {
  await create('a');
  await create('b');
  const log: string[] = [];
  const inf = new Informer<AutoscalerObject>(
    'fas',
    { list: () => cluster.listAutoscalers('openfaas-fn'), watch: (rv, h) => cluster.watchAutoscalers('openfaas-fn', rv, h) },
    systemClock,
    {
      onUpsert: (o, old) => log.push(`${old ? 'update' : 'add'} ${o.metadata.name}`),
      onDelete: (o) => log.push(`delete ${o.metadata.name}`),
      onError: (e) => log.push(`error ${e.statusCode ?? e.reason}`),
      backoff: { initialMs: 100, maxMs: 400 },
    },
  );
  inf.start();
  await waitFor('sync', async () => (inf.hasSynced() && kube.openWatchCount() === 1 ? true : undefined));

  // 1. The server ends the watch cleanly: resume from the last resourceVersion, no relist.
  kube.breakWatches({}, 'close');
  await create('c');
  await waitFor('c', async () => (inf.get('openfaas-fn/c') ? true : undefined));
  expect({ lists: inf.stats.lists, gone: inf.stats.gone }).toEqual({ lists: 1, gone: 0 });

  // 2. The connection drops; while the informer backs off (its resumes fail with 503 twice), b is
  // deleted and the server compacts its watch history. The resume then gets 410 Gone: relist,
  // and the delete it missed is reported from the difference.
  kube.faults.failNext(2, { verb: 'watch' }, { code: 503 });
  kube.breakWatches({}, 'reset');
  await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'b' });
  kube.compact();
  await waitFor('relist after 410', async () => (inf.stats.gone >= 1 && !inf.get('openfaas-fn/b') ? true : undefined));
  expect(
    inf
      .list()
      .map((o) => o.metadata.name)
      .sort(),
  ).toEqual(['a', 'c']);
  expect({
    lists: inf.stats.lists,
    deleteReported: log.includes('delete b'),
    errors: log.filter((l) => l.startsWith('error')).slice(1),
  }).toEqual({ lists: 2, deleteReported: true, errors: ['error 503', 'error 503', 'error 410'] });

  // 3. The same, but the relist itself fails twice with 500: back off, list again, sync.
  kube.faults.failNext(1, { verb: 'watch' }, { code: 503 });
  kube.faults.failNext(2, { verb: 'list' }, { code: 500 });
  kube.breakWatches({}, 'reset');
  await create('d');
  kube.compact();
  await waitFor('d after back-off', async () => (inf.get('openfaas-fn/d') ? true : undefined), 10_000);
  expect(log.filter((l) => l === 'error 500')).toHaveLength(2);
  inf.stop();
});

describe('ClientNodeCluster connections', () => {
  it('reuses kept-alive connections: 60 API calls on a handful of TCP connections (client-node alone opens one per call)', async () => {
    await create('conn');
    const count = async (client: ClientNodeCluster | CustomObjectsApi): Promise<number> => {
      const before = kube.connectionsAccepted();
      for (let i = 0; i < 30; i++) {
        if (client instanceof ClientNodeCluster) {
          await client.readAutoscaler('openfaas-fn', 'conn');
          await client.patchAutoscalerStatus('openfaas-fn', 'conn', { status: { desiredReplicas: i } });
        } else {
          await client.getNamespacedCustomObject({ ...GROUP, name: 'conn' });
          await client.getNamespacedCustomObject({ ...GROUP, name: 'conn' });
        }
      }
      return kube.connectionsAccepted() - before;
    };
    const ours = await count(cluster);
    const plain = await count(custom);
    expect({ ours: ours <= 3, plain }).toEqual({ ours: true, plain: 60 });
  });
});
