/**
 * ClientNodeCluster over @kubernetes/client-node, against nock: the paths and bodies it sends and
 * how each failure of the API server becomes a KubeApiError the controller can branch on.
 */
import nock from 'nock';
import { createServer } from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ClientNodeCluster, KubeApiError } from '../../../operator/src/controller/kube.js';
import { DeploymentScaleActuator } from '../../../operator/src/actuators/deployment-scale.js';
import { ActuatorError } from '../../../operator/src/actuators/types.js';

const SERVER = 'http://k8s.test:6443';

function client(timeoutMs = 2000, server = SERVER, watchTimeoutSeconds?: number): ClientNodeCluster {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // skipTLSVerify: client-node 1.x refuses plain http otherwise.
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new ClientNodeCluster(kc, { timeoutMs, ...(watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds } : {}) });
}

const status = (code: number, reason: string, message: string): nock.Body => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});
const scale = (replicas: number, rv: string): nock.Body => ({
  apiVersion: 'autoscaling/v1',
  kind: 'Scale',
  metadata: { name: 'echo', namespace: 'openfaas-fn', resourceVersion: rv },
  spec: { replicas },
  status: { replicas },
});
const SCALE_PATH = '/apis/apps/v1/namespaces/openfaas-fn/deployments/echo/scale';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

async function errorOf(p: Promise<unknown>): Promise<KubeApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(KubeApiError);
  return e as KubeApiError;
}

describe('ClientNodeCluster errors', () => {
  // Each row: what the API server answers → status, reason and the predicates the controller uses.
  const rows: Array<{
    name: string;
    reply: (s: nock.Interceptor) => nock.Scope;
    statusCode: number | undefined;
    reason: string;
    conflict: boolean;
    notFound: boolean;
    transient: boolean;
  }> = [
    // A stale write: someone changed the Deployment after we read it.
    {
      name: '409 Conflict',
      reply: (s) => s.reply(409, status(409, 'Conflict', 'the object has been modified')),
      statusCode: 409,
      reason: 'Conflict',
      conflict: true,
      notFound: false,
      transient: false,
    },
    // The function was deleted.
    {
      name: '404 NotFound',
      reply: (s) => s.reply(404, status(404, 'NotFound', 'deployments.apps "echo" not found')),
      statusCode: 404,
      reason: 'NotFound',
      conflict: false,
      notFound: true,
      transient: false,
    },
    // etcd is slow: retry later.
    {
      name: '503',
      reply: (s) => s.reply(503, status(503, 'ServiceUnavailable', 'etcdserver: request timed out')),
      statusCode: 503,
      reason: 'ServiceUnavailable',
      conflict: false,
      notFound: false,
      transient: true,
    },
    // A proxy answering HTML instead of a Status.
    {
      name: '502 HTML',
      reply: (s) => s.reply(502, '<html>bad gateway</html>'),
      statusCode: 502,
      reason: 'HTTP502',
      conflict: false,
      notFound: false,
      transient: true,
    },
    // Throttled by API priority and fairness.
    {
      name: '429',
      reply: (s) => s.reply(429, status(429, 'TooManyRequests', 'slow down')),
      statusCode: 429,
      reason: 'TooManyRequests',
      conflict: false,
      notFound: false,
      transient: true,
    },
    // No answer within the time-out.
    {
      name: 'time-out',
      reply: (s) => s.delay(1000).reply(200, scale(1, '1')),
      statusCode: undefined,
      reason: 'Timeout',
      conflict: false,
      notFound: false,
      transient: true,
    },
  ];
  it.each(rows)('readScale: $name', async ({ name: _name, reply, ...want }) => {
    reply(nock(SERVER).get(SCALE_PATH));
    const err = await errorOf(client(200).readScale('openfaas-fn', 'echo'));
    expect({
      statusCode: err.statusCode,
      reason: err.reason,
      conflict: err.conflict,
      notFound: err.notFound,
      transient: err.transient,
    }).toEqual(want);
  });
});

describe('ClientNodeCluster transport', () => {
  it('maps a refused connection (a real closed port) to a transient error without status', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    nock.enableNetConnect('127.0.0.1');
    const err = await errorOf(client(2000, `http://127.0.0.1:${port}`).readScale('openfaas-fn', 'echo'));
    nock.disableNetConnect();
    expect({ statusCode: err.statusCode, reason: err.reason, transient: err.transient }).toEqual({
      statusCode: undefined,
      reason: 'ECONNREFUSED',
      transient: true,
    });
  });
});

