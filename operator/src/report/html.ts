/**
 * Self-contained HTML report of an evaluation: the settings, the table, the trade-off
 * (replica-seconds against SLO violations), the load, and each policy's replicas and P95 against
 * the SLO over time. Inline SVG only, so it opens offline.
 */
import { escapeXml, lineChart, PALETTE, scatterChart, type LineSeries } from './svg.js';
import { FRONT_NOTE, onFront, TABLE_COLUMNS } from './table.js';
import type { EvaluationRun, PolicySeries } from './types.js';

export interface ReportInput {
  run: EvaluationRun;
  series: readonly PolicySeries[];
  /** Extra lines shown under the title (e.g. rate scale, simulator settings, baseline parameters). */
  notes?: readonly string[];
  title?: string;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.front td:first-child::after { content: ' ★'; color: #0072B2; }
.notes { color: #555; font-size: 0.85rem; } .notes li { margin: 0.1rem 0; }
.pair { display: grid; grid-template-columns: 1fr; gap: 0.5rem; }
`;

function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

function tableHtml(run: EvaluationRun): string {
  const head = TABLE_COLUMNS.map((c) => `<th>${escapeXml(c.header)}</th>`).join('');
  const rows = run.results
    .map((r) => {
      const front = onFront(r, run.results) ? ' class="front"' : '';
      return `<tr${front}>${TABLE_COLUMNS.map((c) => `<td>${escapeXml(c.value(r))}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>
<p class="notes">★ ${escapeXml(FRONT_NOTE)}.
SLO violation: an interval whose P95 (requests completed in it, errors counted as over) exceeds the SLO.</p>`;
}

export function renderEvaluationReport(input: ReportInput): string {
  const { run, series } = input;
  const minutes = (s: number): number => s / 60;
  const title = input.title ?? `faas-autoscaler evaluation — ${run.function}`;

  const tradeOff = scatterChart(
    run.results.map((r, i) => ({ label: r.policy, x: r.replicaSeconds, y: 100 * r.sloViolationRate, color: colorOf(i) })),
    { title: 'Cost against SLO violations (lower-left is better)', xLabel: 'replica-seconds', yLabel: 'SLO-violating intervals (%)', height: 320 },
  );

  const load = series[0]
    ? lineChart([{ name: 'offered rps', points: series[0].points.map((p) => [minutes(p.timeSeconds), p.rps]), color: '#333' }], {
        title: 'Offered load (the same arrivals for every policy)',
        xLabel: 'minutes',
        yLabel: 'requests/s',
        height: 200,
      })
    : '';

  const replicaLines: LineSeries[] = series.map((s, i) => ({
    name: s.policy,
    points: s.points.map((p) => [minutes(p.timeSeconds), p.replicas] as const),
    color: colorOf(run.results.findIndex((r) => r.policy === s.policy) >= 0 ? run.results.findIndex((r) => r.policy === s.policy) : i),
    step: true,
  }));
  const replicas = lineChart(replicaLines, { title: 'Replicas, all policies', xLabel: 'minutes', yLabel: 'replicas', height: 300 });

  const perPolicy = series
    .map((s) => {
      const index = Math.max(0, run.results.findIndex((r) => r.policy === s.policy));
      const color = colorOf(index);
      const repl = lineChart(
        [
          { name: 'replicas', points: s.points.map((p) => [minutes(p.timeSeconds), p.replicas] as const), color, step: true },
          { name: 'ready', points: s.points.map((p) => [minutes(p.timeSeconds), p.readyReplicas] as const), color: '#999', step: true, dashed: true },
        ],
        { title: `${s.policy}: replicas`, xLabel: 'minutes', yLabel: 'replicas', height: 180 },
      );
      const p95 = lineChart(
        [{ name: 'P95', points: s.points.map((p) => [minutes(p.timeSeconds), p.p95Ms ?? Number.NaN] as const), color }],
        {
          title: `${s.policy}: P95 latency per interval`,
          xLabel: 'minutes',
          yLabel: 'ms',
          height: 180,
          yMax: run.sloP95Ms * 4,
          referenceLines: [{ y: run.sloP95Ms, label: `SLO ${run.sloP95Ms} ms` }],
        },
      );
      return `<h2>${escapeXml(s.policy)}</h2><div class="pair">${repl}${p95}</div>`;
    })
    .join('\n');

  const settings = [
    `trace ${run.trace}`,
    `function ${run.function}`,
    `SLO: P95 ≤ ${run.sloP95Ms} ms`,
    `interval ${run.intervalSeconds} s`,
    `${minutes(run.simulatedSeconds).toFixed(0)} simulated minutes`,
    `seed ${run.seed}`,
    ...(input.notes ?? []),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<ul class="notes">${settings.map((s) => `<li>${escapeXml(s)}</li>`).join('')}</ul>
${tableHtml(run)}
<h2>Trade-off</h2>
${tradeOff}
<h2>Load and replicas</h2>
${load}
${replicas}
${perPolicy}
</body></html>
`;
}
