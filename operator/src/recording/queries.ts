/**
 * The PromQL `record` runs, as range queries over a chunk of steps. Unlike the operator's batched
 * queries (metrics/batched-metrics.ts), which ask Prometheus for `increase(...[w])` of one window,
 * `record` fetches the raw counters and gauges per series and takes the differences itself, step
 * by step, so that:
 *
 *  - every request is counted in exactly one step (increase() over adjacent windows extrapolates
 *    and, with a window as short as the scrape interval, often has fewer than two samples);
 *  - counter resets are found per series and reported (a sum of counters hides a reset of one);
 *  - a gap in the scrapes is a null, not a flat line. A plain selector repeats a series' last
 *    sample for 5 minutes when Prometheus stops scraping (no staleness marker is written then),
 *    so `record` also fetches, per target, the time of its last successful scrape (`upQuery`):
 *    a value counts only when its target was scraped within maxSampleAge of the step, and an
 *    increase only when the target was scraped again since the step before. (A series that
 *    ends while its target keeps being scraped, a pod that is gone, is marked stale by
 *    Prometheus and is absent at once; `last_over_time` would hide that, so it is not used.)
 *
 * The label conventions are the operator's (DESIGN.md §3): the gateway's `function_name` is
 * `<name>.<namespace>`; cAdvisor pods of a function are `<deployment>-<replicaset hash>-<pod id>`
 * in the function's namespace, without the pod-level (`container=""`) and pause (`container="POD"`)
 * series. Ready replicas come from kube-state-metrics (`kube_deployment_status_replicas_ready`),
 * which role B (the cluster Prometheus) usually scrapes; so does `kube_deployment_spec_replicas`,
 * preferred over the gateway's `gateway_service_count` for `replicas` because it comes from the
 * same scrape as the ready count, which is what makes the cold-start lag measurable.
 */
import { InputError } from '#kernel/input-error.js';

/** A function: the Deployment `name` in `namespace`. */
export interface FunctionRef {
  name: string;
  namespace: string;
}

export const DEFAULT_NAMESPACE = 'openfaas-fn';