describe('ClientNodeCluster time-outs', () => {
  it('aborts a request that times out: the server sees its connection closed, not left open', async () => {
    let closed = false;
    // A real server that takes the request and never answers.
    const srv = createServer((req) => req.socket.once('close', () => (closed = true)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    nock.enableNetConnect('127.0.0.1');
    try {
      const err = await errorOf(client(200, `http://127.0.0.1:${port}`).readScale('openfaas-fn', 'echo'));
      expect(err.reason).toBe('Timeout');
      for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(closed).toBe(true);
    } finally {
      nock.disableNetConnect();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});

describe('ClientNodeCluster requests', () => {
  it('replaces /scale with the resourceVersion it read and the bearer token', async () => {
    let body: Record<string, unknown> | undefined;
    let auth: string | undefined;
    nock(SERVER)
      .put(SCALE_PATH, (b: Record<string, unknown>) => ((body = b), true))
      .reply(function reply() {
        auth = this.req.headers.authorization as string;
        return [200, scale(3, '43')];
      });
    const got = await client().replaceScale('openfaas-fn', 'echo', 3, '42');
    expect(got).toEqual({ replicas: 3, statusReplicas: 3, resourceVersion: '43' });
    expect(body).toMatchObject({ kind: 'Scale', metadata: { resourceVersion: '42' }, spec: { replicas: 3 } });
    expect(auth).toBe('Bearer secret-token');
  });

  it('writes status as a JSON merge patch to the /status subresource, without a resourceVersion', async () => {
    let body: unknown;
    let contentType: string | undefined;
    nock(SERVER)
      .patch('/apis/faas-autoscaler.dev/v1alpha1/namespaces/team/functionautoscalers/echo/status', (b: unknown) => ((body = b), true))
      .reply(function (_uri, b) {
        contentType = this.req.headers['content-type'] as string;
        return [200, { metadata: { name: 'echo', namespace: 'team', resourceVersion: '8' }, ...(b as object) }];
      });
    const stored = await client().patchAutoscalerStatus('team', 'echo', {
      status: { desiredReplicas: 2, lastDecision: { rawDesiredReplicas: null } },
    });
    expect({ rv: stored.metadata.resourceVersion, body, contentType }).toEqual({
      rv: '8',
      body: { status: { desiredReplicas: 2, lastDecision: { rawDesiredReplicas: null } } },
      contentType: 'application/merge-patch+json',
    });
  });

  it('sends Lease times as MicroTime, with six fractional digits (the server refuses three)', async () => {
    let sent: { spec?: { acquireTime?: string; renewTime?: string } } | undefined;
    nock(SERVER)
      .post('/apis/coordination.k8s.io/v1/namespaces/fa/leases', (b: typeof sent) => ((sent = b), true))
      .reply(201, (_uri: string, b: nock.Body) => ({
        ...(b as object),
        metadata: { name: 'leader', namespace: 'fa', resourceVersion: '1' },
      }));
    const at = new Date(Date.UTC(2026, 11, 7, 23, 39, 28, 391));
    const stored = await client().createLease('fa', 'leader', {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 0,
    });
    expect(sent?.spec).toMatchObject({ acquireTime: '2026-12-07T23:39:28.391000Z', renewTime: '2026-12-07T23:39:28.391000Z' });
    expect(stored.renewTime?.getTime()).toBe(at.getTime());
  });

  it('reads a missing Lease as null, not an error', async () => {
    nock(SERVER)
      .get('/apis/coordination.k8s.io/v1/namespaces/fa/leases/leader')
      .reply(404, status(404, 'NotFound', 'not found'));
    expect(await client().readLease('fa', 'leader')).toBeNull();
  });

  it('aborts a watch that stays silent (no event, no bookmark) for twice its time-out, as an error', async () => {
    // The server accepts the watch and then says nothing, as a connection that died without a reset.
    nock(SERVER)
      .get('/apis/faas-autoscaler.dev/v1alpha1/functionautoscalers')
      .query({ watch: 'true', resourceVersion: '7', allowWatchBookmarks: 'true', timeoutSeconds: '1' })
      .reply(200, () => new PassThrough());
    const cluster = client(2000, SERVER, 0.25);
    const done = await new Promise<KubeApiError | undefined>((resolve) => {
      void cluster.watchAutoscalers(undefined, '7', { onEvent: () => undefined, onDone: resolve });
    });
    expect(done).toBeInstanceOf(KubeApiError);
    expect(done?.message).toMatch(/no event or bookmark for 0\.5 s/);
  });

  it('reports 410 Gone from a watch request to onDone, and ERROR events in the stream to onEvent', async () => {
    nock(SERVER)
      .get('/apis/faas-autoscaler.dev/v1alpha1/functionautoscalers')
      .query({ watch: 'true', resourceVersion: '5', allowWatchBookmarks: 'true', timeoutSeconds: '300' })
      .reply(410, status(410, 'Expired', 'too old'));
    const done = await new Promise<KubeApiError | undefined>((resolve) => {
      void client().watchAutoscalers(undefined, '5', { onEvent: () => undefined, onDone: resolve });
    });
    expect({ gone: done?.gone }).toEqual({ gone: true });

    const line = JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') });
    nock(SERVER).get('/apis/faas-autoscaler.dev/v1alpha1/namespaces/team/functionautoscalers').query(true).reply(200, `${line}\n`);
    const events: Array<[string, unknown]> = [];
    await new Promise<void>((resolve) => {
      void client().watchAutoscalers('team', '9', {
        onEvent: (t, o) => events.push([t, (o as { code?: number }).code]),
        onDone: () => resolve(),
      });
    });
    expect(events).toEqual([['ERROR', 410]]);
  });
});

describe('DeploymentScaleActuator over client-node', () => {
  it('retries a stale write (409): reads the scale again and rewrites with the new resourceVersion', async () => {
    const sentRvs: string[] = [];
    nock(SERVER)
      .get(SCALE_PATH)
      .reply(200, scale(1, '10'))
      .put(SCALE_PATH, (b: { metadata: { resourceVersion: string } }) => (sentRvs.push(b.metadata.resourceVersion), true))
      .reply(409, status(409, 'Conflict', 'modified'))
      .get(SCALE_PATH)
      .reply(200, scale(2, '11'))
      .put(SCALE_PATH, (b: { metadata: { resourceVersion: string } }) => (sentRvs.push(b.metadata.resourceVersion), true))
      .reply(200, scale(4, '12'));
    const got = await new DeploymentScaleActuator(client()).scale({ name: 'echo', namespace: 'openfaas-fn' }, 4);
    expect({ got, sentRvs }).toEqual({ got: { replicas: 4, attempts: 2 }, sentRvs: ['10', '11'] });
  });

  it('never overwrites a count someone else set since the decision: no write, a conflict naming both counts', async () => {
    // The decision was made from 1; the Deployment now asks for 6 (an HPA, a person).
    nock(SERVER).get(SCALE_PATH).reply(200, scale(6, '20'));
    const err = (await new DeploymentScaleActuator(client())
      .scale({ name: 'echo', namespace: 'openfaas-fn', decidedFrom: 1 }, 4)
      .catch((e: unknown) => e)) as ActuatorError;
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'conflict',
      message:
        'deployment openfaas-fn/echo: replicas changed from 1 to 6 by someone else since the decision; not overwriting it, deciding again from 6',
    });
    expect(nock.isDone()).toBe(true); // no PUT was made (nock would refuse an unplanned one)
  });

  it('after a 409, writes again only while the count is still the one decided from', async () => {
    nock(SERVER)
      .get(SCALE_PATH)
      .reply(200, scale(1, '10'))
      .put(SCALE_PATH)
      .reply(409, status(409, 'Conflict', 'modified'))
      .get(SCALE_PATH)
      .reply(200, scale(3, '11'));
    const err = (await new DeploymentScaleActuator(client())
      .scale({ name: 'echo', namespace: 'openfaas-fn', decidedFrom: 1 }, 4)
      .catch((e: unknown) => e)) as ActuatorError;
    expect(err.kind).toBe('conflict');
    expect(err.message).toMatch(/replicas changed from 1 to 3/);
    expect(nock.isDone()).toBe(true);
  });

  it('gives up after 3 conflicts with a conflict error, and maps 404 to not-found', async () => {
    const scope = nock(SERVER);
    for (let i = 0; i < 3; i++)
      scope
        .get(SCALE_PATH)
        .reply(200, scale(1, String(i)))
        .put(SCALE_PATH)
        .reply(409, status(409, 'Conflict', 'modified'));
    const a = new DeploymentScaleActuator(client());
    const e1 = await a.scale({ name: 'echo', namespace: 'openfaas-fn' }, 4).catch((e: unknown) => e);
    nock(SERVER)
      .get(SCALE_PATH)
      .reply(404, status(404, 'NotFound', 'not found'));
    const e2 = await a.scale({ name: 'echo', namespace: 'openfaas-fn' }, 4).catch((e: unknown) => e);
    expect([(e1 as ActuatorError).kind, (e2 as ActuatorError).kind]).toEqual(['conflict', 'not-found']);
  });
});
