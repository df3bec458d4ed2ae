/** Learning curves as a self-contained HTML page (inline SVG, opens offline). */
import { escapeXml, lineChart } from '../report/svg.js';
import type { CurveRow } from './ppo.js';

export function curvesHtml(title: string, curves: readonly CurveRow[], notes: readonly string[]): string {
  const series = (key: keyof CurveRow): [number, number][] =>
    curves.filter((r) => r[key] !== null && Number.isFinite(r[key] as number)).map((r) => [r.globalStep, r[key] as number]);
  const chart = (name: string, keys: (keyof CurveRow)[], yLabel: string, yFromZero = false): string =>
    lineChart(
      keys.map((k) => ({ name: String(k), points: series(k) })),
      { title: name, xLabel: 'environment steps', yLabel, yFromZero },
    );
  const charts = [
    chart('Mean training episode reward', ['episodeReward'], 'reward'),
    chart("Validation (the model's decision rule): replica-seconds", ['evalReplicaSeconds'], 'replica-seconds', true),
    chart("Validation (the model's decision rule): SLO violation rate", ['evalSloViolationRate'], 'fraction of intervals', true),
    chart("Validation (the model's decision rule): reward", ['evalReward'], 'reward'),
    chart('Losses', ['policyLoss', 'valueLoss'], 'loss'),
    chart('Entropy', ['entropy'], 'nats', true),
    chart('Approximate KL and clip fraction', ['approxKl', 'clipFraction'], '', true),
    chart('Explained variance', ['explainedVariance'], ''),
    chart('Throughput', ['stepsPerSecond'], 'env steps / s (rollout)', true),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}svg{display:block;margin:1em 0}</style></head>
<body><h1>${escapeXml(title)}</h1>
${notes.map((n) => `<p>${escapeXml(n)}</p>`).join('\n')}
${charts.join('\n')}
</body></html>
`;
}
