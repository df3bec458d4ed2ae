/**
 * The Grafana dashboard shipped by the chart: every PromQL expression parses (the real `promtool`
 * from the Debian prometheus package, which .ci/run installs) and names only metrics that the
 * operator or the OpenFaaS gateway export, each queried from the Prometheus that has it; the layout
 * is sound; and the chart's ConfigMap carries this very file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OperatorMetrics } from '../../../operator/src/controller/operator-metrics.js';
import { GatewayMetrics } from '../../../operator/src/sandbox/gateway.js';
import { CHART_DIR, describeWithHelm, findManifest, findTool, helmTemplate, ALLOW_MISSING_TOOLS } from './helm.js';

const DASHBOARD_FILE = join(CHART_DIR, 'dashboards', 'faas-autoscaler.json');

interface Target {
  refId: string;
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/**
 * What the OpenFaaS gateway exports, from the sandbox gateway, whose metrics are named and labelled
 * as in the gateway's source (gateway/metrics/metrics.go; REFERENCE.md): the CE set, without Pro's
 * inflight gauge, so the dashboard works on CE too. Prometheus A scrapes these.
 */
async function gatewayMetricNames(): Promise<string[]> {
  return seriesNames(await new GatewayMetrics(() => []).registry.getMetricsAsJSON());
}

/** Metric names as PromQL sees them: a histogram is its _bucket, _sum and _count series. */
function seriesNames(json: { name: string; type: unknown }[]): string[] {
  return json.flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name]));
}

/** What the operator exports on /metrics, read from its prom-client registry. */
async function operatorMetricNames(): Promise<string[]> {
  return seriesNames(await new OperatorMetrics().registry.getMetricsAsJSON());
}

/** Grafana's variables replaced by values, so the expression is plain PromQL. */
function substituteVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval/g, '1m')
    .replace(/\$__range/g, '1h')
    .replace(/\$\{function:pipe\}/g, 'figlet|env')
    .replace(/\$namespace/g, 'openfaas-fn');
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or label names. */
function metricNames(expr: string): string[] {
  const stripped = substituteVariables(expr)
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [token, call] = [m[0].replace(/\s*\($/, ''), m[1]];
    if (call !== undefined || PROMQL_WORDS.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return [...names];
}

describe('Grafana dashboard', () => {
  it('finds metric names the way PromQL reads them (the check below depends on it)', () => {
    expect(
      metricNames(
        'sum by (function_name, le) (rate(gateway_functions_seconds_bucket{function_name=~"(${function:pipe})[.].+"}[$__rate_interval]))',
      ),
    ).toEqual(['gateway_functions_seconds_bucket']);
    expect(metricNames('1000 * histogram_quantile(0.95, sum by (le) (rate(a_bucket[5m]))) / on (x) group_left b')).toEqual([
      'a_bucket',
      'b',
    ]);
    expect(metricNames('vector(500)')).toEqual([]);
  });

  it('queries only metrics the operator or the gateway export, each from its own Prometheus', async () => {
    const operator = new Set(await operatorMetricNames());
    const gateway = new Set(await gatewayMetricNames());
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      const names = metricNames(t.expr);
      const unknown = names.filter((n) => !operator.has(n) && !gateway.has(n));
      expect({ panel: t.panel, expr: t.expr, unknown }).toEqual({ panel: t.panel, expr: t.expr, unknown: [] });
      const wantSource = names.some((n) => gateway.has(n))
        ? '${gateway_datasource}'
        : names.some((n) => operator.has(n))
          ? '${operator_datasource}'
          : t.datasource.uid;
      expect({ panel: t.panel, expr: t.expr, datasource: t.datasource.uid }).toEqual({
        panel: t.panel,
        expr: t.expr,
        datasource: wantSource,
      });
      // An expression never mixes the two Prometheus servers' metrics.
      expect({ expr: t.expr, mixes: names.some((n) => gateway.has(n)) && names.some((n) => operator.has(n)) }).toEqual({
        expr: t.expr,
        mixes: false,
      });
    }
  });

  it('covers load, replicas, P95 against the SLO, and decisions by policy', () => {
    const exprs = targets.map((t) => t.expr).join('\n');
    for (const metric of [
      'gateway_function_invocation_total',
      'gateway_service_count',
      'faas_autoscaler_desired_replicas',
      'gateway_functions_seconds_bucket',
      'faas_autoscaler_decisions_total',
    ]) {
      expect(exprs).toContain(metric);
    }
    expect(exprs).toMatch(/histogram_quantile\(0\.95/);
    // Each function's own SLO, from the operator, not one constant for all.
    expect(exprs).toMatch(/faas_autoscaler_function_slo_p95_latency_ms\{namespace=~"\$namespace",function=~"\$\{function:pipe\}"\}/);
    expect(exprs).not.toMatch(/vector\(/);
    expect(exprs).toMatch(/sum by \(policy/);
  });

  it('uses only variables it defines, and has unique panel ids and non-overlapping panels on a 24-column grid', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const used = new Set(
      JSON.stringify(dashboard.panels)
        .match(/\$\{?(\w+)/g)!
        .map((v) => v.replace(/^\$\{?/, ''))
        .filter((v) => !v.startsWith('__')),
    );
    expect([...used].filter((v) => !defined.has(v))).toEqual([]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    const problems: string[] = [];
    for (const p of dashboard.panels) {
      if (p.gridPos.x < 0 || p.gridPos.w <= 0 || p.gridPos.x + p.gridPos.w > 24) problems.push(`${p.title}: outside the grid`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          const other = cells.get(`${x},${y}`);
          if (other !== undefined && !problems.includes(`${p.title}: overlaps ${other}`)) problems.push(`${p.title}: overlaps ${other}`);
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  const promtool = findTool('promtool');
  it('every expression parses as PromQL (promtool check rules)', () => {
    if (!promtool) {
      if (ALLOW_MISSING_TOOLS) return;
      throw new Error('promtool not found: `apt-get install prometheus` (or set FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1)');
    }
    const dir = mkdtempSync(join(tmpdir(), 'fas-dash-'));
    try {
      const rules = {
        groups: [
          { name: 'dashboard', rules: targets.map((t, i) => ({ record: `dashboard:expr_${i}`, expr: substituteVariables(t.expr) })) },
        ],
      };
      writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
      const run = spawnSync(promtool, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
      expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({
        status: 0,
        out: expect.stringContaining(`SUCCESS: ${targets.length} rules found`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithHelm('Grafana dashboard in the chart', () => {
  it('is shipped verbatim in a ConfigMap with the sidecar label when enabled, and not at all otherwise', () => {
    const on = helmTemplate({ values: { grafanaDashboard: { enabled: true } } });
    const cm = findManifest(on, 'ConfigMap', 'fas-faas-autoscaler-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(cm.data['faas-autoscaler.json'])).toEqual(dashboard);
    expect(helmTemplate().filter((m) => m.kind === 'ConfigMap')).toEqual([]);
  });
});
