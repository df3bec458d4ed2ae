/**
 * A real `kubectl` (v1.32) against the emulated API server, unchanged: apply / get (server-side
 * Tables with the CRD's printer columns) / patch --type merge / get -w / delete on
 * FunctionAutoscalers, get and scale on Deployments, get events. kubectl is found (and required) as
 * test/support/tools.ts says.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { writeKubeconfig } from '../../operator/src/sandbox/kubeconfig.js';
import type { ResourceType } from '../../operator/src/sandbox/kube-resources.js';
import { deploymentBody, eventually, FAS } from './sandbox-kube-helpers.js';
import { describeWithKubectl, KUBECTL } from '../support/tools.js';

const kubectlPath = KUBECTL;

const FAS_YAML = (maxReplicas: number): string => `apiVersion: faas-autoscaler.dev/v1alpha1
kind: FunctionAutoscaler
metadata:
  name: figlet
spec:
  functionName: figlet
  maxReplicas: ${maxReplicas}
  slo:
    p95LatencyMs: 300
`;

/** Whitespace-separated cells of each output line. */
const rows = (out: string): string[][] =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describeWithKubectl('kubectl against the sandbox API server', () => {
  let kube: KubeApiServer;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    kube = new KubeApiServer();
    const server = await kube.start();
    dir = await mkdtemp(join(tmpdir(), 'kubectl-sandbox-'));
    kubeconfig = await writeKubeconfig(join(dir, 'kubeconfig'), { server, namespace: 'openfaas' });
  });
  afterAll(async () => {
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const args = (a: string[]): string[] => ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...a];
  async function kubectl(...a: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(kubectlPath!, args(a), { timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }
  const fasType = (): ResourceType => kube.registry.find(FAS.group, FAS.version, FAS.plural)!;

  it('applies, prints with the printer columns, re-applies and reads a field', async () => {
    await writeFile(join(dir, 'fas.yaml'), FAS_YAML(10));
    expect(await kubectl('apply', '-f', join(dir, 'fas.yaml'))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet created\n',
    });
    // What the controller would write, so the columns have values.
    const current = kube.registry.get(fasType(), 'openfaas', 'figlet');
    const ready = { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };
    kube.registry.update(
      { type: fasType(), namespace: 'openfaas', name: 'figlet' },
      {
        ...current,
        status: { replicas: 3, desiredReplicas: 4, conditions: [ready], lastObservation: { p95LatencyMs: 180.5, missRatio: 0.0123 } },
      },
      {},
      'status',
    );
    const get = await kubectl('get', 'fas');
    expect(get.code).toBe(0);
    const [header, row] = rows(get.stdout);
    expect(header).toEqual(['NAME', 'READY', 'POLICY', 'REPLICAS', 'DESIRED', 'P95', 'SLO', 'MISSES', 'AGE']);
    expect(row.slice(0, 8)).toEqual(['figlet', 'True', 'lstm-ppo-plus', '3', '4', '180.5', '300', '0.0123']);
    expect(row[8]).toMatch(/^\d+s$/);
    const wide = rows((await kubectl('get', 'functionautoscalers', '-o', 'wide')).stdout);
    expect(wide[0]).toEqual([
      'NAME',
      'READY',
      'POLICY',
      'REPLICAS',
      'DESIRED',
      'P95',
      'SLO',
      'MISSES',
      'AGE',
      'FUNCTION',
      'ACTIVE',
      'MIN',
      'MAX',
    ]);

    await writeFile(join(dir, 'fas.yaml'), FAS_YAML(12));
    expect(await kubectl('apply', '-f', join(dir, 'fas.yaml'))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet configured\n',
    });
    expect(await kubectl('apply', '-f', join(dir, 'fas.yaml'))).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev/figlet unchanged\n',
    });
    expect(
      (await kubectl('get', 'fas', 'figlet', '-o', 'jsonpath={.spec.maxReplicas}/{.spec.policy.fallback}/{.metadata.generation}')).stdout,
    ).toBe('12/hpa/2');
  });

  it('rejects what the CRD rejects, with the server-side messages', async () => {
    const unknown = FAS_YAML(10)
      .replace('  maxReplicas: 10', '  maxReplicas: 10\n  maxReplica: 3')
      .replace('name: figlet\n', 'name: typo\n');
    await writeFile(join(dir, 'typo.yaml'), unknown);
    const strict = await kubectl('apply', '-f', join(dir, 'typo.yaml'));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('strict decoding error: unknown field "spec.maxReplica"');
    const bounds = await kubectl('patch', 'fas', 'figlet', '--type', 'merge', '-p', '{"spec":{"minReplicas":20}}');
    expect(bounds).toMatchObject({
      code: 1,
      stderr:
        'The FunctionAutoscaler "figlet" is invalid: spec: Invalid value: "object": minReplicas must be less than or equal to maxReplicas\n',
    });
  });

  it('patches with --type merge and streams the change to get -w', async () => {
    const watcher = spawn(kubectlPath!, args(['get', 'fas', '-w', '--output-watch-events']));
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually(() => out.includes('ADDED'), 'the initial listing', 20_000);
      expect(await kubectl('patch', 'fas', 'figlet', '--type', 'merge', '-p', '{"spec":{"policy":{"name":"hpa"}}}')).toMatchObject({
        code: 0,
        stdout: 'functionautoscaler.faas-autoscaler.dev/figlet patched\n',
      });
      await eventually(() => out.includes('MODIFIED'), 'the MODIFIED event', 20_000);
      const lines = rows(out);
      expect(lines[0].slice(0, 4)).toEqual(['EVENT', 'NAME', 'READY', 'POLICY']);
      expect(lines.find((l) => l[0] === 'MODIFIED')?.slice(1, 4)).toEqual(['figlet', 'True', 'hpa']);
    } finally {
      watcher.kill();
    }
  });

  it('gets and scales a Deployment, and lists Events', async () => {
    const deployments = kube.registry.find('apps', 'v1', 'deployments')!;
    kube.registry.create(deployments, 'openfaas-fn', deploymentBody('figlet', 1));
    const get = rows((await kubectl('-n', 'openfaas-fn', 'get', 'deploy')).stdout);
    expect(get[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(get[1].slice(0, 4)).toEqual(['figlet', '1/1', '1', '1']);
    expect(await kubectl('-n', 'openfaas-fn', 'scale', 'deployment', 'figlet', '--replicas=3')).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/figlet scaled\n',
    });
    expect(kube.registry.get(deployments, 'openfaas-fn', 'figlet').spec).toMatchObject({ replicas: 3 });
    // --current-replicas is a precondition: it fails when someone else scaled in between.
    expect(await kubectl('-n', 'openfaas-fn', 'scale', 'deployment', 'figlet', '--replicas=2', '--current-replicas=1')).toMatchObject({
      code: 1,
      stderr: 'error: Expected replicas to be 1, was 3\n',
    });

    const events = kube.registry.find('', 'v1', 'events')!;
    kube.registry.create(events, 'openfaas', {
      metadata: { name: 'figlet.1' },
      involvedObject: { apiVersion: 'faas-autoscaler.dev/v1alpha1', kind: 'FunctionAutoscaler', name: 'figlet', namespace: 'openfaas' },
      reason: 'PolicySwitched',
      message: 'lstm-ppo-plus -> hpa',
      type: 'Normal',
      lastTimestamp: new Date().toISOString(),
    });
    const ev = rows((await kubectl('get', 'events')).stdout);
    expect(ev[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(ev[1].slice(1)).toEqual(['Normal', 'PolicySwitched', 'functionautoscaler/figlet', 'lstm-ppo-plus -> hpa']);
  });

  it('deletes and then finds nothing', async () => {
    expect(await kubectl('delete', 'fas', 'figlet')).toMatchObject({
      code: 0,
      stdout: 'functionautoscaler.faas-autoscaler.dev "figlet" deleted\n',
    });
    expect(await kubectl('get', 'fas')).toMatchObject({ code: 0, stderr: 'No resources found in openfaas namespace.\n' });
    expect(kube.registry.list(fasType(), 'openfaas').items).toEqual([]);
  });
});
