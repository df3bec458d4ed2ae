/** PrometheusSource against nock: every failure mode becomes a PrometheusError of a named kind. */
import nock from 'nock';
import { PrometheusError, PrometheusSource, parsePromFloat } from '../../../operator/src/metrics/prometheus.js';

const BASE = 'http://prom.test:9090';

afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.restore();
});

function vector(result: unknown[]): nock.Body {
  return { status: 'success', data: { resultType: 'vector', result } };
}

describe('PrometheusSource.query', () => {
  it('POSTs the query and time, sends basic auth, and parses NaN / +Inf / numbers', async () => {
    let seenBody = '';
    let seenAuth: string | undefined;
    nock(BASE)
      .post('/api/v1/query', (body: unknown) => {
        seenBody = new URLSearchParams(body as Record<string, string>).toString();
        return true;
      })
      .reply(function reply() {
        seenAuth = this.req.headers.authorization as string | undefined;
        return [
          200,
          vector([
            { metric: { function_name: 'a.openfaas-fn' }, value: [1, '1.5'] },
            { metric: { function_name: 'b.openfaas-fn' }, value: [1, 'NaN'] },
            { metric: { function_name: 'c.openfaas-fn' }, value: [1, '+Inf'] },
          ]),
        ];
      });
    const src = new PrometheusSource({ name: 'prometheus-a', url: `${BASE}/`, auth: { type: 'basic', username: 'u', password: 'p' } });
    const got = await src.query('up', 1_700_000_000_500);
    expect(new URLSearchParams(seenBody).get('query')).toBe('up');
    expect(new URLSearchParams(seenBody).get('time')).toBe('1700000000.500');
    expect(seenAuth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(got.map((s) => s.value)).toEqual([1.5, Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it('sends a bearer token when configured, and keeps a path prefix of the URL', async () => {
    let auth: string | undefined;
    nock(BASE)
      .post('/prom/api/v1/query')
      .reply(function reply() {
        auth = this.req.headers.authorization as string | undefined;
        return [200, vector([])];
      });
    await new PrometheusSource({ name: 'prometheus-b', url: `${BASE}/prom`, auth: { type: 'bearer', token: 't0k' } }).query('up', 0);
    expect(auth).toBe('Bearer t0k');
  });

  // Each row: what Prometheus (or the network) does → the kind of error we expect.
  const failures: Array<{ name: string; setup: (scope: nock.Interceptor) => void; kind: string }> = [
    // Prometheus restarting behind a proxy.
    { name: '503', setup: (i) => i.reply(503, 'upstream unavailable'), kind: 'server' },
    // A PromQL bug of ours: Prometheus answers 400 bad_data.
    { name: '400 bad_data', setup: (i) => i.reply(400, { status: 'error', errorType: 'bad_data', error: 'parse error' }), kind: 'query' },
    // Something that is not Prometheus answers on the port.
    { name: 'HTML page', setup: (i) => i.reply(200, '<html>login</html>'), kind: 'bad-response' },
    // A range query result where an instant vector is expected.
    { name: 'matrix', setup: (i) => i.reply(200, { status: 'success', data: { resultType: 'matrix', result: [] } }), kind: 'bad-response' },
    // A sample whose value is not a float.
    { name: 'bad sample', setup: (i) => i.reply(200, vector([{ metric: {}, value: [1, 'abc'] }])), kind: 'bad-response' },
    // Connection refused.
    { name: 'refused', setup: (i) => i.replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }), kind: 'unreachable' },
    // No answer in time.
    { name: 'time-out', setup: (i) => i.delay(500).reply(200, vector([])), kind: 'timeout' },
  ];
  it.each(failures)('$name → PrometheusError($kind)', async ({ setup, kind }) => {
    setup(nock(BASE).post('/api/v1/query'));
    const src = new PrometheusSource({ name: 'prometheus-b', url: BASE, timeoutMs: 100 });
    const err = await src.query('up', 0).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PrometheusError);
    expect({ kind: (err as PrometheusError).kind, prefix: (err as Error).message.startsWith('prometheus-b: ') }).toEqual({
      kind,
      prefix: true,
    });
  });
});

describe('parsePromFloat', () => {
  it.each([
    ['1', 1],
    ['1e3', 1000],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['', undefined],
    [undefined, undefined],
  ])('%p → %p', (raw, want) => {
    expect(parsePromFloat(raw)).toBe(want);
  });
});
