/**
 * Deployments with the /scale subresource and readiness that follows pod start-up (on a scripted
 * clock), Leases for leader election, core Events, discovery, tokens and the audit log — driven
 * by @kubernetes/client-node like the operator drives a cluster.
 */
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { ManualClock } from '#kernel/clock.js';
import { ceClampedReplicas } from '../../operator/src/sandbox/function-deployments.js';
import { deploymentBody, startCluster, statusOf, type Cluster } from './sandbox-kube-helpers.js';

const NS = 'openfaas-fn';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

describe('OpenFaaS CE: faas-netes clamps function Deployments (sandbox --ce)', () => {
  it("rewrites spec.replicas 0 → 1 and > 5 → 5 on function Deployments only, as CE's Deployment informer does", async () => {
    const c = await startCluster({ clampReplicas: ceClampedReplicas });
    try {
      // deploymentBody labels it faas_function=<name>, as faas-netes does.
      await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 1) });
      const other = {
        metadata: { name: 'not-a-function', labels: { app: 'x' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'x' } },
          template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } },
        },
      };
      await c.apps.createNamespacedDeployment({ namespace: NS, body: other });
      const rows: Array<[string, number, number | undefined]> = [];
      for (const [name, want] of [
        ['figlet', 8],
        ['figlet', 0],
        ['figlet', 3],
        ['not-a-function', 8],
      ] as const) {
        await c.apps.patchNamespacedDeploymentScale({ name, namespace: NS, body: { spec: { replicas: want } } }, merge);
        rows.push([name, want, (await c.apps.readNamespacedDeployment({ name, namespace: NS })).spec?.replicas]);
      }
      expect(rows).toEqual([
        ['figlet', 8, 5],
        ['figlet', 0, 1],
        ['figlet', 3, 3],
        ['not-a-function', 8, 8],
      ]);
    } finally {
      await c.kube.stop();
    }
  });
});

