/**
 * examples/: one FunctionAutoscaler per policy and one dry run, each admitted by the same code the
 * emulated API server and the operator use (operator/src/api: prune, default, schema + CEL), and
 * each policy's params accepted by the policy's own factory where that policy is registered.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { admitFunctionAutoscaler, formatFieldError, parseQuantity } from '../../../operator/src/api/index.js';
import { POLICY_NAMES, type PolicySpec, type ScalingPolicy } from '../../../operator/src/policies/policy.js';
import type { Algo } from '../../../operator/src/model/networks.js';
import { shippedModelDir } from '../../../operator/src/policies/learned-policy.js';
import { availablePolicyNames, createPolicy } from '../../../operator/src/policies/registry.js';
import { REPO_ROOT } from './helm.js';

const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
// Learned policies load weights in their factory: checked when the example uses the shipped model
// and it is there (an example naming a model directory of your own cannot be checked here).
const LEARNED = new Set(['lstm-ppo-plus', 'lstm-ppo', 'ppo']);

interface Example {
  file: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

const examples: Example[] = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, object: parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) }));

describe('examples/', () => {
  it('has one example per policy the CRD accepts, and one dry run', () => {
    const policies = new Set(examples.map((e) => e.object.spec.policy?.name ?? 'lstm-ppo-plus'));
    expect([...policies].sort()).toEqual([...POLICY_NAMES].sort());
    expect(examples.filter((e) => e.object.spec.dryRun === true).map((e) => e.file)).toEqual(['dry-run.yaml']);
  });

  it('scales each function from one FunctionAutoscaler only (they can all be applied together)', () => {
    const targets = examples.map((e) => `${e.object.spec.functionNamespace ?? 'openfaas-fn'}/${e.object.spec.functionName}`);
    expect(targets.filter((t, i) => targets.indexOf(t) !== i)).toEqual([]);
    const names = examples.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  describe.each(examples)('$file', ({ object }) => {
    it('is admitted by the CRD schema and rules, with no field pruned', () => {
      const { errors, prunedFields } = admitFunctionAutoscaler(object);
      expect({ errors: errors.map(formatFieldError), prunedFields }).toEqual({ errors: [], prunedFields: [] });
      expect(object).toMatchObject({ apiVersion: 'faas-autoscaler.dev/v1alpha1', kind: 'FunctionAutoscaler' });
    });

    it("has params the policy accepts (built by the policy's own factory where possible)", async () => {
      const instance = await instantiate(object);
      if (instance === undefined) return;
      expect(instance.name).toBe(object.spec.policy.name);
      instance.dispose();
    });
  });

  it('would notice a param the policy does not know (the check above bites)', async () => {
    const hpa = examples.find((e) => e.file === 'hpa.yaml')!.object;
    const misspelt = { ...hpa, spec: { ...hpa.spec, policy: { name: 'hpa', params: { targetCPUUtilisationPercentage: 70 } } } };
    await expect(instantiate(misspelt)).rejects.toThrow(/targetCPUUtilisationPercentage/);
  });
});

/** The policy an example asks for, built by its factory; undefined when that cannot be done here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function instantiate(object: any): Promise<ScalingPolicy | undefined> {
  const { object: admitted } = admitFunctionAutoscaler(object);
  const spec = admitted.spec;
  const policy = spec.policy as PolicySpec;
  if (!availablePolicyNames().includes(policy.name)) return undefined;
  if (LEARNED.has(policy.name) && (policy.model !== undefined || !existsSync(shippedModelDir(policy.name as Algo)))) return undefined;
  const requests = spec.resources?.requests;
  return createPolicy(policy, {
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas ?? 20,
    sloP95Ms: spec.slo.p95LatencyMs,
    intervalSeconds: spec.intervalSeconds ?? 30,
    resourceRequests:
      requests?.cpu !== undefined && requests.memory !== undefined
        ? { cpuCores: parseQuantity(requests.cpu), memoryBytes: parseQuantity(requests.memory) }
        : undefined,
  });
}
