/**
 * The operator property (test/integration/operator-property.ts) against the sandbox's emulated
 * Kubernetes API over HTTP: CRD admission, client-node, informers; 1,000 runs of one to four
 * resources (about 2,500 specs, ~40 s).
 */
import { checkOperatorProperty } from './operator-property.js';
import { startCluster, type Cluster } from './sandbox-kube-helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster.kube.stop();
});

it('whatever the API server admits is reported on, ticks complete, nothing ends above the ceiling', async () => {
  await checkOperatorProperty(cluster.kc, 1000);
}, 240_000);
