/**
 * The CRD, every file in examples/ and a set of invalid objects, sent to the real kube-apiserver
 * and to the emulated one side by side. Whatever the real server accepts, refuses or prints, the
 * emulator must too, with the same message; where v1.20 cannot (CEL rules, 1.25+), the difference
 * is asserted as the documented limit it is.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { describeWithKubeApiserver, kubectl, REPO_ROOT, restCall, startRealApi, type RealApi } from './real-api.js';

const CRD_FILE = join(REPO_ROOT, 'crds', 'functionautoscalers.faas-autoscaler.dev.yaml');
const EXAMPLES = join(REPO_ROOT, 'examples');
const FAS_PATH = '/apis/faas-autoscaler.dev/v1alpha1/namespaces/openfaas-fn/functionautoscalers';

describeWithKubeApiserver('the real kube-apiserver and the emulator agree on the CRD, examples and invalid objects', () => {
  let real: RealApi;
  let emulated: KubeApiServer;
  let emulatedUrl: string;
  let dir: string;
  let realConfig: string;
  let emulatedConfig: string;

  beforeAll(async () => {
    real = await startRealApi('crd');
    emulated = new KubeApiServer();
    emulatedUrl = await emulated.start();
    dir = mkdtempSync(join(tmpdir(), 'real-api-crd-'));
    realConfig = real.proc.kubeconfig;
    emulatedConfig = join(dir, 'emulated-kubeconfig');
    writeFileSync(emulatedConfig, kubeconfigYaml({ server: emulatedUrl }), { mode: 0o600 });
    expect(real.proc.version).toBe('Kubernetes v1.20.2');
    // The emulator has faas-netes' namespaces from the start; a cluster with OpenFaaS has them too.
    expect(
      (await real.rest('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openfaas-fn' } })).code,
    ).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await emulated?.stop();
    await real?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const both = (fn: (target: 'real' | 'emulated') => Promise<unknown>): Promise<unknown[]> => Promise.all([fn('real'), fn('emulated')]);
  const call = (target: 'real' | 'emulated', method: string, path: string, body?: unknown): ReturnType<typeof restCall> =>
    target === 'real' ? real.rest(method, path, body) : restCall({ url: emulatedUrl }, method, path, body);

  it('installs the CRD with kubectl apply (v1.20 needs --validate=false: its OpenAPI predates x-kubernetes-validations)', async () => {
    // kubectl 1.32 validates on the client against the server's OpenAPI when the server has no
    // field validation (v1.20); v1.20's JSONSchemaProps has no x-kubernetes-validations (CEL, 1.25+).
    const plain = await kubectl(realConfig, ['apply', '-f', join(REPO_ROOT, 'crds')]);
    expect({ status: plain.status, out: plain.out }).toEqual({
      status: 1,
      out: expect.stringContaining('unknown field "x-kubernetes-validations"'),
    });
    const applied = await kubectl(realConfig, ['apply', '--validate=false', '-f', join(REPO_ROOT, 'crds')]);
    expect({ status: applied.status, out: applied.out }).toEqual({
      status: 0,
      out: 'customresourcedefinition.apiextensions.k8s.io/functionautoscalers.faas-autoscaler.dev created\n',
    });
    const established = await kubectl(realConfig, [
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/functionautoscalers.faas-autoscaler.dev',
    ]);
    expect(established.status).toBe(0);
    // The emulator serves the same file from the start; applying it again changes nothing.
    const again = await kubectl(emulatedConfig, ['apply', '-f', join(REPO_ROOT, 'crds')]);
    expect(again.status).toBe(0);
  }, 60_000);

  it('refuses a CRD whose root metadata has a description, with the same message', async () => {
    const crd = parse(readFileSync(CRD_FILE, 'utf8')) as { metadata: { name: string }; spec: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const names = { plural: 'badmetas', singular: 'badmeta', kind: 'BadMeta', listKind: 'BadMetaList', shortNames: [] as string[] };
    crd.metadata.name = `${names.plural}.faas-autoscaler.dev`;
    crd.spec.names = names;
    crd.spec.versions[0].schema.openAPIV3Schema.properties.metadata = { type: 'object', description: 'Standard object metadata.' };
    const [r, e] = (await both((t) => call(t, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd))) as {
      code: number;
      body: { message?: string };
    }[];
    const want =
      'spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified';
    expect({ real: [r.code, r.body.message], emulated: [e.code, e.body.message] }).toEqual({
      real: [422, `CustomResourceDefinition.apiextensions.k8s.io "badmetas.faas-autoscaler.dev" is invalid: ${want}`],
      emulated: [422, `CustomResourceDefinition.apiextensions.k8s.io "badmetas.faas-autoscaler.dev" is invalid: ${want}`],
    });
  });

  it('accepts every file in examples/ with the same defaults and the same kubectl columns', async () => {
    for (const config of [realConfig, emulatedConfig]) {
      const applied = await kubectl(config, ['apply', '-f', EXAMPLES]);
      expect({ status: applied.status, out: applied.out }).toEqual({ status: 0, out: expect.stringMatching(/created/) });
    }
    const specs = async (config: string): Promise<Record<string, unknown>> => {
      const out = await kubectl(config, ['get', 'fas', '-A', '-o', 'json']);
      const items = (JSON.parse(out.out) as { items: { metadata: { name: string }; spec: unknown }[] }).items;
      return Object.fromEntries(items.map((i) => [i.metadata.name, i.spec]));
    };
    const realSpecs = await specs(realConfig);
    expect(Object.keys(realSpecs).length).toBe(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).length);
    expect(await specs(emulatedConfig)).toEqual(realSpecs);
    // Printer columns: the same table, AGE aside (the two were created at different times).
    const table = async (config: string, wide: boolean): Promise<string> => {
      const out = await kubectl(config, ['get', 'fas', '-A', ...(wide ? ['-o', 'wide'] : [])]);
      return out.out.replace(/\s+\d+[smh]\d*[smh]?(?=\s|$)/g, ' <age>').replace(/[ \t]+/g, ' ');
    };
    for (const wide of [false, true]) expect(await table(emulatedConfig, wide)).toBe(await table(realConfig, wide));
  }, 60_000);

  /**
   * One mistake per object. `cel`: what the emulator adds because it evaluates the CRD's CEL rules,
   * as 1.25+ servers do and v1.20 cannot (the field errors of the schema are the same).
   */
  const INVALID: { what: string; spec: Record<string, unknown>; cel?: string[] }[] = [
    { what: 'negative minReplicas', spec: { minReplicas: -1 } },
    { what: 'maxReplicas 0', spec: { maxReplicas: 0 } },
    { what: 'interval below the minimum', spec: { intervalSeconds: 1 } },
    { what: 'interval above the maximum', spec: { intervalSeconds: 7200 } },
    { what: 'unknown policy', spec: { policy: { name: 'magic' } } },
    { what: 'SLO of 0 ms', spec: { slo: { p95LatencyMs: 0 } } },
    { what: 'SLO missing', spec: { slo: undefined } },
    {
      what: 'string where a number goes',
      spec: { maxReplicas: 'ten' },
      cel: [
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    },
  ];

  /** The field errors of an Invalid message (`X "n" is invalid: [a, b]` or `...: a`). */
  const fieldErrors = (message = ''): string[] => {
    const list = message.slice(message.indexOf(' is invalid: ') + ' is invalid: '.length);
    return list.startsWith('[') ? list.slice(1, -1).split(/, (?=spec|<nil>|metadata)/) : [list];
  };

  it.each(INVALID)('refuses $what with the same code and message', async ({ spec, cel }) => {
    const body = {
      apiVersion: 'faas-autoscaler.dev/v1alpha1',
      kind: 'FunctionAutoscaler',
      metadata: { name: 'invalid', namespace: 'openfaas-fn' },
      spec: { functionName: 'figlet', maxReplicas: 5, slo: { p95LatencyMs: 500 }, ...spec },
    };
    const [r, e] = (await both((t) => call(t, 'POST', FAS_PATH, body))) as { code: number; body: { message?: string; reason?: string } }[];
    expect(r.code).toBe(422);
    expect({ code: e.code, reason: e.body.reason, errors: fieldErrors(e.body.message) }).toEqual({
      code: r.code,
      reason: r.body.reason,
      errors: [...fieldErrors(r.body.message), ...(cel ?? [])],
    });
    if (!cel) expect(e.body.message).toBe(r.body.message);
  });

  it('v1.20 ignores the CEL rule minReplicas <= maxReplicas that the emulator (as 1.25+) enforces', async () => {
    const body = {
      apiVersion: 'faas-autoscaler.dev/v1alpha1',
      kind: 'FunctionAutoscaler',
      metadata: { name: 'min-over-max', namespace: 'openfaas-fn' },
      spec: { functionName: 'figlet', minReplicas: 8, maxReplicas: 5, slo: { p95LatencyMs: 500 } },
    };
    const [r, e] = (await both((t) => call(t, 'POST', FAS_PATH, body))) as { code: number; body: { message?: string } }[];
    expect({ real: r.code, emulated: e.code, message: e.body.message }).toEqual({
      real: 201,
      emulated: 422,
      message: expect.stringContaining('minReplicas must be less than or equal to maxReplicas'),
    });
  });

  it('refuses a Lease time with three fractional digits (a JavaScript toISOString) with the same 400', async () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ms' },
      spec: { holderIdentity: 'a', acquireTime: '2026-12-07T23:39:28.391Z' },
    };
    const [r, e] = (await both((t) => call(t, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', lease))) as {
      code: number;
      body: { message?: string; reason?: string };
    }[];
    expect([r.code, r.body.reason]).toEqual([400, 'BadRequest']);
    // The real message goes on with Go's parse detail and a byte excerpt; the emulator's is its prefix.
    expect({ code: e.code, reason: e.body.reason, prefixOfReal: r.body.message?.startsWith(e.body.message ?? '-') }).toEqual({
      code: 400,
      reason: 'BadRequest',
      prefixOfReal: true,
    });
    const good = { ...lease, metadata: { name: 'micro' }, spec: { ...lease.spec, acquireTime: '2026-12-07T23:39:28.391000Z' } };
    const [r2, e2] = (await both((t) => call(t, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', good))) as {
      code: number;
    }[];
    expect([r2.code, e2.code]).toEqual([201, 201]);
  });
});
