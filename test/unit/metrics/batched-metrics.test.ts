/**
 * Batched queries and their demultiplexing. A small fake Prometheus answers each query by the
 * metric name it mentions, so each edge case (empty, NaN, +Inf, several series, source down) is one
 * table row with its named outcome.
 */
import { PrometheusError, type InstantQuerier, type Sample } from '../../../operator/src/metrics/prometheus.js';
import { QUERIES_PER_WINDOW, batchedQueries, gatherWindows, type FunctionTarget } from '../../../operator/src/metrics/batched-metrics.js';

type Answers = Partial<Record<string, Sample[] | PrometheusError>>;

/** Answers by the first metric name found in the query; counts queries. */
class FakeProm implements InstantQuerier {
  queries: string[] = [];
  constructor(
    readonly name: string,
    private readonly answers: Answers,
  ) {}
  async query(promql: string): Promise<Sample[]> {
    this.queries.push(promql);
    const key = Object.keys(this.answers)
      .sort((a, b) => b.length - a.length)
      .find((k) => promql.includes(k));
    const a = key === undefined ? [] : this.answers[key];
    if (a instanceof PrometheusError) throw a;
    return a ?? [];
  }
}

const fn = (name: string, labels: Record<string, string> = {}, value = 1): Sample => ({
  labels: { function_name: `${name}.openfaas-fn`, ...labels },
  value,
});
const pod = (name: string, value: number): Sample => ({ labels: { function: name, namespace: 'openfaas-fn' }, value });

function healthyGateway(): Answers {
  return {
    gateway_function_invocation_total: [fn('a', { code: '200' }, 90), fn('a', { code: '500' }, 10), fn('b', { code: '200' }, 5)],
    gateway_function_invocation_started: [fn('a', {}, 100), fn('b', {}, 5)],
    gateway_functions_seconds_bucket: [
      fn('a', { le: '0.1' }, 50),
      fn('a', { le: '+Inf' }, 100),
      fn('a', { le: '1' }, 99),
      fn('b', { le: '0.1' }, 5),
      fn('b', { le: '1' }, 5),
      fn('b', { le: '+Inf' }, 5),
    ],
    gateway_functions_seconds_sum: [fn('a', {}, 9), fn('b', {}, 0.25)],
    gateway_functions_seconds_count: [fn('a', {}, 90), fn('b', {}, 5)],
  };
}
function healthyCadvisor(): Answers {
  return {
    container_cpu_usage_seconds_total: [pod('a', 0.5), pod('b', 0.1)],
    'count by (namespace, function) (count': [pod('a', 2), pod('b', 1)],
    container_memory_working_set_bytes: [pod('a', 2e8), pod('b', 5e7)],
  };
}

/** Every query of a source fails with `err`. */
function down(answers: Answers, err: PrometheusError): Answers {
  return Object.fromEntries(Object.keys(answers).map((k) => [k, err]));
}

const targets: FunctionTarget[] = [
  { name: 'a', namespace: 'openfaas-fn', replicas: 2, readyReplicas: 2 },
  { name: 'b', namespace: 'openfaas-fn', replicas: 1, readyReplicas: 1 },
];

async function gather(gw: Answers, cad: Answers, t = targets): ReturnType<typeof gatherWindows> {
  return gatherWindows({
    gateway: new FakeProm('prometheus-a', gw),
    cadvisor: new FakeProm('prometheus-b', cad),
    windowSeconds: 30,
    targets: t,
    atMs: 0,
  });
}

