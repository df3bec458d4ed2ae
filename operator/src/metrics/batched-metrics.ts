/**
 * Batched PromQL: one query per metric per Prometheus for *all* functions that share a window
 * length, demultiplexed into one `FunctionMetricsWindow` per function. The number of queries per
 * tick is therefore `QUERIES_PER_WINDOW × distinct windows`, flat in the number of functions
 * (bench/operator.bench.ts measures it).
 *
 * Prometheus A (gateway) is keyed by the gateway's own label `function_name="<fn>.<ns>"`.
 * Prometheus B (cAdvisor) has no function label: cAdvisor only knows `namespace`, `pod` and
 * `container`. We join pod → function with `label_replace` on `pod`, stripping the two suffixes a
 * Deployment adds (`<deployment>-<replicaset hash>-<pod id>`), because faas-netes runs each function
 * as a Deployment of the same name and the Deployment is what we scale. We do not rely on the
 * container name (users rename it, sidecars exist) nor on a `pod=~"<fn>.*"` regex per function
 * (that grows with N and `fig.*` also matches `figlet-…`). `container!=""` drops the pod-level
 * cgroup aggregate and `container!="POD"` the pause container, which would otherwise double count.
 *
 * Edge cases, each a named outcome (STYLE.md §6), per function and metric:
 *   empty   no series for this function           → field null, problem "no series"
 *   NaN     a NaN sample                           → field null, problem "NaN"
 *   +Inf    an infinite sample                     → field null, problem "+Inf"
 *   several more than one series for the same key → field null, problem "several series" (a relabel
 *           or a second scrape job added labels our `by (...)` does not expect; summing them could
 *           double count, so we refuse to guess — as KEDA's Prometheus scaler does)
 *   source error (Prometheus down, 5xx, time-out) → every field of that source null, with the error.
 */
import { byCodeAscending, type FunctionMetricsWindow, type HistogramBucket } from './types.js';
import { PrometheusError, type InstantQuerier, type Sample } from './prometheus.js';

/** A function the operator manages: the Deployment `name` in `namespace`. */
export interface FunctionTarget {
  name: string;
  namespace: string;
  /** Replicas the Deployment asks for (spec.replicas). */
  replicas: number;
  readyReplicas: number | null;
}

/** `<name>.<namespace>`, the gateway's `function_name` label and our key everywhere. */
export function functionKey(t: { name: string; namespace: string }): string {
  return `${t.name}.${t.namespace}`;
}

export type Outcome = 'ok' | 'empty' | 'nan' | 'inf' | 'several';

/** Which part of a window could be trusted; the controller's hold rules read this. */
export interface WindowHealth {
  /** Request counters (invocations by code) present and finite. */
  traffic: boolean;
  /** CPU and memory present and finite. */
  resources: boolean;
  /** A whole source failed (as opposed to one function's series being absent). */
  gatewaySourceError: PrometheusError | null;
  cadvisorSourceError: PrometheusError | null;
}

export interface GatheredWindow {
  window: FunctionMetricsWindow;
  health: WindowHealth;
}

export interface GatherResult {
  byKey: Map<string, GatheredWindow>;
  /** PromQL queries sent for this window (both sources). */
  queries: number;
  /** The same, per source (gateway: Prometheus A; cadvisor: Prometheus B). */
  queriesBySource: { gateway: number; cadvisor: number };
  errors: PrometheusError[];
}

export interface BatchedQueries {
  invocations: string;
  started: string;
  buckets: string;
  latencySum: string;
  latencyCount: string;
  inflight: string;
  cpu: string;
  memory: string;
  pods: string;
}

/** The pod name of a Deployment's pod: `<deployment>-<replicaset hash>-<pod suffix>`. */
const POD_TO_DEPLOYMENT = '(.+)-[a-z0-9]+-[a-z0-9]+';

/**
 * The nine queries for one window length and a set of namespaces. Namespace names are DNS labels
 * ([a-z0-9-]), so they need no regex escaping.
 */
export function batchedQueries(windowSeconds: number, namespaces: readonly string[]): BatchedQueries {
  const ns = [...new Set(namespaces)].sort().join('|');
  const fn = `function_name=~".+\\\\.(${ns})"`;
  const w = `[${windowSeconds}s]`;
  const pods = `namespace=~"${ns}",pod!="",container!="",container!="POD"`;
  const byPod = (inner: string): string => `label_replace(${inner}, "function", "$1", "pod", "${POD_TO_DEPLOYMENT}")`;
  return {
    invocations: `sum by (function_name, code) (increase(gateway_function_invocation_total{${fn}}${w}))`,
    started: `sum by (function_name) (increase(gateway_function_invocation_started{${fn}}${w}))`,
    buckets: `sum by (function_name, le) (increase(gateway_functions_seconds_bucket{${fn}}${w}))`,
    latencySum: `sum by (function_name) (increase(gateway_functions_seconds_sum{${fn},code="200"}${w}))`,
    latencyCount: `sum by (function_name) (increase(gateway_functions_seconds_count{${fn},code="200"}${w}))`,
    inflight: `sum by (function_name) (avg_over_time(gateway_function_invocation_inflight{${fn}}${w}))`,
    cpu: `sum by (namespace, function) (${byPod(`rate(container_cpu_usage_seconds_total{${pods}}${w})`)})`,
    memory: `sum by (namespace, function) (${byPod(`container_memory_working_set_bytes{${pods}}`)})`,
    pods: `count by (namespace, function) (count by (namespace, function, pod) (${byPod(`container_memory_working_set_bytes{${pods}}`)}))`,
  };
}

