/** Shards by Lease against the real kube-apiserver v1.20.2 (the scenario: ../e2e/shards.ts). */
import { E2E } from '../e2e/harness.js';
import { FUNCTIONS, shardsScenario } from '../e2e/shards.js';
import { describeWithKubeApiserver, KUBE_APISERVER } from './real-api.js';

describeWithKubeApiserver('shards on the real kube-apiserver', () => {
  const e2e = new E2E('real-api-shards');
  afterAll(() => e2e.cleanup());

  it('two replicas split the shards and each scales only its own; one killed, the other takes its shard within the lease duration', async () => {
    const config = e2e.file('sandbox.yaml', { functions: FUNCTIONS.map((name) => ({ name, profile: 'fixed:50ms', coldStartSeconds: 1 })) });
    const { info, kube } = await e2e.sandbox(['--config', config, '--kube-apiserver', KUBE_APISERVER!]);
    expect(info.kubeApiserver?.version).toBe('Kubernetes v1.20.2');
    const prom = await e2e.prometheus(info);
    await shardsScenario(e2e, info, kube, prom.url);
  }, 300_000);
});
