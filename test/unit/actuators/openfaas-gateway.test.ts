/** The gateway actuator against nock: the request faas-netes expects, CE's refusal of 0, errors. */
import nock from 'nock';
import { OpenFaasGatewayActuator } from '../../../operator/src/actuators/openfaas-gateway.js';
import { ActuatorError } from '../../../operator/src/actuators/types.js';

const GW = 'http://gateway.test:8080';

afterEach(() => nock.cleanAll());
afterAll(() => nock.restore());

describe('OpenFaasGatewayActuator', () => {
  it('POSTs /system/scale-function/{name}?namespace= with basic auth and the faas-netes body', async () => {
    let body: unknown;
    let auth: string | undefined;
    nock(GW)
      .post('/system/scale-function/echo', (b: unknown) => ((body = b), true))
      .query({ namespace: 'openfaas-fn' })
      .reply(function reply() {
        auth = this.req.headers.authorization as string;
        return [202, ''];
      });
    const a = new OpenFaasGatewayActuator({ url: `${GW}/`, username: 'admin', password: 's3cret' });
    const got = await a.scale({ name: 'echo', namespace: 'openfaas-fn' }, 3);
    expect({ got, body, auth }).toEqual({
      got: { replicas: 3, attempts: 1, adjustedReason: undefined },
      body: { serviceName: 'echo', replicas: 3, namespace: 'openfaas-fn' },
      auth: `Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
    });
  });

  it('sends 1 instead of 0 to OpenFaaS CE and says so', async () => {
    let body: { replicas?: number } = {};
    nock(GW)
      .post('/system/scale-function/echo', (b: { replicas: number }) => ((body = b), true))
      .query(true)
      .reply(202);
    const got = await new OpenFaasGatewayActuator({ url: GW }).scale({ name: 'echo', namespace: 'openfaas-fn' }, 0);
    expect({ sent: body.replicas, got: got.replicas, why: got.adjustedReason }).toEqual({
      sent: 1,
      got: 1,
      why: 'OpenFaaS CE rejects 0 replicas; sent 1',
    });
  });

  // Each row: the gateway's answer → the error kind the controller branches on.
  it.each([
    { status: 404, kind: 'not-found' }, // function not deployed
    { status: 401, kind: 'rejected' }, // wrong basic-auth password
    { status: 500, kind: 'transient' }, // faas-netes could not reach the API server
  ])('HTTP $status → $kind', async ({ status, kind }) => {
    nock(GW).post('/system/scale-function/echo').query(true).reply(status, 'nope');
    const err = await new OpenFaasGatewayActuator({ url: GW })
      .scale({ name: 'echo', namespace: 'openfaas-fn' }, 2)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActuatorError);
    expect((err as ActuatorError).kind).toBe(kind);
  });
});