describe('gatherWindows', () => {
  it('demultiplexes one batched answer per metric into one window per function', async () => {
    const got = await gather(healthyGateway(), healthyCadvisor());
    const a = got.byKey.get('a.openfaas-fn')!;
    expect(a.window).toMatchObject({
      functionName: 'a.openfaas-fn',
      windowSeconds: 30,
      invocationsByCode: new Map([
        ['200', 90],
        ['500', 10],
      ]),
      invocationsStarted: 100,
      latencyBuckets: [
        { le: 0.1, count: 50 },
        { le: 1, count: 99 },
        { le: Number.POSITIVE_INFINITY, count: 100 },
      ],
      latencySumSeconds: 9,
      latencyCount: 90,
      cpuCores: 0.5,
      memoryBytes: 2e8,
      podsReporting: 2,
      replicas: 2,
      readyReplicas: 2,
    });
    expect(a.health).toMatchObject({ traffic: true, resources: true, gatewaySourceError: null });
    // The gateway exports no inflight gauge in CE: null with a reason, and nothing else missing.
    expect(a.window.inflight).toBeNull();
    expect(a.window.problems).toEqual(['prometheus-a: gateway_function_invocation_inflight: no series']);
    expect(got.byKey.get('b.openfaas-fn')!.window.cpuCores).toBe(0.1);
  });

  it('sends the same number of queries for 1 and for 500 functions', async () => {
    const counts: number[] = [];
    for (const n of [1, 500]) {
      const gw = new FakeProm('a', {});
      const cad = new FakeProm('b', {});
      const many = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, namespace: `ns${i % 3}`, replicas: 1, readyReplicas: 1 }));
      await gatherWindows({ gateway: gw, cadvisor: cad, windowSeconds: 30, targets: many, atMs: 0 });
      counts.push(gw.queries.length + cad.queries.length);
    }
    expect(counts).toEqual([QUERIES_PER_WINDOW, QUERIES_PER_WINDOW]);
  });

  // Each row: a fault in one source's answer → the field that goes null and the named problem.
  const edgeCases: Array<{
    name: string;
    gw?: Answers;
    cad?: Answers;
    field: string;
    problem: RegExp;
    traffic: boolean;
    resources: boolean;
  }> = [
    // Function a has never been called since the gateway started: no counter series at all.
    {
      name: 'empty',
      gw: { gateway_function_invocation_total: [fn('b', { code: '200' }, 5)] },
      field: 'invocationsByCode',
      problem: /invocation_total: no series/,
      traffic: false,
      resources: true,
    },
    // A broken exporter wrote NaN into a counter.
    {
      name: 'NaN',
      gw: { gateway_function_invocation_total: [fn('a', { code: '200' }, Number.NaN)] },
      field: 'invocationsByCode',
      problem: /\{code="200"\}: NaN/,
      traffic: false,
      resources: true,
    },
    // +Inf in cAdvisor CPU.
    {
      name: '+Inf',
      cad: { container_cpu_usage_seconds_total: [pod('a', Number.POSITIVE_INFINITY)] },
      field: 'cpuCores',
      problem: /cpu_usage_seconds_total: infinite value/,
      traffic: true,
      resources: false,
    },
    // A second scrape job adds a label our `by` keeps apart: two series for one function.
    {
      name: 'several',
      cad: { container_memory_working_set_bytes: [pod('a', 1), pod('a', 2)] },
      field: 'memoryBytes',
      problem: /several series/,
      traffic: true,
      resources: false,
    },
    // A histogram missing its +Inf bucket cannot give a quantile.
    {
      name: 'no +Inf bucket',
      gw: { gateway_functions_seconds_bucket: [fn('a', { le: '0.1' }, 3)] },
      field: 'latencyBuckets',
      problem: /no le="\+Inf" bucket/,
      traffic: true,
      resources: true,
    },
    // Prometheus B is down: every resource field null, with the error.
    {
      name: 'source down',
      cad: down(healthyCadvisor(), new PrometheusError('prometheus-b', 'unreachable', 'cannot reach (ECONNREFUSED)')),
      field: 'cpuCores',
      problem: /prometheus-b: cannot reach/,
      traffic: true,
      resources: false,
    },
  ];
  it.each(edgeCases)('$name → $field null with a named problem', async ({ gw, cad, field, problem, traffic, resources }) => {
    const got = await gather({ ...healthyGateway(), ...gw }, { ...healthyCadvisor(), ...cad });
    const a = got.byKey.get('a.openfaas-fn')!;
    expect({
      value: (a.window as unknown as Record<string, unknown>)[field],
      traffic: a.health.traffic,
      resources: a.health.resources,
    }).toEqual({ value: null, traffic, resources });
    expect(a.window.problems.some((p) => problem.test(p))).toBe(true);
  });

  it('keeps the error of a whole source apart from one function lacking series', async () => {
    const err503 = new PrometheusError('prometheus-a', 'server', 'HTTP 503');
    const got = await gather(down(healthyGateway(), err503), healthyCadvisor());
    const b = got.byKey.get('b.openfaas-fn')!;
    expect(b.health.gatewaySourceError).toBe(err503);
    expect(b.health.traffic).toBe(false);
    expect(b.window.cpuCores).toBe(0.1);
    expect(got.errors.map((e) => e.message)).toEqual(['prometheus-a: HTTP 503']);
  });
});

describe('batchedQueries', () => {
  it('filters by namespace once, not by function, and joins pods to Deployments by label_replace', () => {
    const q = batchedQueries(60, ['team-b', 'openfaas-fn', 'team-b']);
    expect(q.invocations).toBe(
      'sum by (function_name, code) (increase(gateway_function_invocation_total{function_name=~".+\\\\.(openfaas-fn|team-b)"}[60s]))',
    );
    expect(q.cpu).toBe(
      'sum by (namespace, function) (label_replace(rate(container_cpu_usage_seconds_total{namespace=~"openfaas-fn|team-b",pod!="",container!="",container!="POD"}[60s]), "function", "$1", "pod", "(.+)-[a-z0-9]+-[a-z0-9]+"))',
    );
  });
});