describe('Deployments, /scale and readiness', () => {
  let c: Cluster;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 0, 1));
    c = await startCluster({ clock, readyDelayMs: 2000 });
  });
  afterEach(async () => {
    await c.kube.stop();
  });
  const read = (name: string): Promise<V1Deployment> => c.apps.readNamespacedDeployment({ name, namespace: NS });

  it('creates a Deployment whose status follows spec.replicas at once and readiness after the start-up delay', async () => {
    const created = await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 2) });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate'); // defaulted
    // The controller wrote status right after the create; zero counts are left out (omitempty).
    const starting = await read('figlet');
    expect(starting.status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    expect(starting.status?.readyReplicas).toBeUndefined();
    clock.advanceSync(1999);
    expect((await read('figlet')).status?.readyReplicas).toBeUndefined();
    clock.advanceSync(1);
    const ready = await read('figlet');
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(ready.status?.unavailableReplicas).toBeUndefined();
    expect(ready.status?.conditions?.[0]).toMatchObject({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' });
  });

  it('reads and replaces /scale: generation bumps, new pods start unready, stale scale writes get 409', async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 1) });
    clock.advanceSync(2000);
    const scale = await c.apps.readNamespacedDeploymentScale({ name: 'figlet', namespace: NS });
    expect({ spec: scale.spec, status: scale.status, apiVersion: scale.apiVersion, kind: scale.kind }).toEqual({
      spec: { replicas: 1 },
      status: { replicas: 1, selector: 'faas_function=figlet' },
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
    });
    const scaled = await c.apps.replaceNamespacedDeploymentScale({
      name: 'figlet',
      namespace: NS,
      body: { ...scale, spec: { replicas: 4 } },
    });
    expect(scaled.spec?.replicas).toBe(4);
    const d = await read('figlet');
    expect(d.metadata?.generation).toBe(2);
    expect(d.status).toMatchObject({ observedGeneration: 2, replicas: 4, readyReplicas: 1 });
    // 1 ready of 4 is below 75%: not available.
    expect(d.status?.conditions?.[0]).toMatchObject({ type: 'Available', status: 'False' });
    clock.advanceSync(2000);
    expect((await read('figlet')).status?.readyReplicas).toBe(4);
    const stale = await statusOf(
      c.apps.replaceNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { ...scale, spec: { replicas: 2 } } }),
    );
    expect(stale).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('deployments.apps "figlet": the object has been modified'),
    });
  });

  it('patches /scale (merge and strategic), rejects negative replicas, scales to zero with omitted counts', async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 3) });
    clock.advanceSync(2000);
    const down = await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 1 } } }, merge);
    expect(down.spec?.replicas).toBe(1);
    const up = await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 2 } } }, strategic);
    expect(up.spec?.replicas).toBe(2);
    expect(
      await statusOf(c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: -1 } } }, merge)),
    ).toMatchObject({
      code: 422,
      message: 'Scale.autoscaling "figlet" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    });
    await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 0 } } }, merge);
    const zero = await read('figlet');
    expect(zero.spec?.replicas).toBe(0);
    expect(zero.status?.replicas).toBeUndefined();
    expect(zero.status?.readyReplicas).toBeUndefined();
  });

  it('scales down unready pods first', async () => {
    await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 2) });
    clock.advanceSync(2000);
    await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 5 } } }, merge);
    await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 3 } } }, merge);
    // 2 ready + 1 of the 3 new ones (still starting) remain.
    expect((await read('figlet')).status).toMatchObject({ replicas: 3, readyReplicas: 2 });
    clock.advanceSync(2000);
    expect((await read('figlet')).status).toMatchObject({ replicas: 3, readyReplicas: 3 });
  });

  it('merges containers by name in a strategic merge patch and keeps status out of main updates', async () => {
    const body = deploymentBody('figlet', 1) as { spec: { template: { spec: { containers: unknown[] } } } };
    body.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
    await c.apps.createNamespacedDeployment({ namespace: NS, body: body as V1Deployment });
    const patched = await c.apps.patchNamespacedDeployment(
      { name: 'figlet', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'figlet', image: 'figlet:2' }] } } } } },
      strategic,
    );
    expect(patched.spec?.template.spec?.containers.map((x) => `${x.name}=${x.image}`)).toEqual(['figlet=figlet:2', 'sidecar=busybox']);
    expect(patched.metadata?.generation).toBe(2);
    // The controller has since written status (observedGeneration 2): the patch response is stale.
    expect(await statusOf(c.apps.replaceNamespacedDeployment({ name: 'figlet', namespace: NS, body: patched }))).toMatchObject({
      code: 409,
    });
    const fresh = await read('figlet');
    const replaced = await c.apps.replaceNamespacedDeployment({
      name: 'figlet',
      namespace: NS,
      body: { ...fresh, status: { replicas: 42 } },
    });
    expect(replaced.status?.replicas).toBe(1);
  });

  it('validates Deployments like the apps/v1 strategy', async () => {
    const body = deploymentBody('bad', 1) as { spec: Record<string, unknown> };
    delete body.spec.selector;
    expect(await statusOf(c.apps.createNamespacedDeployment({ namespace: NS, body: body as unknown as V1Deployment }))).toMatchObject({
      code: 422,
      message: 'Deployment.apps "bad" is invalid: spec.selector: Required value',
    });
  });
});

