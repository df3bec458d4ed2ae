/**
 * A minimal Prometheus HTTP API client for instant queries (`/api/v1/query`), the only endpoint the
 * operator needs, and range queries (`/api/v1/query_range`, used by `faas-autoscaler record`;
 * same transport and errors). Every failure becomes a
 * `PrometheusError` whose `kind` says what went wrong, so
 * the controller can put a precise reason into the `MetricsAvailable` condition:
 *
 *   unreachable   connection refused / DNS / reset                  → back-off, keep scale
 *   timeout       no answer within `timeoutMs`                       → back-off, keep scale
 *   server        HTTP 5xx (Prometheus overloaded, restarting)       → back-off, keep scale
 *   query         HTTP 400/422 with errorType bad_data/execution     → a bug in our PromQL; logged loudly
 *   bad-response  not JSON, not a vector, or a sample that is not a number
 *
 * Samples keep their float value as Prometheus printed it ("NaN", "+Inf" parse to NaN/Infinity);
 * deciding what a NaN *means* is the caller's job (see `batched-metrics.ts`).
 */

export type PrometheusAuth = { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

export interface PrometheusSourceOptions {
  /** Short name used in problems and conditions, e.g. "prometheus-a". */
  name: string;
  /** Base URL, e.g. http://prometheus.openfaas:9090 (a path prefix is kept). */
  url: string;
  auth?: PrometheusAuth;
  /** Per-request time-out; default 10 s. */
  timeoutMs?: number;
}

export type PrometheusErrorKind = 'unreachable' | 'timeout' | 'server' | 'query' | 'bad-response';

export class PrometheusError extends Error {
  readonly kind: PrometheusErrorKind;
  readonly source: string;
  constructor(source: string, kind: PrometheusErrorKind, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.name = 'PrometheusError';
    this.kind = kind;
    this.source = source;
  }
}

/** One element of an instant vector. */
export interface Sample {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** What the operator needs from a Prometheus; tests may pass a fake. */
export interface InstantQuerier {
  readonly name: string;
  query(promql: string, atMs: number): Promise<Sample[]>;
}

/** One series of a range query: its labels and its samples in time order (NaN/±Inf kept). */
export interface RangeSeries {
  labels: Readonly<Record<string, string>>;
  /** Sample times in ms since the epoch. */
  timesMs: number[];
  values: number[];
}

/** What `faas-autoscaler record` needs from a Prometheus; tests may pass a fake. */
export interface RangeQuerier {
  readonly name: string;
  queryRange(promql: string, range: { startMs: number; endMs: number; stepSeconds: number }): Promise<RangeSeries[]>;
}

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class PrometheusSource implements InstantQuerier, RangeQuerier {
  readonly name: string;
  private readonly endpoint: string;
  private readonly rangeEndpoint: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(opts: PrometheusSourceOptions) {
    this.name = opts.name;
    // fetch refuses a URL with user:password@, and every message names the endpoint: the
    // credentials become basic auth (unless auth is given) and leave the URL.
    const { base, userinfo } = splitUserinfo(opts.url);
    if (userinfo && !opts.auth) opts = { ...opts, auth: { type: 'basic', ...userinfo } };
    this.endpoint = `${base.replace(/\/+$/, '')}/api/v1/query`;
    this.rangeEndpoint = `${this.endpoint}_range`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    // Uncompressed: answers for thousands of functions are megabytes, and gzip would cost the
    // operator CPU and native memory to inflate them every tick, to save in-cluster bandwidth.
    this.headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'accept-encoding': 'identity' };
    if (opts.auth?.type === 'bearer') {
      this.headers.authorization = `Bearer ${opts.auth.token}`;
    } else if (opts.auth?.type === 'basic') {
      const token = Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64');
      this.headers.authorization = `Basic ${token}`;
    }
  }

  /**
   * Instant query evaluated at `atMs`. POST with a form body, because the batched queries carry a
   * namespace regex that can grow long; Prometheus accepts both.
   */
  async query(promql: string, atMs: number): Promise<Sample[]> {
    const body = new URLSearchParams({ query: promql, time: (atMs / 1000).toFixed(3) }).toString();
    return parseVector(this.name, await this.post(this.endpoint, body, promql));
  }

  /**
   * Range query from `startMs` to `endMs` (both included when on the step grid) every
   * `stepSeconds`. Prometheus refuses more than 11,000 points per series; callers chunk.
   */
  async queryRange(promql: string, range: { startMs: number; endMs: number; stepSeconds: number }): Promise<RangeSeries[]> {
    const body = new URLSearchParams({
      query: promql,
      start: (range.startMs / 1000).toFixed(3),
      end: (range.endMs / 1000).toFixed(3),
      step: String(range.stepSeconds),
    }).toString();
    return parseMatrix(this.name, await this.post(this.rangeEndpoint, body, promql));
  }

  /** POSTs a form to `endpoint` and returns the successful response body; every failure is a PrometheusError. */
  private async post(endpoint: string, body: string, promql: string): Promise<PromResponse> {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.transportError(err, endpoint);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, endpoint);
    }
    let parsed: PromResponse | undefined;
    try {
      parsed = JSON.parse(text) as PromResponse;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 500) {
      throw new PrometheusError(this.name, 'server', `HTTP ${res.status}${parsed?.error ? `: ${parsed.error}` : ''}`);
    }
    if (parsed === undefined) {
      throw new PrometheusError(this.name, 'bad-response', `HTTP ${res.status}, body is not JSON: ${text.slice(0, 80)}`);
    }
    if (res.status !== 200 || parsed.status !== 'success') {
      const kind: PrometheusErrorKind = res.status === 400 || res.status === 422 ? 'query' : 'bad-response';
      throw new PrometheusError(
        this.name,
        kind,
        `HTTP ${res.status} ${parsed.errorType ?? ''}: ${parsed.error ?? 'no error message'} (query: ${promql})`,
      );
    }
    return parsed;
  }

  private transportError(err: unknown, endpoint: string): PrometheusError {
    // Duck-typed: under jest's VM the DOMException of an aborted fetch is not `instanceof Error`.
    const name = (err as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new PrometheusError(this.name, 'timeout', `no answer within ${this.timeoutMs} ms`, { cause: err });
    }
    const cause = (err as { cause?: unknown } | null)?.cause ?? err;
    const code = (cause as { code?: unknown } | null)?.code;
    const detail = typeof code === 'string' ? code : String((cause as { message?: unknown } | null)?.message ?? cause);
    return new PrometheusError(this.name, 'unreachable', `cannot reach ${endpoint} (${detail})`, { cause: err });
  }
}

