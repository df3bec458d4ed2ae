/**
 * The emulated API server driven by @kubernetes/client-node 1.4, the client the operator uses:
 * FunctionAutoscaler CRUD with CRD defaults and validation, optimistic concurrency (409), status
 * subresource separation, generation, patch formats, and the Status objects of failures.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { FAS, fasBody, startCluster, statusOf, type Cluster } from './sandbox-kube-helpers.js';

const NS = 'openfaas';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
type Obj = { metadata: Record<string, any>; spec: Record<string, any>; status?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('FunctionAutoscalers through CustomObjectsApi', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster();
  });
  afterEach(async () => {
    await c.kube.stop();
  });

  const create = (name: string, spec: Record<string, unknown> = {}): Promise<Obj> =>
    c.custom.createNamespacedCustomObject({ ...FAS, namespace: NS, body: fasBody(name, spec) }) as Promise<Obj>;
  const get = (name: string): Promise<Obj> => c.custom.getNamespacedCustomObject({ ...FAS, namespace: NS, name }) as Promise<Obj>;

  it('creates with the CRD defaults, server-set metadata and generation 1; status on create is dropped', async () => {
    const created = (await c.custom.createNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      body: { ...fasBody('figlet'), status: { replicas: 99 } },
    })) as Obj;
    expect(created.spec).toEqual({
      functionName: 'figlet',
      functionNamespace: 'openfaas-fn',
      maxReplicas: 10,
      intervalSeconds: 30,
      slo: { p95LatencyMs: 300 },
      policy: { name: 'lstm-ppo-plus', fallback: 'hpa' },
      actuator: 'deployment-scale',
      dryRun: false,
    });
    expect(created.status).toBeUndefined();
    expect(created.metadata).toMatchObject({ name: 'figlet', namespace: NS, generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(await get('figlet')).toEqual(created);
  });

  it('rejects an invalid spec with 422 Invalid and one cause per field error', async () => {
    const status = await statusOf(create('bad', { minReplicas: 5, maxReplicas: 3, policy: { name: 'magic' } }));
    expect(status).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        'FunctionAutoscaler.faas-autoscaler.dev "bad" is invalid: [spec.policy.name: Unsupported value: "magic": supported values: "hpa", "keda", "knative", "lstm-ppo", "lstm-ppo-plus", "openfaas-ce", "openfaas-pro", "ppo", "static", spec: Invalid value: "object": minReplicas must be less than or equal to maxReplicas]',
      details: {
        name: 'bad',
        group: 'faas-autoscaler.dev',
        kind: 'FunctionAutoscaler',
        causes: [
          { reason: 'FieldValueNotSupported', field: 'spec.policy.name', message: expect.stringContaining('Unsupported value: "magic"') },
          {
            reason: 'FieldValueInvalid',
            field: 'spec',
            message: 'Invalid value: "object": minReplicas must be less than or equal to maxReplicas',
          },
        ],
      },
    });
  });

  it('answers 409 AlreadyExists, 404 NotFound and 404 for an unknown namespace', async () => {
    await create('figlet');
    expect(await statusOf(create('figlet'))).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'functionautoscalers.faas-autoscaler.dev "figlet" already exists',
    });
    expect(await statusOf(get('nope'))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'functionautoscalers.faas-autoscaler.dev "nope" not found',
      details: { name: 'nope', group: 'faas-autoscaler.dev', kind: 'functionautoscalers' },
    });
    const status = await statusOf(c.custom.createNamespacedCustomObject({ ...FAS, namespace: 'nowhere', body: fasBody('x') }));
    expect(status).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found' });
  });

  it('rejects a stale update with 409 Conflict and requires a resourceVersion for custom resources', async () => {
    const v1 = await create('figlet');
    const v2 = (await c.custom.replaceNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      name: 'figlet',
      body: { ...v1, spec: { ...v1.spec, maxReplicas: 12 } },
    })) as Obj;
    expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
    const stale = await statusOf(
      c.custom.replaceNamespacedCustomObject({
        ...FAS,
        namespace: NS,
        name: 'figlet',
        body: { ...v1, spec: { ...v1.spec, maxReplicas: 15 } },
      }),
    );
    expect(stale).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on functionautoscalers.faas-autoscaler.dev "figlet": the object has been modified; please apply your changes to the latest version and try again',
    });
    const { resourceVersion: _rv, ...metadata } = v2.metadata;
    const unconditional = await statusOf(
      c.custom.replaceNamespacedCustomObject({ ...FAS, namespace: NS, name: 'figlet', body: { ...v2, metadata } }),
    );
    expect(unconditional).toMatchObject({
      code: 422,
      message: expect.stringContaining('metadata.resourceVersion: Invalid value: 0: must be specified for an update'),
    });
    expect((await get('figlet')).spec.maxReplicas).toBe(12);
  });

  it('bumps generation on spec changes only, and not at all for a no-op update', async () => {
    const v1 = await create('figlet');
    const labelled = (await c.custom.patchNamespacedCustomObject(
      { ...FAS, namespace: NS, name: 'figlet', body: { metadata: { labels: { team: 'a' } } } },
      merge,
    )) as Obj;
    expect(labelled.metadata.generation).toBe(1);
    const respec = (await c.custom.patchNamespacedCustomObject(
      { ...FAS, namespace: NS, name: 'figlet', body: { spec: { policy: { name: 'hpa' } } } },
      merge,
    )) as Obj;
    expect(respec.metadata.generation).toBe(2);
    expect(respec.spec.policy).toEqual({ name: 'hpa', fallback: 'hpa' });
    // Writing the same object again stores nothing: same resourceVersion.
    const same = (await c.custom.replaceNamespacedCustomObject({ ...FAS, namespace: NS, name: 'figlet', body: respec })) as Obj;
    expect(same.metadata.resourceVersion).toBe(respec.metadata.resourceVersion);
    expect(v1.metadata.uid).toBe(same.metadata.uid);
  });

  it('keeps spec and status apart: the main resource ignores status, /status ignores everything else', async () => {
    const v1 = await create('figlet');
    const withStatus = (await c.custom.replaceNamespacedCustomObjectStatus({
      ...FAS,
      namespace: NS,
      name: 'figlet',
      body: { ...v1, spec: { ...v1.spec, maxReplicas: 99 }, status: { replicas: 3, desiredReplicas: 4, observedGeneration: 1 } },
    })) as Obj;
    expect(withStatus.status).toEqual({ replicas: 3, desiredReplicas: 4, observedGeneration: 1 });
    expect(withStatus.spec.maxReplicas).toBe(10);
    expect(withStatus.metadata.generation).toBe(1);
    const mainUpdate = (await c.custom.replaceNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      name: 'figlet',
      body: { ...withStatus, spec: { ...withStatus.spec, maxReplicas: 20 }, status: { replicas: 0 } },
    })) as Obj;
    expect(mainUpdate.spec.maxReplicas).toBe(20);
    expect(mainUpdate.status).toEqual({ replicas: 3, desiredReplicas: 4, observedGeneration: 1 });
    const patched = (await c.custom.patchNamespacedCustomObjectStatus(
      {
        ...FAS,
        namespace: NS,
        name: 'figlet',
        body: { status: { desiredReplicas: 6 }, spec: { maxReplicas: 1 } },
      },
      merge,
    )) as Obj;
    expect(patched.status).toEqual({ replicas: 3, desiredReplicas: 6, observedGeneration: 1 });
    expect(patched.spec.maxReplicas).toBe(20);
  });

  it('validates status writes against the schema too', async () => {
    await create('figlet');
    const status = await statusOf(
      c.custom.patchNamespacedCustomObjectStatus(
        {
          ...FAS,
          namespace: NS,
          name: 'figlet',
          body: { status: { activePolicy: 'magic' } },
        },
        merge,
      ),
    );
    expect(status).toMatchObject({ code: 422, message: expect.stringContaining('status.activePolicy: Unsupported value: "magic"') });
  });

  it('applies JSON patches (the client default), refuses strategic merge patches on custom resources (415)', async () => {
    await create('figlet');
    const patched = (await c.custom.patchNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      name: 'figlet',
      body: [
        { op: 'test', path: '/spec/maxReplicas', value: 10 },
        { op: 'replace', path: '/spec/maxReplicas', value: 8 },
      ],
    })) as Obj;
    expect(patched.spec.maxReplicas).toBe(8);
    const failedTest = await statusOf(
      c.custom.patchNamespacedCustomObject({
        ...FAS,
        namespace: NS,
        name: 'figlet',
        body: [{ op: 'test', path: '/spec/maxReplicas', value: 10 }],
      }),
    );
    expect(failedTest).toMatchObject({ code: 422 });
    const strategic = await statusOf(
      c.custom.patchNamespacedCustomObject(
        { ...FAS, namespace: NS, name: 'figlet', body: { spec: { maxReplicas: 7 } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(strategic).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    });
    // A patch naming a stale resourceVersion is a conditional write.
    const conditional = await statusOf(
      c.custom.patchNamespacedCustomObject(
        {
          ...FAS,
          namespace: NS,
          name: 'figlet',
          body: { metadata: { resourceVersion: '1' }, spec: { maxReplicas: 9 } },
        },
        merge,
      ),
    );
    expect(conditional).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('lists with resourceVersion and label/field selectors; rejects unsupported field selectors', async () => {
    await create('a');
    await c.custom.createNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      body: { ...fasBody('b'), metadata: { name: 'b', labels: { tier: 'gold' } } },
    });
    await c.custom.createNamespacedCustomObject({ ...FAS, namespace: 'default', body: fasBody('c') });
    const names = (list: unknown): string[] => (list as { items: Obj[] }).items.map((o) => o.metadata.name);
    const all = (await c.custom.listClusterCustomObject({ ...FAS })) as { metadata: { resourceVersion: string }; items: Obj[] };
    expect(names(all)).toEqual(['c', 'a', 'b']); // by namespace, then name
    expect(all.metadata.resourceVersion).toBe(String(c.kube.store.resourceVersion()));
    expect(names(await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS }))).toEqual(['a', 'b']);
    expect(names(await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS, labelSelector: 'tier=gold' }))).toEqual(['b']);
    expect(names(await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS, labelSelector: '!tier' }))).toEqual(['a']);
    expect(names(await c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS, fieldSelector: 'metadata.name!=a' }))).toEqual(['b']);
    expect(
      await statusOf(c.custom.listNamespacedCustomObject({ ...FAS, namespace: NS, fieldSelector: 'spec.maxReplicas=10' })),
    ).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'field label not supported: spec.maxReplicas',
    });
  });

  it('deletes: returns the object, then 404; a finalizer holds the object until it is removed', async () => {
    await create('a');
    const deleted = (await c.custom.deleteNamespacedCustomObject({ ...FAS, namespace: NS, name: 'a' })) as Obj;
    expect(deleted.metadata.name).toBe('a');
    expect(await statusOf(get('a'))).toMatchObject({ code: 404 });

    await c.custom.createNamespacedCustomObject({
      ...FAS,
      namespace: NS,
      body: { ...fasBody('b'), metadata: { name: 'b', finalizers: ['faas-autoscaler.dev/cleanup'] } },
    });
    const marked = (await c.custom.deleteNamespacedCustomObject({ ...FAS, namespace: NS, name: 'b' })) as Obj;
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.metadata.generation).toBe(2);
    const held = await get('b');
    expect(held.metadata.deletionTimestamp).toBe(marked.metadata.deletionTimestamp);
    await c.custom.patchNamespacedCustomObject({ ...FAS, namespace: NS, name: 'b', body: { metadata: { finalizers: null } } }, merge);
    expect(await statusOf(get('b'))).toMatchObject({ code: 404 });
  });

  it('prunes unknown fields with a warning, or rejects them with fieldValidation=Strict', async () => {
    const created = await create('figlet', { maxReplica: 4 });
    expect(created.spec).not.toHaveProperty('maxReplica');
    const strict = await statusOf(
      c.custom.createNamespacedCustomObject({
        ...FAS,
        namespace: NS,
        body: fasBody('strict', { maxReplica: 4 }),
        fieldValidation: 'Strict',
      }),
    );
    expect(strict).toMatchObject({
      code: 400,
      message:
        'FunctionAutoscaler in version "v1alpha1" cannot be handled as a FunctionAutoscaler: strict decoding error: unknown field "spec.maxReplica"',
    });
  });
});
