/**
 * /readyz tells the truth about leader election: a replica whose Lease requests fail for longer
 * than the lease duration is not ready (it could neither lead nor take over), says why, logs the
 * failure once per change of reason rather than every retry, counts it, and is ready again once
 * the API server answers. The operator runs in-process against the emulated API server, whose
 * fault injector makes every Lease request fail with 500 (what a real server did to milliseconds
 * in Lease times was a 400 every time, with `/readyz` still 200).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startOperator, type RunningOperator } from '../../operator/src/controller/run-operator.js';
import { KubeApiServer } from '../../operator/src/sandbox/kube-api.js';
import { kubeconfigYaml } from '../../operator/src/sandbox/kubeconfig.js';
import { waitFor } from './operator-harness.js';

describe('/readyz and leader election', () => {
  let kube: KubeApiServer;
  let operator: RunningOperator | undefined;
  const lines: { msg: string; err?: string }[] = [];

  beforeAll(async () => {
    kube = new KubeApiServer();
    const server = await kube.start();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done): void {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string });
        done();
      },
    });
    operator = await startOperator({
      prometheusA: { url: 'http://127.0.0.1:9' },
      prometheusB: { url: 'http://127.0.0.1:9' },
      prometheusTimeoutMs: 1000,
      namespaces: [],
      logLevel: 'info',
      kubeconfig: { mode: 'yaml', yaml: kubeconfigYaml({ server }) },
      listen: { host: '127.0.0.1', port: 0 },
      leaderElection: {
        enabled: true,
        namespace: 'default',
        name: 'readyz-test',
        identity: 'op',
        leaseDurationSeconds: 2,
        renewDeadlineSeconds: 1.5,
        retryPeriodSeconds: 0.25,
      },
      apiTimeoutMs: 1000,
      logger: pino({ level: 'info' }, sink),
    });
  });

  afterAll(async () => {
    kube.faults.clear();
    await operator?.stop();
    await kube.stop();
  });

  const readyz = async (): Promise<{ code: number; body: string }> => {
    const res = await fetch(`${operator!.endpoints.url}/readyz`);
    return { code: res.status, body: await res.text() };
  };
  const leaseErrors = async (): Promise<number> => {
    const text = await (await fetch(`${operator!.endpoints.url}/metrics`)).text();
    return [...text.matchAll(/^faas_autoscaler_lease_errors_total\{reason="InternalError"\} (\S+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };

  it('is ready while it can reach its Lease, not ready after a lease duration without, and ready again after', async () => {
    await waitFor(
      'ready as leader',
      async () => ((await readyz()).code === 200 && operator!.elector?.isLeader() ? true : undefined),
      10_000,
    );
    expect((await readyz()).body).toMatch(/leader/);

    kube.faults.failNext(100_000, { resource: 'leases' }, { code: 500 });
    const failedAt = Date.now();
    const notReady = await waitFor(
      '/readyz 503',
      async () => {
        const r = await readyz();
        return r.code === 503 ? r : undefined;
      },
      10_000,
    );
    // Not before the lease duration (2 s) has passed without an answer.
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(1_500);
    expect(notReady.body).toMatch(/no answer for the Lease default\/readyz-test for \d+ s: .*HTTP 500/);
    expect(await leaseErrors()).toBeGreaterThan(3);
    // Many failed rounds, one warning: the reason did not change.
    expect(lines.filter((l) => l.msg === 'leader election: cannot read or write the Lease')).toHaveLength(1);

    kube.faults.clear();
    await waitFor('ready again', async () => ((await readyz()).code === 200 ? true : undefined), 10_000);
    expect(lines.filter((l) => l.msg === 'leader election: the Lease can be read and written again')).toHaveLength(1);
  }, 30_000);
});