/** `<name>.<namespace>`, the gateway's function_name label. */
export function functionLabel(f: FunctionRef): string {
  return `${f.name}.${f.namespace}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `figlet` (in `defaultNamespace`) or `figlet.openfaas-fn` → a FunctionRef; InputError naming `flag`. */
export function parseFunctionRef(flag: string, text: string, defaultNamespace: string): FunctionRef {
  const [name, namespace = defaultNamespace, ...rest] = text.trim().split('.');
  if (rest.length > 0 || !DNS_LABEL.test(name) || !DNS_LABEL.test(namespace)) {
    throw new InputError(
      `${flag}: "${text}" is not a function; use NAME or NAME.NAMESPACE (lower-case letters, digits and '-'), e.g. figlet or figlet.openfaas-fn`,
    );
  }
  return { name, namespace };
}

/** Which counter or gauge a query returns and from which source. */
export type QueryKey =
  | 'invocations'
  | 'started'
  | 'buckets'
  | 'latencySum'
  | 'latencyCount'
  | 'serviceCount'
  | 'inflight'
  | 'cpu'
  | 'memory'
  | 'specReplicas'
  | 'readyReplicas';

export interface QuerySpec {
  key: QueryKey;
  source: 'a' | 'b';
  /** The metric, for messages. */
  metric: string;
  kind: 'counter' | 'gauge';
  promql: string;
}

/** A Prometheus duration: `2s`, `1500ms`. */
export function promDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Names are DNS labels and dots; only the dot needs escaping in a regex (as `\\.` inside a PromQL string). */
function alternation(values: readonly string[]): string {
  return [...new Set(values)]
    .sort()
    .map((v) => v.replace(/\./g, '\\\\.'))
    .join('|');
}

/** The range queries of one recording, for all functions at once (the count does not grow with them). */
export function recordQueries(functions: readonly FunctionRef[]): QuerySpec[] {
  const fn = `function_name=~"${alternation(functions.map(functionLabel))}"`;
  const ns = alternation(functions.map((f) => f.namespace));
  const deployments = alternation(functions.map((f) => f.name));
  const pods = `namespace=~"${ns}",pod=~"(${deployments})-[a-z0-9]+-[a-z0-9]+",container!="",container!="POD"`;
  const kube = `namespace=~"${ns}",deployment=~"${deployments}"`;
  return [
    {
      key: 'invocations',
      source: 'a',
      metric: 'gateway_function_invocation_total',
      kind: 'counter',
      promql: `gateway_function_invocation_total{${fn}}`,
    },
    {
      key: 'started',
      source: 'a',
      metric: 'gateway_function_invocation_started',
      kind: 'counter',
      promql: `gateway_function_invocation_started{${fn}}`,
    },
    {
      key: 'buckets',
      source: 'a',
      metric: 'gateway_functions_seconds_bucket',
      kind: 'counter',
      promql: `gateway_functions_seconds_bucket{${fn}}`,
    },
    {
      key: 'latencySum',
      source: 'a',
      metric: 'gateway_functions_seconds_sum',
      kind: 'counter',
      promql: `gateway_functions_seconds_sum{${fn},code="200"}`,
    },
    {
      key: 'latencyCount',
      source: 'a',
      metric: 'gateway_functions_seconds_count',
      kind: 'counter',
      promql: `gateway_functions_seconds_count{${fn},code="200"}`,
    },
    { key: 'serviceCount', source: 'a', metric: 'gateway_service_count', kind: 'gauge', promql: `gateway_service_count{${fn}}` },
    {
      key: 'inflight',
      source: 'a',
      metric: 'gateway_function_invocation_inflight',
      kind: 'gauge',
      promql: `gateway_function_invocation_inflight{${fn}}`,
    },
    {
      key: 'cpu',
      source: 'b',
      metric: 'container_cpu_usage_seconds_total',
      kind: 'counter',
      promql: `container_cpu_usage_seconds_total{${pods}}`,
    },
    {
      key: 'memory',
      source: 'b',
      metric: 'container_memory_working_set_bytes',
      kind: 'gauge',
      promql: `container_memory_working_set_bytes{${pods}}`,
    },
    {
      key: 'specReplicas',
      source: 'b',
      metric: 'kube_deployment_spec_replicas',
      kind: 'gauge',
      promql: `kube_deployment_spec_replicas{${kube}}`,
    },
    {
      key: 'readyReplicas',
      source: 'b',
      metric: 'kube_deployment_status_replicas_ready',
      kind: 'gauge',
      promql: `kube_deployment_status_replicas_ready{${kube}}`,
    },
  ];
}

/**
 * The scrape-health query for the jobs a chunk's series came from: per target, the time of its
 * last successful scrape (`up == 1`) at each step. All series of one scrape carry that time, so
 * it says whether a target's values at a step are fresh and whether they are new since the step
 * before (a stopped Prometheus repeats its last sample until it is older than maxSampleAge).
 */
export function upQuery(jobs: readonly string[]): string {
  const escaped = [...new Set(jobs)].sort().map((j) => j.replace(/[\\.^$|?*+()[\]{}]/g, (c) => `\\\\${c}`));
  const up = `up{job=~"${escaped.join('|')}"}`;
  // timestamp() gives sample times only when its argument is a plain selector; `and` then keeps
  // the targets whose last scrape succeeded.
  return `timestamp(${up}) and (${up} == 1)`;
}

/** The pod → function key join: `<deployment>-<hash>-<id>` in `namespace` → `<deployment>.<namespace>`. */
export function podFunctionLabel(labels: Readonly<Record<string, string>>): string | undefined {
  const m = /^(.+)-[a-z0-9]+-[a-z0-9]+$/.exec(labels.pod ?? '');
  return m && labels.namespace ? `${m[1]}.${labels.namespace}` : undefined;
}

/** The function key of a series of query `key`. */
export function seriesFunction(key: QueryKey, labels: Readonly<Record<string, string>>): string | undefined {
  switch (key) {
    case 'cpu':
    case 'memory':
      return podFunctionLabel(labels);
    case 'specReplicas':
    case 'readyReplicas':
      return labels.deployment && labels.namespace ? `${labels.deployment}.${labels.namespace}` : undefined;
    default:
      return labels.function_name;
  }
}
