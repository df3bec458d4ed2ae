/**
 * Self-contained HTML report of an evaluation: the settings, the table, the trade-off (cost ÷ the
 * oracle's against misses, with the tuned baselines' frontiers from `--sweep`), the load, a zoom on
 * the worst burst, and small multiples per policy with shared axes: replicas, P95 on a log axis
 * (never clipped without saying so) and requests over the SLO per interval. Inline SVG only, so it
 * opens offline.
 */
import { barChart, escapeXml, lineChart, PALETTE, scatterChart, type LineSeries } from './svg.js';
import { COLUMN_NOTE, costVsOracle, starNote, starredPolicy, TABLE_COLUMNS } from './table.js';
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
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; }
.card { border: 1px solid #ddd; border-radius: 4px; padding: 0.25rem 0.5rem; }
.card h3 { font-size: 0.95rem; margin: 0.25rem 0; }
.warning { color: #a00; font-weight: bold; }
`;

function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

function tableHtml(run: EvaluationRun): string {
  const head = TABLE_COLUMNS.map((c) => `<th>${escapeXml(c.header)}</th>`).join('');
  const star = starredPolicy(run.results);
  const rows = run.results
    .map((r) => {
      const front = r.policy === star ? ' class="front"' : '';
      return `<tr${front}>${TABLE_COLUMNS.map((c) => `<td>${escapeXml(c.value(r, run.results))}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const infeasible = run.infeasibleSlo ? `<p class="warning">${escapeXml(run.infeasibleSlo)}</p>` : '';
  return `${infeasible}<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>
<p class="notes">${escapeXml(starNote(run.results))}. ${escapeXml(COLUMN_NOTE)}.</p>`;
}

/** The policy names' colours: by their row in the table, so every chart agrees. */
function colorFor(run: EvaluationRun, policy: string): string {
  const i = run.results.findIndex((r) => r.policy === policy);
  return colorOf(i >= 0 ? i : run.results.length);
}

interface Window {
  fromMinutes: number;
  toMinutes: number;
}

/**
 * The interval with the most offered load, widened to `spanMinutes` around it (clamped to the
 * run): where policies differ most.
 */
export function worstBurst(series: readonly PolicySeries[], spanMinutes = 30): (Window & { peakRps: number }) | undefined {
  const points = series[0]?.points ?? [];
  if (points.length === 0) return undefined;
  let peak = points[0];
  for (const p of points) if (p.rps > peak.rps) peak = p;
  const end = points[points.length - 1].timeSeconds / 60;
  const centre = peak.timeSeconds / 60;
  const fromMinutes = Math.max(0, Math.min(centre - spanMinutes / 2, end - spanMinutes));
  return { fromMinutes, toMinutes: Math.min(end, fromMinutes + spanMinutes), peakRps: peak.rps };
}

/**
 * One card per policy — replicas, P95 (log axis) and requests over the SLO per interval — with
 * the same axes on every card, over the whole run or a window of it.
 */
function smallMultiples(run: EvaluationRun, series: readonly PolicySeries[], window: Window, star: string | undefined): string {
  const inWindow = (p: { timeSeconds: number }): boolean =>
    p.timeSeconds / 60 >= window.fromMinutes - 1e-9 && p.timeSeconds / 60 <= window.toMinutes + 1e-9;
  const all = series.flatMap((s) => s.points.filter(inWindow));
  const maxReplicas = Math.max(1, ...all.map((p) => Math.max(p.replicas, p.readyReplicas)));
  const p95s = all.map((p) => p.p95Ms).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const p95Domain: [number, number] = [Math.min(run.sloP95Ms, ...p95s), Math.max(run.sloP95Ms, ...p95s)];
  const maxOver = Math.max(1, ...all.map((p) => p.overSlo));
  const xDomain: [number, number] = [window.fromMinutes, window.toMinutes];
  const intervalMinutes = run.intervalSeconds / 60;
  const common = { xLabel: 'minutes', width: 460, height: 150, rightMargin: 70, xDomain };
  const minutes = (s: number): number => s / 60;
  return `<div class="cards">${series
    .map((s) => {
      const color = colorFor(run, s.policy);
      const points = s.points.filter(inWindow);
      const replicas = lineChart(
        [
          { name: 'replicas', points: points.map((p) => [minutes(p.timeSeconds), p.replicas] as const), color, step: true },
          {
            name: 'ready',
            points: points.map((p) => [minutes(p.timeSeconds), p.readyReplicas] as const),
            color: '#999',
            step: true,
            dashed: true,
          },
        ],
        { ...common, title: 'replicas', yLabel: 'replicas', yDomain: [0, maxReplicas] },
      );
      const p95 = lineChart([{ name: 'P95', points: points.map((p) => [minutes(p.timeSeconds), p.p95Ms ?? Number.NaN] as const), color }], {
        ...common,
        title: 'P95 per interval (log axis)',
        yLabel: 'ms',
        yLog: true,
        yDomain: p95Domain,
        referenceLines: [{ y: run.sloP95Ms, label: `SLO ${run.sloP95Ms} ms` }],
      });
      const misses = barChart(
        points.map((p) => ({ x: minutes(p.timeSeconds), y: p.overSlo })),
        {
          ...common,
          title: 'requests over the SLO per interval',
          yLabel: 'requests',
          yDomain: [0, maxOver],
          barWidth: intervalMinutes,
          color,
        },
      );
      const mark = s.policy === star ? ' ★' : '';
      return `<div class="card"><h3>${escapeXml(s.policy)}${mark}</h3>${replicas}${p95}${misses}</div>`;
    })
    .join('\n')}</div>`;
}

/** Cost (÷ oracle when the oracle ran) against misses, with the tuned baselines' frontiers. */
function tradeOffChart(run: EvaluationRun): string {
  const perOracle = costVsOracle({ replicaSeconds: 1 }, run.results) !== null;
  const cost = (replicaSeconds: number): number => costVsOracle({ replicaSeconds }, run.results) ?? replicaSeconds;
  const lines: LineSeries[] = [];
  if (run.sweep) {
    const families = [...new Set(run.sweep.points.map((p) => p.family))];
    for (const family of families) {
      const front = run.sweep.points.filter((p) => p.family === family && p.onFrontier).sort((a, b) => a.replicaSeconds - b.replicaSeconds);
      lines.push({
        name: `${family} tuned`,
        points: front.map((p) => [cost(p.replicaSeconds), 100 * p.missRate] as const),
        color: colorFor(run, family),
      });
    }
  }
  const xs = [...run.results.map((r) => cost(r.replicaSeconds)), ...lines.flatMap((l) => l.points.map((p) => p[0]))];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = (hi - lo) * 0.05 || 0.5;
  return scatterChart(
    run.results.map((r) => ({ label: r.policy, x: cost(r.replicaSeconds), y: 100 * r.missRate, color: colorFor(run, r.policy) })),
    {
      title: `Cost against misses (lower-left is better)${run.sweep ? '; dashed: each baseline tuned across its main knob' : ''}`,
      xLabel: perOracle ? "replica-seconds ÷ the oracle's" : 'replica-seconds',
      yLabel: 'requests over the SLO or failed (%)',
      height: 380,
      rightMargin: 170,
      xDomain: [Math.max(0, lo - pad), hi + pad],
      referenceLines: [{ y: 5, label: 'SLO met below 5 %', color: '#2a7' }],
      lines,
    },
  );
}

export function renderEvaluationReport(input: ReportInput): string {
  const { run, series } = input;
  const minutes = (s: number): number => s / 60;
  const title = input.title ?? `faas-autoscaler evaluation — ${run.function}`;
  const star = starredPolicy(run.results);
  const total: Window = { fromMinutes: 0, toMinutes: minutes(run.simulatedSeconds) };
  const burst = worstBurst(series);

  const load = series[0]
    ? lineChart([{ name: 'offered rps', points: series[0].points.map((p) => [minutes(p.timeSeconds), p.rps]), color: '#333' }], {
        title: 'Offered load (the same arrivals for every policy)',
        xLabel: 'minutes',
        yLabel: 'requests/s',
        height: 200,
      })
    : '';

  const settings = [
    `trace ${run.trace}`,
    `function ${run.function}`,
    `SLO: P95 ≤ ${run.sloP95Ms} ms`,
    `interval ${run.intervalSeconds} s`,
    `${minutes(run.simulatedSeconds).toFixed(0)} simulated minutes`,
    `seed ${run.seed}`,
    ...(input.notes ?? []),
  ];
  const zoom = burst
    ? `<h2>The worst burst: minutes ${burst.fromMinutes.toFixed(0)}–${burst.toMinutes.toFixed(0)} (peak ${burst.peakRps.toFixed(1)} requests/s)</h2>
${smallMultiples(run, series, burst, star)}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<ul class="notes">${settings.map((s) => `<li>${escapeXml(s)}</li>`).join('')}</ul>
${tableHtml(run)}
<h2>Trade-off</h2>
${tradeOffChart(run)}
<h2>Load</h2>
${load}
${zoom}
<h2>Every policy over the whole run (same axes on every card)</h2>
${smallMultiples(run, series, total, star)}
</body></html>
`;
}
