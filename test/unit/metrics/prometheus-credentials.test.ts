/**
 * A Prometheus URL with user:password@ (as people paste them): the credentials are sent as basic
 * auth and appear in no message, against a real local HTTP server and a closed port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusError, PrometheusSource } from '../../../operator/src/metrics/prometheus.js';

const SECRET = 's3cr3t-Pa55';
let server: Server;
let port: number;
const seen: Array<string | undefined> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'x' }, value: [1, '3'] }] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('sends user:password@ of the URL as basic auth', async () => {
  const prom = new PrometheusSource({ name: 'prometheus-a', url: `http://reader:${SECRET}@127.0.0.1:${port}` });
  expect(await prom.query('up', 0)).toEqual([{ labels: { job: 'x' }, value: 3 }]);
  expect(seen.at(-1)).toBe(`Basic ${Buffer.from(`reader:${SECRET}`).toString('base64')}`);
});

it('names the endpoint without the credentials when it cannot be reached', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const prom = new PrometheusSource({
    name: 'prometheus-a',
    url: `http://reader:${SECRET}@127.0.0.1:${closedPort}/prefix`,
    timeoutMs: 2000,
  });
  const err = await prom.query('up', 0).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PrometheusError);
  expect((err as Error).message).toContain(`cannot reach http://127.0.0.1:${closedPort}/prefix/api/v1/query`);
  expect(String((err as Error).message)).not.toContain(SECRET);
  expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(SECRET);
});
