/**
 * The install guide's kubectl commands, run with the real kubectl (from scripts/fetch-tools.sh)
 * against the emulated API server serving the FunctionAutoscaler CRD: apply the first
 * FunctionAutoscaler, list it (short name, printer columns, -o wide), read its decision with
 * jsonpath, switch its policy with the patches the guide shows, describe it, list its Events, and
 * delete it. What the guide prints must work as printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { describeWithKubectl, KUBECTL } from '../support/tools.js';
import { readmeSection } from '../support/readme.js';

const GUIDE = readmeSection('install-guide');
const FAS = { group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' } as const;

/** The guide's shell lines (continuations joined, comments dropped). */
const lines = [...GUIDE.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]!
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim().replace(/\s+#.*$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#')),
);
const heredoc = /cat <<'EOF' \| kubectl apply -f -\n([\s\S]*?)\nEOF/.exec(GUIDE)![1]!;

/** Split a command line the way sh does for these lines: blanks separate, '...' is literal and joins its neighbours. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

describeWithKubectl('the README install guide kubectl commands against the emulated API server', () => {
  let kube: KubeApiServer;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    kube = new KubeApiServer();
    const server = await kube.start();
    dir = mkdtempSync(join(tmpdir(), 'fas-guide-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml({ server }), { mode: 0o600 });
  });

  afterAll(async () => {
    await kube?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** kubectl as a child process (asynchronously: the API server answers from this process). */
  function kubectl(args: readonly string[], input?: string): Promise<{ status: number; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(KUBECTL!, [...args], { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ status: code ?? -1, out }));
      child.stdin.end(input ?? '');
    });
  }

  /** The guide's line equal to (else starting with) `prefix`, run as written. */
  async function runGuideLine(prefix: string): Promise<string> {
    const line = lines.find((l) => l === prefix) ?? lines.find((l) => l.startsWith(prefix));
    if (!line) throw new Error(`the README install guide has no line starting with ${JSON.stringify(prefix)}`);
    const result = await kubectl(words(line).slice(1));
    expect({ line, status: result.status, out: result.out }).toEqual({ line, status: 0, out: result.out });
    return result.out;
  }

  it('runs the guide from apply to delete', async () => {
    const apply = await kubectl(['apply', '-f', '-'], heredoc);
    expect({ status: apply.status, out: apply.out }).toEqual({
      status: 0,
      out: expect.stringContaining('functionautoscaler.faas-autoscaler.dev/figlet created'),
    });

    // What the operator would have written, so the columns and jsonpath have something to show.
    const admin = new KubeConfig();
    admin.loadFromFile(kubeconfig);
    const custom = admin.makeApiClient(CustomObjectsApi);
    const core = admin.makeApiClient(CoreV1Api);
    const fa = (await custom.getNamespacedCustomObject({ ...FAS, namespace: 'openfaas-fn', name: 'figlet' })) as {
      metadata: { uid: string };
    };
    await custom.replaceNamespacedCustomObjectStatus({
      ...FAS,
      namespace: 'openfaas-fn',
      name: 'figlet',
      body: {
        ...(fa as object),
        status: {
          replicas: 2,
          desiredReplicas: 3,
          activePolicy: 'lstm-ppo-plus',
          lastObservation: { p95LatencyMs: 412.5, missRatio: 0.012, windowSeconds: 30, missing: [] },
          conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }],
          bounds: { minReplicas: 1, maxReplicas: 5, minFrom: 'spec', maxFrom: 'spec' },
          lastDecision: { desiredReplicas: 3, rawDesiredReplicas: 3, reason: 'lstm-ppo-plus: +1; P95 412 ms of 500', limitedBy: 'none' },
        },
      },
    });
    await core.createNamespacedEvent({
      namespace: 'openfaas-fn',
      body: {
        metadata: { name: 'figlet.1', namespace: 'openfaas-fn' },
        involvedObject: {
          kind: 'FunctionAutoscaler',
          apiVersion: 'faas-autoscaler.dev/v1alpha1',
          name: 'figlet',
          namespace: 'openfaas-fn',
          uid: fa.metadata.uid,
        },
        type: 'Normal',
        reason: 'Scaled',
        message: 'scaled from 2 to 3',
        count: 1,
      },
    });

    expect(await runGuideLine('kubectl -n openfaas-fn get fas')).toMatch(
      /NAME\s+READY\s+POLICY\s+REPLICAS\s+DESIRED\s+P95\s+SLO\s+MISSES\s+AGE\nfiglet\s+True\s+lstm-ppo-plus\s+2\s+3\s+412\.5\s+500\s+0\.012\s/,
    );
    expect(await runGuideLine('kubectl -n openfaas-fn get fas -o wide')).toMatch(
      /FUNCTION\s+ACTIVE\s+MIN\s+MAX\n.*\s+figlet\s+lstm-ppo-plus\s+1\s+5\n/,
    );
    expect(await runGuideLine('kubectl -n openfaas-fn get fas figlet -o jsonpath')).toBe('lstm-ppo-plus: +1; P95 412 ms of 500\n');
    expect(await runGuideLine('kubectl -n openfaas-fn get events --field-selector')).toMatch(/Scaled/);

    // The two patches: to hpa with params, back to the default without them.
    const patches = lines.filter((l) => l.startsWith('kubectl -n openfaas-fn patch fas figlet'));
    expect(patches).toHaveLength(2);
    const policyAfter = [];
    for (const line of patches) {
      const result = await kubectl(words(line).slice(1));
      expect({ line, status: result.status, out: result.out }).toEqual({
        line,
        status: 0,
        out: expect.stringContaining('functionautoscaler.faas-autoscaler.dev/figlet patched'),
      });
      policyAfter.push(
        ((await custom.getNamespacedCustomObject({ ...FAS, namespace: 'openfaas-fn', name: 'figlet' })) as { spec: { policy: unknown } })
          .spec.policy,
      );
    }
    expect(policyAfter).toEqual([
      { name: 'hpa', params: { targetCPUUtilizationPercentage: 70 }, fallback: 'hpa' },
      { name: 'lstm-ppo-plus', fallback: 'hpa' },
    ]);

    expect(await runGuideLine('kubectl -n openfaas-fn describe fas figlet')).toMatch(
      /Name:\s+figlet[\s\S]*Last Decision:[\s\S]*Reason:\s+lstm-ppo-plus: \+1/,
    );
    expect(await runGuideLine('kubectl delete fas --all --all-namespaces')).toMatch(
      /functionautoscaler.faas-autoscaler.dev "figlet" deleted/,
    );
  });
});
