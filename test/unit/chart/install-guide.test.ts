/**
 * the README install guide must not rot: the `helm install` it shows renders with the real chart, the
 * FunctionAutoscaler it applies is admitted by the CRD code, each `kubectl patch` it shows leaves a
 * valid object, the names it uses (Deployment, CRD, Events, printer columns) are the real ones, and
 * it covers every step of an install.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { admitFunctionAutoscaler, formatFieldError, functionAutoscalerCrd } from '../../../operator/src/api/index.js';
import { describeWithHelm, findManifest, helmTemplate, REPO_ROOT } from './helm.js';
import { readmeSection } from '../../support/readme.js';

const GUIDE = readmeSection('install-guide');

/** Shell commands in the guide's ```sh blocks, with line continuations joined. */
const commands = [...GUIDE.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]!
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#')),
);

/** RFC 7386 JSON merge patch, as `kubectl patch --type merge` applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const firstAutoscaler = (): Record<string, unknown> => {
  const heredoc = /cat <<'EOF' \| kubectl apply -f -\n([\s\S]*?)\nEOF/.exec(GUIDE);
  if (!heredoc) throw new Error('the README install guide: no FunctionAutoscaler heredoc');
  return parse(heredoc[1]!) as Record<string, unknown>;
};

describe('the README install guide', () => {
  it('covers every step of the install guide', () => {
    const wanted = [
      /## 1\. Prerequisites/,
      /OpenFaaS/,
      /Prometheus roles/,
      /cAdvisor/,
      /helm install faas-autoscaler/,
      /APIHighInvocationRate/,
      /kubectl -n openfaas scale deployment alertmanager --replicas=0/,
      /5-replica cap/,
      /first FunctionAutoscaler/i,
      /kubectl -n openfaas-fn patch fas figlet --type merge/,
      /kubectl -n openfaas-fn describe fas figlet/,
      /get events --field-selector involvedObject\.kind=FunctionAutoscaler/,
      /helm uninstall faas-autoscaler/,
      /kubectl delete crd functionautoscalers\.faas-autoscaler\.dev/,
    ];
    expect(wanted.filter((w) => !w.test(GUIDE)).map(String)).toEqual([]);
  });

  it('applies a FunctionAutoscaler the CRD admits, with nothing pruned', () => {
    const { errors, prunedFields } = admitFunctionAutoscaler(firstAutoscaler());
    expect({ errors: errors.map(formatFieldError), prunedFields }).toEqual({ errors: [], prunedFields: [] });
  });

  it('shows kubectl patches that leave a valid FunctionAutoscaler', () => {
    const patches = commands.filter((c) => /kubectl .*patch fas /.test(c));
    expect(patches.length).toBeGreaterThanOrEqual(2);
    let object: unknown = admitFunctionAutoscaler(firstAutoscaler()).object;
    for (const command of patches) {
      const body = /-p '([^']*)'/.exec(command)![1]!;
      object = mergePatch(object, JSON.parse(body));
      const { errors } = admitFunctionAutoscaler(object);
      expect({ command, errors: errors.map(formatFieldError) }).toEqual({ command, errors: [] });
    }
  });

  it('names the real CRD, short name and printer columns', () => {
    const crd = functionAutoscalerCrd();
    expect(GUIDE).toContain(crd.metadata.name);
    expect(crd.spec.names.shortNames).toContain('fas');
    const columns = crd.spec.versions[0]!.additionalPrinterColumns!.map((c) => ({
      name: c.name.toUpperCase(),
      wide: (c.priority ?? 0) > 0,
    }));
    const line = (marker: string): string => GUIDE.split('\n').find((l) => l.includes(marker)) ?? '';
    for (const c of columns)
      expect({ column: c.name, shown: line(c.wide ? 'get fas -o wide' : 'get fas   ').includes(c.name) }).toEqual({
        column: c.name,
        shown: true,
      });
  });

  // The reasons written literally in the operator's events.emit calls (those passed through a
  // variable, like DeploymentNotFound, are listed in the guide by hand).
  it('lists the Events the operator emits', () => {
    const source = readFileSync(join(REPO_ROOT, 'operator', 'src', 'controller', 'controller.ts'), 'utf8');
    const reasons = [
      ...new Set([...source.matchAll(/events\.emit\([^{]*\{\s*type: '(?:Normal|Warning)',\s*reason: '(\w+)'/g)].map((m) => m[1]!)),
    ];
    expect(reasons.length).toBeGreaterThan(3);
    const eventsLine = GUIDE.split('\n').find((l) => l.startsWith('- Events:')) ?? '';
    const following = GUIDE.slice(GUIDE.indexOf(eventsLine), GUIDE.indexOf(eventsLine) + 400);
    expect(reasons.filter((r) => !following.includes(`\`${r}\``))).toEqual([]);
  });
});

describeWithHelm('the README install guide against the chart', () => {
  const install = commands.find((c) => c.startsWith('helm install'))!;

  it('its helm install renders, and the Deployment is the one the guide then inspects', () => {
    const sets = [...install.matchAll(/--set ([^\s=]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(sets.length).toBeGreaterThan(0);
    const values: Record<string, unknown> = {};
    for (const [path, value] of sets) {
      const keys = path.split('.');
      let node = values;
      for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
      node[keys[keys.length - 1]!] = value;
    }
    const namespace = /--namespace (\S+)/.exec(install)![1]!;
    const release = /^helm install (\S+)/.exec(install)![1]!;
    const deployment = findManifest(helmTemplate({ values, namespace, releaseName: release }), 'Deployment');
    expect(commands).toContain(`kubectl -n ${namespace} rollout status deploy/${deployment.metadata.name}`);
    expect(deployment.spec.template.spec.containers[0].image).toBe(
      `${values.image && (values.image as Record<string, string>).repository}:0.1.0`,
    );
  });
});