export const QUERIES_PER_WINDOW = 9;

type Scalar = { outcome: 'ok'; value: number } | { outcome: Exclude<Outcome, 'ok'> };

/**
 * One sample of a query, reduced to what a window needs: its value, and the value of the label the
 * field is split by (`code`, `le`; empty for a single-valued field). The parsed answer, with every
 * series' full label set, is let go as soon as its points are taken.
 */
interface Point {
  label: string;
  value: number;
}

/** Points of one query, grouped by function key; a failed query is kept as its error. */
type Grouped = Map<string, Point[]> | PrometheusError;

export interface GatherArgs {
  gateway: InstantQuerier;
  cadvisor: InstantQuerier;
  windowSeconds: number;
  targets: readonly FunctionTarget[];
  atMs: number;
}

/** Runs the batched queries of one window length and builds one window per target. */
export async function gatherWindows(args: GatherArgs): Promise<GatherResult> {
  const { gateway, cadvisor, windowSeconds, targets, atMs } = args;
  const q = batchedQueries(
    windowSeconds,
    targets.map((t) => t.namespace),
  );
  const gatewayKey = (s: Sample): string | undefined => s.labels.function_name;
  const cadvisorKey = (s: Sample): string | undefined =>
    s.labels.function && s.labels.namespace ? `${s.labels.function}.${s.labels.namespace}` : undefined;
  const sent = { gateway: 0, cadvisor: 0 };
  // The answers cover every function in the namespaces; only the targets' samples are kept.
  const wanted = new Set(targets.map(functionKey));
  const run = async (
    role: 'gateway' | 'cadvisor',
    promql: string,
    key: (s: Sample) => string | undefined,
    label = '',
  ): Promise<Grouped> => {
    const src = role === 'gateway' ? gateway : cadvisor;
    sent[role]++;
    try {
      return groupBy(await src.query(promql, atMs), { key, label }, wanted);
    } catch (err) {
      if (err instanceof PrometheusError) return err;
      throw new PrometheusError(src.name, 'bad-response', String(err), { cause: err });
    }
  };
  const [invocations, started, buckets, latencySum, latencyCount, inflight, cpu, memory, pods] = await Promise.all([
    run('gateway', q.invocations, gatewayKey, 'code'),
    run('gateway', q.started, gatewayKey),
    run('gateway', q.buckets, gatewayKey, 'le'),
    run('gateway', q.latencySum, gatewayKey),
    run('gateway', q.latencyCount, gatewayKey),
    run('gateway', q.inflight, gatewayKey),
    run('cadvisor', q.cpu, cadvisorKey),
    run('cadvisor', q.memory, cadvisorKey),
    run('cadvisor', q.pods, cadvisorKey),
  ]);
  const errors = dedupeErrors([invocations, started, buckets, latencySum, latencyCount, inflight, cpu, memory, pods]);
  const gatewaySourceError = firstError([invocations, started, buckets, latencySum, latencyCount]);
  const cadvisorSourceError = firstError([cpu, memory, pods]);

  const byKey = new Map<string, GatheredWindow>();
  for (const t of targets) {
    const key = functionKey(t);
    const problems: string[] = [];
    const scalarField = (g: Grouped, what: string, src: InstantQuerier): number | null =>
      scalarOrNull(g, key, `${src.name}: ${what}`, problems);
    const invocationsByCode = byCodeOrNull(invocations, key, `${gateway.name}: gateway_function_invocation_total`, problems);
    const cpuCores = scalarField(cpu, 'container_cpu_usage_seconds_total', cadvisor);
    const memoryBytes = scalarField(memory, 'container_memory_working_set_bytes', cadvisor);
    const window: FunctionMetricsWindow = {
      functionName: key,
      windowSeconds,
      invocationsByCode,
      invocationsStarted: scalarField(started, 'gateway_function_invocation_started', gateway),
      latencyBuckets: bucketsOrNull(buckets, key, `${gateway.name}: gateway_functions_seconds_bucket`, problems),
      latencySumSeconds: scalarField(latencySum, 'gateway_functions_seconds_sum{code="200"}', gateway),
      latencyCount: scalarField(latencyCount, 'gateway_functions_seconds_count{code="200"}', gateway),
      inflight: scalarField(inflight, 'gateway_function_invocation_inflight', gateway),
      cpuCores,
      memoryBytes,
      podsReporting: scalarField(pods, 'pods reporting', cadvisor),
      replicas: t.replicas,
      readyReplicas: t.readyReplicas,
      problems,
    };
    byKey.set(key, {
      window,
      health: {
        traffic: invocationsByCode !== null,
        resources: cpuCores !== null && memoryBytes !== null,
        gatewaySourceError,
        cadvisorSourceError,
      },
    });
  }
  return { byKey, queries: sent.gateway + sent.cadvisor, queriesBySource: sent, errors };
}

