/**
 * A real kubectl (v1.32, from scripts/fetch-tools.sh) against `faas-autoscaler sandbox` running as
 * its own process, with the kubeconfig it writes — every command a user runs:
 * FunctionAutoscalers: apply, get, patch --type merge, get -w, delete; Deployments: get, scale
 * (with readiness following the function's cold start); get events.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { SandboxInfo } from '../../operator/src/sandbox/sandbox.js';
import { describeWithKubectl, E2E, KUBECTL, replicasOf, waitFor, type KubeClients } from './harness.js';

const run = promisify(execFile);

const FAS_YAML = (maxReplicas: number): string => `apiVersion: faas-autoscaler.dev/v1alpha1
kind: FunctionAutoscaler
metadata:
  name: figlet
  namespace: openfaas-fn
spec:
  functionName: figlet
  maxReplicas: ${maxReplicas}
  intervalSeconds: 5
  slo:
    p95LatencyMs: 300
  policy:
    name: hpa
`;

/** Cells of each line of kubectl's table output, cut at the header's column starts (cells may be empty). */
function rows(out: string): string[][] {
  const lines = out.replace(/\n+$/, '').split('\n');
  const starts = [...lines[0].matchAll(/\S+(?: \S+)*/g)].map((m) => m.index!);
  return lines.map((line) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim()));
}

describeWithKubectl('kubectl against the sandbox', () => {
  let e2e: E2E;
  let info: SandboxInfo;
  let kube: KubeClients;

  beforeAll(async () => {
    e2e = new E2E('kubectl');
    const config = e2e.file('sandbox.yaml', { functions: [{ name: 'figlet', profile: 'fixed:10ms', coldStartSeconds: 1 }] });
    ({ info, kube } = await e2e.sandbox(['--config', config]));
  }, 60_000);
  afterAll(() => e2e.cleanup());

  async function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = spawn(KUBECTL!, ['--kubeconfig', info.kubeconfig, '--cache-dir', `${e2e.dir}/kube-cache`, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? '');
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  }

  it('apply creates, a second apply of the same file changes nothing, a changed file configures', async () => {
    expect(await kubectl(['apply', '-f', '-'], FAS_YAML(10))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet created\n',
    });
    expect(await kubectl(['apply', '-f', '-'], FAS_YAML(10))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet unchanged\n',
    });
    expect(await kubectl(['apply', '-f', '-'], FAS_YAML(12))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet configured\n',
    });
  });

  it("apply of an invalid object is refused with the API server's message", async () => {
    const bad = await kubectl(['apply', '-f', '-'], FAS_YAML(10).replace('maxReplicas: 10', 'maxReplicas: 10\n  minReplicas: 11'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('minReplicas must be less than or equal to maxReplicas');
  });

  it("get prints the CRD's printer columns (short name fas), with defaults applied", async () => {
    const out = await kubectl(['get', 'fas', '-n', 'openfaas-fn']);
    expect(out.code).toBe(0);
    const [header, figlet] = rows(out.stdout);
    expect(header).toEqual(['NAME', 'READY', 'POLICY', 'REPLICAS', 'DESIRED', 'P95', 'SLO', 'MISSES', 'AGE']);
    expect([figlet[0], figlet[header.indexOf('POLICY')]]).toEqual(['figlet', 'hpa']);
    const wide = rows((await kubectl(['get', 'fas', 'figlet', '-n', 'openfaas-fn', '-o', 'wide'])).stdout);
    expect(wide[0]).toEqual(expect.arrayContaining(['FUNCTION', 'MIN', 'MAX']));
    // actuator was defaulted by the API server from the CRD.
    expect((await kubectl(['get', 'fas', 'figlet', '-n', 'openfaas-fn', '-o', 'jsonpath={.spec.actuator}'])).stdout).toBe(
      'deployment-scale',
    );
  });

  it('get -w streams the change a patch --type merge makes', async () => {
    const watch = spawn(KUBECTL!, [
      '--kubeconfig',
      info.kubeconfig,
      'get',
      'fas',
      '-n',
      'openfaas-fn',
      '-w',
      '-o',
      'custom-columns=NAME:.metadata.name,POLICY:.spec.policy.name',
    ]);
    let seen = '';
    watch.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor('the watch to list figlet', () => /figlet\s+hpa/.test(seen), 15_000, 50);
      const patch = await kubectl([
        'patch',
        'fas',
        'figlet',
        '-n',
        'openfaas-fn',
        '--type',
        'merge',
        '-p',
        '{"spec":{"policy":{"name":"knative"}}}',
      ]);
      expect(patch).toMatchObject({ code: 0, stdout: 'functionautoscaler.faas-autoscaler.dev/figlet patched\n' });
      await waitFor('the watch to show the patch', () => /figlet\s+knative/.test(seen), 15_000, 50);
    } finally {
      watch.kill('SIGKILL');
    }
  });

  it('get and scale Deployments; READY follows the cold start', async () => {
    const before = rows((await kubectl(['get', 'deployments', '-n', 'openfaas-fn'])).stdout);
    expect(before).toEqual([
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
      ['figlet', '1/1', '1', '1', expect.stringMatching(/^\d+s$/)],
    ]);
    expect(await kubectl(['scale', 'deployment', 'figlet', '-n', 'openfaas-fn', '--replicas', '3'])).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/figlet scaled\n',
    });
    expect(await replicasOf(kube, 'figlet')).toBe(3);
    await waitFor(
      'READY 3/3 after the cold start',
      async () => rows((await kubectl(['get', 'deploy', 'figlet', '-n', 'openfaas-fn'])).stdout)[1][1] === '3/3',
      15_000,
    );
    // The gateway serves from the new replicas too.
    const status = (await (
      await fetch(`${info.gatewayUrl}/system/function/figlet`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${info.gatewayPassword}`).toString('base64')}` },
      })
    ).json()) as { replicas: number; availableReplicas: number };
    expect(status).toMatchObject({ replicas: 3, availableReplicas: 3 });
  });

  it('get events lists Events (here one written through the API, as the operator does)', async () => {
    await kube.core.createNamespacedEvent({
      namespace: 'openfaas-fn',
      body: {
        metadata: { generateName: 'figlet.' },
        involvedObject: {
          kind: 'FunctionAutoscaler',
          name: 'figlet',
          namespace: 'openfaas-fn',
          apiVersion: 'faas-autoscaler.dev/v1alpha1',
        },
        reason: 'Scaled',
        message: 'scaled from 1 to 3',
        type: 'Normal',
        source: { component: 'faas-autoscaler' },
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        count: 1,
      },
    });
    const out = rows((await kubectl(['get', 'events', '-n', 'openfaas-fn'])).stdout);
    expect(out[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(out.slice(1)).toContainEqual([expect.any(String), 'Normal', 'Scaled', 'functionautoscaler/figlet', 'scaled from 1 to 3']);
  });

  it('delete removes the FunctionAutoscaler', async () => {
    expect(await kubectl(['delete', 'fas', 'figlet', '-n', 'openfaas-fn'])).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev "figlet" deleted\n',
    });
    const after = await kubectl(['get', 'fas', '-n', 'openfaas-fn']);
    expect(after.stderr.trim()).toBe('No resources found in openfaas-fn namespace.');
  });

  it('reports the server version kubectl asked for', async () => {
    const { stdout } = await run(KUBECTL!, ['--kubeconfig', info.kubeconfig, 'version', '-o', 'json']);
    expect((JSON.parse(stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion).toMatch(/^v1\.\d+/);
  });
});