describe('Leases for leader election', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster();
  });
  afterEach(async () => {
    await c.kube.stop();
  });

  it('lets exactly one of two candidates take a lease with a conditional update', async () => {
    const lease = await c.coordination.createNamespacedLease({
      namespace: 'openfaas',
      // MicroTime on the wire: six fractional digits (client-node would send a Date with three).
      body: {
        metadata: { name: 'faas-autoscaler' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '1970-01-01T00:00:00.000000Z' as unknown as Date },
      },
    });
    // Both candidates read the same version and try to take over.
    const takeover = (who: string): Promise<unknown> =>
      c.coordination.replaceNamespacedLease({
        name: 'faas-autoscaler',
        namespace: 'openfaas',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: who, leaseTransitions: 1 } },
      });
    await takeover('b');
    expect(await statusOf(takeover('c'))).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: expect.stringContaining('leases.coordination.k8s.io "faas-autoscaler"'),
    });
    const now = await c.coordination.readNamespacedLease({ name: 'faas-autoscaler', namespace: 'openfaas' });
    expect(now.spec?.holderIdentity).toBe('b');
    expect(new Date(now.spec!.renewTime!).getTime()).toBe(0);
    expect(
      await statusOf(
        c.coordination.createNamespacedLease({
          namespace: 'openfaas',
          body: { metadata: { name: 'x' }, spec: { leaseDurationSeconds: 0 } },
        }),
      ),
    ).toMatchObject({
      code: 422,
      message: 'Lease.coordination.k8s.io "x" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    });
  });

  // The real server decodes MicroTime with exactly six fractional digits: a JavaScript Date, which
  // client-node serializes with toISOString() (three), is a 400 before any validation.
  it.each([
    [
      'a Date (toISOString: milliseconds)',
      new Date(Date.UTC(2026, 11, 7, 0, 50, 24, 123)),
      'parsing time "2026-12-07T00:50:24.123Z" as "2006-01-02T15:04:05.000000Z07:00"',
    ],
    ['seconds only', '2026-12-07T00:50:24Z', 'parsing time "2026-12-07T00:50:24Z" as "2006-01-02T15:04:05.000000Z07:00"'],
    [
      'nine digits',
      '2026-12-07T00:50:24.123456789Z',
      'parsing time "2026-12-07T00:50:24.123456789Z" as "2006-01-02T15:04:05.000000Z07:00"',
    ],
  ])('refuses a Lease whose acquireTime is %s, as the real server does', async (_what, acquireTime, want) => {
    const got = await statusOf(
      c.coordination.createNamespacedLease({
        namespace: 'openfaas',
        body: { metadata: { name: 'bad-time' }, spec: { holderIdentity: 'a', acquireTime: acquireTime as Date } },
      }),
    );
    expect(got).toMatchObject({ code: 400, reason: 'BadRequest', message: expect.stringContaining(want) });
    expect(got).toMatchObject({
      message: expect.stringMatching(
        /^Lease in version "v1" cannot be handled as a Lease: v1\.Lease\.Spec: v1\.LeaseSpec\.AcquireTime: unmarshalerDecoder: /,
      ),
    });
  });

  it('accepts six fractional digits with a numeric zone offset', async () => {
    const lease = await c.coordination.createNamespacedLease({
      namespace: 'openfaas',
      body: { metadata: { name: 'good-time' }, spec: { renewTime: '2026-12-07T01:50:24.123456+01:00' as unknown as Date } },
    });
    expect(new Date(lease.spec!.renewTime!).getTime()).toBe(Date.UTC(2026, 11, 7, 0, 50, 24, 123));
  });
});