function groupBy(
  samples: readonly Sample[],
  by: { key: (s: Sample) => string | undefined; label: string },
  wanted: ReadonlySet<string>,
): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const s of samples) {
    const k = by.key(s);
    // A series without the join label (e.g. a pod not of a Deployment), or of a function not asked for.
    if (k === undefined || !wanted.has(k)) continue;
    const point: Point = { label: by.label ? (s.labels[by.label] ?? '') : '', value: s.value };
    const list = out.get(k);
    if (list) list.push(point);
    else out.set(k, [point]);
  }
  return out;
}

function classify(samples: readonly Point[] | undefined): Scalar {
  if (!samples || samples.length === 0) return { outcome: 'empty' };
  if (samples.length > 1) return { outcome: 'several' };
  return classifyValue(samples[0].value);
}

function classifyValue(v: number): Scalar {
  if (Number.isNaN(v)) return { outcome: 'nan' };
  if (!Number.isFinite(v)) return { outcome: 'inf' };
  return { outcome: 'ok', value: v };
}

const OUTCOME_TEXT: Record<Exclude<Outcome, 'ok'>, string> = {
  empty: 'no series',
  nan: 'NaN',
  inf: 'infinite value',
  several: 'several series for one function',
};

function scalarOrNull(g: Grouped, key: string, what: string, problems: string[]): number | null {
  if (g instanceof PrometheusError) {
    problems.push(`${what}: ${g.message}`);
    return null;
  }
  const c = classify(g.get(key));
  if (c.outcome === 'ok') return c.value;
  problems.push(`${what}: ${OUTCOME_TEXT[c.outcome]}`);
  return null;
}

/**
 * A metric split by one label (code, le) for one function: each label value must appear once with
 * a finite value, else the whole field is null with the named problem.
 */
function perLabelOrNull(g: Grouped, series: { key: string; what: string; label: string }, problems: string[]): Map<string, number> | null {
  const { key, what, label } = series;
  if (g instanceof PrometheusError) {
    problems.push(`${what}: ${g.message}`);
    return null;
  }
  const samples = g.get(key);
  if (!samples || samples.length === 0) {
    problems.push(`${what}: ${OUTCOME_TEXT.empty}`);
    return null;
  }
  // One pass, no list per label value: the value of each label's first series, and which repeat.
  const out = new Map<string, number>();
  let several: Set<string> | undefined;
  for (const s of samples) {
    const v = s.label;
    if (out.has(v)) (several ??= new Set()).add(v);
    else out.set(v, s.value);
  }
  for (const [v, value] of out) {
    const c: Scalar = several?.has(v) ? { outcome: 'several' } : classifyValue(value);
    if (c.outcome !== 'ok') {
      problems.push(`${what}{${label}="${v}"}: ${OUTCOME_TEXT[c.outcome]}`);
      return null;
    }
  }
  return out;
}

/** Invocations by status code, codes ascending. */
function byCodeOrNull(g: Grouped, key: string, what: string, problems: string[]): Map<string, number> | null {
  const m = perLabelOrNull(g, { key, what, label: 'code' }, problems);
  if (m === null || m.size < 2) return m;
  return byCodeAscending(m);
}

/** Histogram buckets: cumulative, sorted by `le`, ending with +Inf; any bad bucket voids the histogram. */
function bucketsOrNull(g: Grouped, key: string, what: string, problems: string[]): HistogramBucket[] | null {
  const m = perLabelOrNull(g, { key, what, label: 'le' }, problems);
  if (m === null) return null;
  const out: HistogramBucket[] = [];
  for (const [text, count] of m) {
    const le = text === '+Inf' ? Number.POSITIVE_INFINITY : text === '' ? Number.NaN : Number(text);
    if (Number.isNaN(le)) {
      problems.push(`${what}: bucket without a numeric le label`);
      return null;
    }
    out.push({ le, count });
  }
  out.sort((a, b) => a.le - b.le);
  if (out[out.length - 1].le !== Number.POSITIVE_INFINITY) {
    problems.push(`${what}: no le="+Inf" bucket`);
    return null;
  }
  return out;
}

function firstError(gs: readonly Grouped[]): PrometheusError | null {
  for (const g of gs) if (g instanceof PrometheusError) return g;
  return null;
}

function dedupeErrors(gs: readonly Grouped[]): PrometheusError[] {
  const seen = new Set<string>();
  const out: PrometheusError[] = [];
  for (const g of gs) {
    if (g instanceof PrometheusError && !seen.has(g.message)) {
      seen.add(g.message);
      out.push(g);
    }
  }
  return out;
}
