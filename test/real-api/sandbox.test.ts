/**
 * `sandbox --kube-apiserver --ce`: the sandbox's stand-ins for the Deployment controller, kubelets,
 * faas-netes and the gateway, working against the real API server. Function Deployments get a
 * status that follows the simulated cold starts; the gateway reads and scales them through the
 * API; CE's faas-netes clamp rewrites any replica count outside 1..5, whoever wrote it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFunctions } from '../../operator/src/sandbox/sandbox-config.js';
import { startSandbox, type RunningSandbox } from '../../operator/src/sandbox/sandbox.js';
import { waitFor } from '../e2e/harness.js';
import { describeWithKubeApiserver, kubectl, KUBE_APISERVER } from './real-api.js';

describeWithKubeApiserver('the sandbox on the real kube-apiserver, as OpenFaaS CE', () => {
  let sandbox: RunningSandbox;
  let dir: string;
  const auth = (): string => `Basic ${Buffer.from(`${sandbox.info.gatewayUser}:${sandbox.info.gatewayPassword}`).toString('base64')}`;
  const deployment = async (name: string): Promise<{ spec: { replicas: number }; status: { readyReplicas?: number; replicas?: number } }> =>
    JSON.parse((await kubectl(sandbox.info.kubeconfig, ['get', 'deploy', name, '-n', 'openfaas-fn', '-o', 'json'])).out) as never;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'real-api-sandbox-'));
    sandbox = await startSandbox({
      dir,
      functions: resolveFunctions([{ name: 'echo', profile: 'fixed:20ms', sim: { coldStartSeconds: 1, initialReplicas: 1 } }], undefined),
      kubeApiserver: KUBE_APISERVER!,
      ce: true,
      gatewayPassword: 'pw',
    });
  }, 120_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the function through the gateway, from the Deployment the real API server stores', async () => {
    expect(sandbox.info.kubeApiserver?.version).toBe('Kubernetes v1.20.2');
    await waitFor('echo ready', async () => (await deployment('echo')).status.readyReplicas === 1, 20_000);
    const res = await fetch(`${sandbox.info.gatewayUrl}/function/echo`, { method: 'POST' });
    expect([res.status, await res.text()]).toEqual([200, expect.stringContaining('echo served by')]);
    const list = (await (await fetch(`${sandbox.info.gatewayUrl}/system/functions`, { headers: { authorization: auth() } })).json()) as {
      name: string;
      replicas: number;
      availableReplicas: number;
    }[];
    expect(list.map((f) => [f.name, f.replicas, f.availableReplicas])).toEqual([['echo', 1, 1]]);
  });

  it('scales through /system/scale-function into the Deployment, whose ready count follows the cold start', async () => {
    const res = await fetch(`${sandbox.info.gatewayUrl}/system/scale-function/echo`, {
      method: 'POST',
      headers: { authorization: auth() },
      body: JSON.stringify({ serviceName: 'echo', replicas: 3 }),
    });
    expect(res.status).toBe(202);
    await waitFor('spec 3', async () => (await deployment('echo')).spec.replicas === 3, 10_000);
    const starting = await deployment('echo');
    expect(starting.status.replicas).toBe(3);
    await waitFor('3 ready after the cold start', async () => (await deployment('echo')).status.readyReplicas === 3, 20_000);
    const ksm = await (await fetch(`${sandbox.info.kubeStateMetricsUrl}/metrics`)).text();
    expect(ksm).toContain('kube_deployment_status_replicas_ready{namespace="openfaas-fn",deployment="echo"} 3');
  }, 60_000);

  it("clamps a Deployment written above 5 (or to 0) back into 1..5, as CE's faas-netes does", async () => {
    const rows: Array<[number, number]> = [];
    for (const want of [8, 0]) {
      const scaled = await kubectl(sandbox.info.kubeconfig, ['scale', 'deploy/echo', '-n', 'openfaas-fn', `--replicas=${want}`]);
      expect(scaled.status).toBe(0);
      const expected = want === 0 ? 1 : 5;
      rows.push([
        want,
        await waitFor(
          `echo clamped to ${expected}`,
          async () => ((await deployment('echo')).spec.replicas === expected ? expected : undefined),
          10_000,
        ),
      ]);
    }
    expect(rows).toEqual([
      [8, 5],
      [0, 1],
    ]);
  }, 60_000);
});