describe('core Events', () => {
  let c: Cluster;
  beforeEach(async () => {
    c = await startCluster();
  });
  afterEach(async () => {
    await c.kube.stop();
  });

  it('creates, lists by involved object, and patches the count of an event', async () => {
    const involvedObject = {
      apiVersion: 'faas-autoscaler.dev/v1alpha1',
      kind: 'FunctionAutoscaler',
      name: 'figlet',
      namespace: 'openfaas',
    };
    const ev = await c.core.createNamespacedEvent({
      namespace: 'openfaas',
      body: {
        metadata: { generateName: 'figlet.' },
        involvedObject,
        reason: 'PolicySwitched',
        message: 'hpa → lstm-ppo-plus',
        type: 'Normal',
        count: 1,
        source: { component: 'faas-autoscaler' },
      },
    });
    expect(ev.metadata?.name).toMatch(/^figlet\.[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await c.core.createNamespacedEvent({
      namespace: 'openfaas',
      body: {
        metadata: { name: 'other.1' },
        involvedObject: { ...involvedObject, name: 'other' },
        reason: 'Scaled',
        message: 'x',
        type: 'Normal',
      },
    });
    const list = await c.core.listNamespacedEvent({
      namespace: 'openfaas',
      fieldSelector: 'involvedObject.name=figlet,reason=PolicySwitched',
    });
    expect(list.items.map((e) => e.metadata?.name)).toEqual([ev.metadata?.name]);
    const bumped = await c.core.patchNamespacedEvent({ name: ev.metadata!.name!, namespace: 'openfaas', body: { count: 2 } }, merge);
    expect(bumped.count).toBe(2);
    expect(
      await statusOf(
        c.core.createNamespacedEvent({
          namespace: 'openfaas',
          body: { metadata: { name: 'wrong' }, involvedObject: { ...involvedObject, namespace: 'default' } },
        }),
      ),
    ).toMatchObject({
      code: 422,
      message: 'Event "wrong" is invalid: involvedObject.namespace: Invalid value: "default": does not match event.namespace',
    });
  });
});

describe('discovery, CRDs, tokens and the audit log', () => {
  it('serves discovery documents for every group, with the scale subresource of Deployments', async () => {
    const c = await startCluster();
    try {
      const get = async (path: string): Promise<any> => (await fetch(c.kube.url + path)).json(); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect((await get('/api')).versions).toEqual(['v1']);
      expect((await get('/apis')).groups.map((g: { name: string }) => g.name)).toEqual([
        'apps',
        'coordination.k8s.io',
        'apiextensions.k8s.io',
        'faas-autoscaler.dev',
      ]);
      const apps = await get('/apis/apps/v1');
      expect(apps.resources.find((r: { name: string }) => r.name === 'deployments/scale')).toEqual({
        name: 'deployments/scale',
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
      const fas = await get('/apis/faas-autoscaler.dev/v1alpha1');
      expect(fas.resources[0]).toMatchObject({
        name: 'functionautoscalers',
        shortNames: ['fas'],
        kind: 'FunctionAutoscaler',
        namespaced: true,
      });
      expect(fas.resources[1]).toMatchObject({ name: 'functionautoscalers/status' });
      expect((await get('/version')).gitVersion).toMatch(/^v1\.32\./);
      expect((await fetch(c.kube.url + '/apis/nope/v1')).status).toBe(404);
    } finally {
      await c.kube.stop();
    }
  });

  it('serves a CRD created through the API, and stops serving it when it is deleted', async () => {
    const c = await startCluster();
    try {
      const ext = c.kc.makeApiClient(ApiextensionsV1Api);
      await ext.createCustomResourceDefinition({
        body: {
          metadata: { name: 'widgets.example.com' },
          spec: {
            group: 'example.com',
            scope: 'Namespaced',
            names: { kind: 'Widget', plural: 'widgets' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: { spec: { type: 'object', properties: { size: { type: 'integer', _default: 3 } } } },
                  },
                },
              },
            ],
          },
        },
      });
      const crd = await ext.readCustomResourceDefinition({ name: 'widgets.example.com' });
      expect(crd.status?.conditions?.map((x) => `${x.type}=${x.status}`)).toEqual(['NamesAccepted=True', 'Established=True']);
      const w = await c.custom.createNamespacedCustomObject({
        group: 'example.com',
        version: 'v1',
        plural: 'widgets',
        namespace: 'default',
        body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} },
      });
      expect((w as { spec: unknown }).spec).toEqual({ size: 3 });
      await ext.deleteCustomResourceDefinition({ name: 'widgets.example.com' });
      expect(
        await statusOf(
          c.custom.getNamespacedCustomObject({ group: 'example.com', version: 'v1', plural: 'widgets', namespace: 'default', name: 'w' }),
        ),
      ).toMatchObject({ code: 404 });
    } finally {
      await c.kube.stop();
    }
  });

  it('checks bearer tokens when told to, and records every call in RBAC terms', async () => {
    const c = await startCluster({ tokens: { 'sandbox-token': 'system:serviceaccount:openfaas:faas-autoscaler' } });
    try {
      await c.apps.createNamespacedDeployment({ namespace: NS, body: deploymentBody('figlet', 1) });
      await c.apps.readNamespacedDeploymentScale({ name: 'figlet', namespace: NS });
      await c.apps.patchNamespacedDeploymentScale({ name: 'figlet', namespace: NS, body: { spec: { replicas: 2 } } }, merge);
      await c.custom.listClusterCustomObject({ group: 'faas-autoscaler.dev', version: 'v1alpha1', plural: 'functionautoscalers' });
      const log = c.kube.getAuditLog().map(({ verb, apiGroup, resource, subresource, namespace, user, code }) => ({
        verb,
        apiGroup,
        resource,
        subresource,
        namespace,
        user,
        code,
      }));
      const sa = 'system:serviceaccount:openfaas:faas-autoscaler';
      expect(log).toEqual([
        { verb: 'create', apiGroup: 'apps', resource: 'deployments', subresource: undefined, namespace: NS, user: sa, code: 201 },
        { verb: 'get', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: NS, user: sa, code: 200 },
        { verb: 'patch', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: NS, user: sa, code: 200 },
        {
          verb: 'list',
          apiGroup: 'faas-autoscaler.dev',
          resource: 'functionautoscalers',
          subresource: undefined,
          namespace: undefined,
          user: sa,
          code: 200,
        },
      ]);
      const res = await fetch(`${c.kube.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer wrong' } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    } finally {
      await c.kube.stop();
    }
  });
});
