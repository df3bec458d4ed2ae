/** PrometheusSource.queryRange (added for record) against nock: the form it posts and how it reads a matrix. */
import nock from 'nock';
import { PrometheusError, PrometheusSource } from '../../../operator/src/metrics/prometheus.js';

const BASE = 'http://prom.test:9090';

afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.restore();
});

it('POSTs query, start, end and step, and keeps NaN and +Inf samples with their times', async () => {
  let form = new URLSearchParams();
  nock(BASE)
    .post('/prefix/api/v1/query_range', (body: Record<string, string>) => {
      form = new URLSearchParams(body);
      return true;
    })
    .reply(200, {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { code: '200' },
            values: [
              [1700000000, '1'],
              [1700000001.5, 'NaN'],
              [1700000003, '+Inf'],
            ],
          },
        ],
      },
    });
  const src = new PrometheusSource({ name: 'prometheus-a', url: `${BASE}/prefix/` });
  const got = await src.queryRange('up', { startMs: 1_700_000_000_000, endMs: 1_700_000_003_000, stepSeconds: 1.5 });
  expect(Object.fromEntries(form)).toEqual({ query: 'up', start: '1700000000.000', end: '1700000003.000', step: '1.5' });
  expect(got).toEqual([
    {
      labels: { code: '200' },
      timesMs: [1_700_000_000_000, 1_700_000_001_500, 1_700_000_003_000],
      values: [1, Number.NaN, Number.POSITIVE_INFINITY],
    },
  ]);
});

it.each([
  // [what, status, body, kind, message]
  [
    'an instant vector instead of a matrix',
    200,
    { status: 'success', data: { resultType: 'vector', result: [] } },
    'bad-response',
    /expected a range vector \(matrix\), got vector/,
  ],
  [
    'a sample that is not a pair',
    200,
    { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, 'x']] }] } },
    'bad-response',
    /sample \[1,"x"\] is not a \[time, "number"\] pair/,
  ],
  [
    "Prometheus' points limit",
    400,
    {
      status: 'error',
      errorType: 'bad_data',
      error: 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    },
    'query',
    /HTTP 400 bad_data: exceeded maximum resolution of 11,000 points/,
  ],
  ['a server error', 503, 'Service Unavailable', 'server', /HTTP 503/],
])('%s → a PrometheusError', async (_what, status, body, kind, message) => {
  nock(BASE)
    .post('/api/v1/query_range')
    .reply(status as number, body as nock.Body);
  const err = await new PrometheusSource({ name: 'p', url: BASE })
    .queryRange('up', { startMs: 0, endMs: 1000, stepSeconds: 1 })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PrometheusError);
  expect((err as PrometheusError).kind).toBe(kind);
  expect((err as PrometheusError).message).toMatch(message as RegExp);
});
