/** Shards by Lease against the emulated API server (the scenario: ./shards.ts). */
import { E2E } from './harness.js';
import { FUNCTIONS, shardsScenario } from './shards.js';

const e2e = new E2E('shards');

afterAll(() => e2e.cleanup());

it('two replicas split the shards and each scales only its own; one killed, the other takes its shard within the lease duration', async () => {
  const config = e2e.file('sandbox.yaml', { functions: FUNCTIONS.map((name) => ({ name, profile: 'fixed:50ms', coldStartSeconds: 1 })) });
  const { info, kube } = await e2e.sandbox(['--config', config]);
  const prom = await e2e.prometheus(info);
  await shardsScenario(e2e, info, kube, prom.url);
}, 200_000);
