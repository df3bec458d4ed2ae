/**
 * A password planted in the Prometheus URL, with that Prometheus unreachable: the operator's
 * status, Events and logs say what failed, and none of them holds the password.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { PrometheusSource } from '../../../operator/src/metrics/prometheus.js';
import { fas, harness, NS, started } from './controller-harness.js';

const SECRET = 'pl4nted-S3cret';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('status, Events and logs name the failing Prometheus without the password', async () => {
  const port = await closedPort();
  const logs: string[] = [];
  const prom = new PrometheusSource({ name: 'prometheus-a', url: `http://reader:${SECRET}@127.0.0.1:${port}`, timeoutMs: 2000 });
  const h = await harness({
    gateway: prom,
    cadvisor: prom,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
  });
  h.cluster.putDeployment(NS, 'echo', 2);
  h.cluster.putAutoscaler(fas('echo', {}));
  await started(h);
  await h.controller.stop();

  const status = JSON.stringify(h.status('echo'));
  const events = JSON.stringify(h.cluster.events);
  expect(h.condition('echo', 'MetricsAvailable')).toMatchObject({
    status: 'False',
    reason: 'PrometheusUnavailable',
    message: expect.stringContaining(`cannot reach http://127.0.0.1:${port}/api/v1/query`),
  });
  expect(events).toContain('PrometheusUnavailable');
  expect(logs.join('\n')).toContain(`127.0.0.1:${port}`);
  for (const [where, text] of [
    ['status', status],
    ['Events', events],
    ['logs', logs.join('\n')],
  ] as const) {
    expect({ where, leaked: text.includes(SECRET) }).toEqual({ where, leaked: false });
  }
});
