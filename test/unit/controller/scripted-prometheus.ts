/**
 * A scripted pair of Prometheus servers for controller unit tests: the test sets each function's
 * load (RPS, CPU) and faults (source down, NaN), and every batched query is answered for all
 * functions at once, as the real batched queries are. Counts queries.
 */
import { PrometheusError, type InstantQuerier, type Sample } from '../../../operator/src/metrics/prometheus.js';

export interface FunctionLoad {
  rps: number;
  /** CPU cores used by all pods together. */
  cpuCores: number;
  memoryBytes?: number;
  pods?: number;
  /** Serve NaN for the invocation counter. */
  nan?: boolean;
}

export class ScriptedMetrics {
  readonly load = new Map<string, FunctionLoad>();
  gatewayDown: PrometheusError | undefined;
  cadvisorDown: PrometheusError | undefined;
  readonly queries: string[] = [];
  readonly gateway: InstantQuerier;
  readonly cadvisor: InstantQuerier;

  constructor() {
    this.gateway = { name: 'prometheus-a', query: async (q) => this.answer(q, 'a') };
    this.cadvisor = { name: 'prometheus-b', query: async (q) => this.answer(q, 'b') };
  }

  /** `fn` is "<name>.<namespace>". */
  set(fn: string, load: FunctionLoad): void {
    this.load.set(fn, load);
  }

  private answer(q: string, src: 'a' | 'b'): Sample[] {
    this.queries.push(q);
    const down = src === 'a' ? this.gatewayDown : this.cadvisorDown;
    if (down) throw down;
    const window = Number(/\[(\d+)s\]/.exec(q)?.[1] ?? '30');
    const out: Sample[] = [];
    for (const [fn, l] of this.load) {
      const [name, namespace] = fn.split('.');
      const n = l.rps * window;
      const g = (labels: Record<string, string>, value: number): Sample => ({ labels: { function_name: fn, ...labels }, value });
      const c = (value: number): Sample => ({ labels: { function: name, namespace }, value });
      if (q.includes('gateway_function_invocation_total')) out.push(g({ code: '200' }, l.nan ? Number.NaN : n));
      else if (q.includes('gateway_function_invocation_started')) out.push(g({}, n));
      else if (q.includes('gateway_functions_seconds_bucket')) {
        for (const le of ['0.005', '0.01', '0.025', '0.05']) out.push(g({ le }, 0));
        for (const le of ['0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']) out.push(g({ le }, n));
      } else if (q.includes('gateway_functions_seconds_sum')) out.push(g({}, n * 0.08));
      else if (q.includes('gateway_functions_seconds_count')) out.push(g({}, n));
      else if (q.includes('container_cpu_usage_seconds_total')) out.push(c(l.cpuCores));
      else if (q.startsWith('count by')) out.push(c(l.pods ?? 1));
      else if (q.includes('container_memory_working_set_bytes')) out.push(c(l.memoryBytes ?? 64 * 2 ** 20));
    }
    return out;
  }
}