/** The URL without user:password@, and what it held. */
function splitUserinfo(url: string): { base: string; userinfo?: { username: string; password: string } } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { base: url.replace(/(\/\/)[^/@\s]*@/, '$1') };
  }
  if (!u.username && !u.password) return { base: url };
  const userinfo = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  return { base: u.toString(), userinfo };
}

function parseVector(source: string, body: PromResponse): Sample[] {
  const data = body.data;
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
    throw new PrometheusError(source, 'bad-response', `expected an instant vector, got ${data?.resultType ?? 'nothing'}`);
  }
  return data.result.map((item: unknown): Sample => {
    const entry = item as { metric?: Record<string, string>; value?: [number, string] };
    const raw = entry.value?.[1];
    const value = parsePromFloat(raw);
    if (value === undefined) {
      throw new PrometheusError(source, 'bad-response', `sample value ${JSON.stringify(raw)} is not a number`);
    }
    return { labels: entry.metric ?? {}, value };
  });
}

function parseMatrix(source: string, body: PromResponse): RangeSeries[] {
  const data = body.data;
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new PrometheusError(source, 'bad-response', `expected a range vector (matrix), got ${data?.resultType ?? 'nothing'}`);
  }
  return data.result.map((item: unknown): RangeSeries => {
    const entry = item as { metric?: Record<string, string>; values?: unknown };
    if (!Array.isArray(entry.values)) throw new PrometheusError(source, 'bad-response', 'a series of the matrix has no "values" list');
    const timesMs: number[] = [];
    const values: number[] = [];
    for (const pair of entry.values as unknown[]) {
      const [t, raw] = Array.isArray(pair) ? (pair as unknown[]) : [];
      const value = parsePromFloat(raw);
      if (typeof t !== 'number' || value === undefined) {
        throw new PrometheusError(source, 'bad-response', `sample ${JSON.stringify(pair)} is not a [time, "number"] pair`);
      }
      timesMs.push(Math.round(t * 1000));
      values.push(value);
    }
    return { labels: entry.metric ?? {}, timesMs, values };
  });
}

/** Prometheus prints floats as Go does: "NaN", "+Inf", "-Inf", or a decimal/exponent number. */
export function parsePromFloat(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isNaN(n) ? undefined : n;
}
