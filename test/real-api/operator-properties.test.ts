/**
 * The operator property (test/integration/operator-property.ts) against the real kube-apiserver
 * v1.20.2: its own CRD admission and validation decide what reaches the operator. A smaller run
 * than against the emulator (each run creates a namespace, Deployments and resources there).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { checkOperatorProperty } from '../integration/operator-property.js';
import { describeWithKubeApiserver, kubectl, REPO_ROOT, startRealApi, type RealApi } from './real-api.js';

describeWithKubeApiserver('the operator property on the real kube-apiserver', () => {
  let real: RealApi;
  beforeAll(async () => {
    real = await startRealApi('property');
    // v1.20 does not know x-kubernetes-validations: the CRD goes in with --validate=false, as the README says.
    const applied = await kubectl(real.proc.kubeconfig, ['apply', '--validate=false', '-f', join(REPO_ROOT, 'crds')]);
    expect(applied.status).toBe(0);
    const established = await kubectl(real.proc.kubeconfig, [
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/functionautoscalers.faas-autoscaler.dev',
    ]);
    expect(established.status).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await real?.stop();
  });

  it('whatever the API server admits is reported on, ticks complete, nothing ends above the ceiling', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(real.proc.kubeconfig);
    await checkOperatorProperty(kc, 12);
  }, 300_000);
});
