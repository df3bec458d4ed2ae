/**
 * Minimal inline-SVG charts for self-contained HTML reports (no scripts, no external assets, so a
 * report opens offline and can be attached to an issue). Line charts for series over time and a
 * scatter chart for trade-offs. Used by the evaluation report and by training's learning curves.
 */

export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  /** Draw as steps (replica counts change at interval boundaries) instead of straight segments. */
  step?: boolean;
  dashed?: boolean;
}

export interface ReferenceLine {
  y: number;
  label: string;
  color?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Force the y range to start at 0 (counts, rates). Default true. */
  yFromZero?: boolean;
  /** Clip y at this value (e.g. a few times the SLO, so a timeout spike does not flatten the rest). */
  yMax?: number;
  referenceLines?: readonly ReferenceLine[];
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  color?: string;
}

/** A colour-blind-friendly palette (Okabe–Ito), then greys. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000', '#999999', '#666666', '#BBBBBB'];

const MARGIN = { top: 36, right: 150, bottom: 44, left: 64 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Round tick spacing to 1, 2 or 5 × 10^k so that about `count` ticks cover [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '∞' : value < 0 ? '−∞' : '—';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  if (abs >= 100 || Number.isInteger(value)) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(1);
  return value.toPrecision(2);
}

interface Frame {
  width: number;
  height: number;
  x(v: number): number;
  y(v: number): number;
  xTicks: number[];
  yTicks: number[];
}

function frame(opts: ChartOptions, xs: number[], ys: number[]): Frame {
  const width = opts.width ?? 900;
  const height = opts.height ?? 260;
  const finiteX = xs.filter(Number.isFinite);
  const finiteY = ys.filter(Number.isFinite);
  let x0 = finiteX.length ? Math.min(...finiteX) : 0;
  let x1 = finiteX.length ? Math.max(...finiteX) : 1;
  if (x1 === x0) x1 = x0 + 1;
  let y0 = finiteY.length ? Math.min(...finiteY) : 0;
  let y1 = finiteY.length ? Math.max(...finiteY) : 1;
  if (opts.yFromZero ?? true) y0 = Math.min(0, y0);
  if (opts.yMax !== undefined) y1 = Math.min(y1, opts.yMax);
  for (const line of opts.referenceLines ?? []) y1 = Math.max(y1, line.y * 1.1);
  if (y1 <= y0) y1 = y0 + 1;
  const xTicks = niceTicks(x0, x1, 8);
  const yTicks = niceTicks(y0, y1, 5);
  x0 = Math.min(x0, xTicks[0] ?? x0);
  y1 = Math.max(y1, yTicks[yTicks.length - 1] ?? y1);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  return {
    width,
    height,
    x: (v) => MARGIN.left + ((v - x0) / (x1 - x0)) * plotW,
    // Values above the range are drawn at the top edge rather than off the chart.
    y: (v) => MARGIN.top + plotH - ((Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0)) * plotH,
    xTicks: xTicks.filter((t) => t <= x1),
    yTicks,
  };
}

function axes(f: Frame, opts: ChartOptions): string {
  const parts: string[] = [];
  const left = MARGIN.left;
  const right = f.width - MARGIN.right;
  const bottom = f.height - MARGIN.bottom;
  for (const t of f.yTicks) {
    const y = f.y(t).toFixed(1);
    parts.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatNumber(t)}</text>`);
  }
  for (const t of f.xTicks) {
    const x = f.x(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="#888"/>`);
    parts.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle">${formatNumber(t)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#888"/>`);
  parts.push(`<text x="${(left + right) / 2}" y="${f.height - 8}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(14 ${(MARGIN.top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`,
  );
  parts.push(`<text x="${left}" y="20" font-weight="bold">${escapeXml(opts.title)}</text>`);
  return parts.join('');
}

function svgOpen(f: Frame, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="100%" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="11">`;
}

function pathFor(series: LineSeries, f: Frame): string {
  let d = '';
  let pen = false;
  for (const [x, y] of series.points) {
    // A gap (NaN: no data) lifts the pen instead of drawing a misleading line through it;
    // +Inf (timeouts) is drawn at the top edge by the frame's clamp.
    if (Number.isNaN(y) || y === -Infinity) {
      pen = false;
      continue;
    }
    const px = f.x(x).toFixed(1);
    const py = f.y(y).toFixed(1);
    if (!pen) d += `M${px},${py}`;
    else if (series.step) d += `H${px}V${py}`;
    else d += `L${px},${py}`;
    pen = true;
  }
  return d;
}

export function lineChart(series: readonly LineSeries[], opts: ChartOptions): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const f = frame(opts, xs, ys);
  const parts = [svgOpen(f, opts.title), axes(f, opts)];
  for (const ref of opts.referenceLines ?? []) {
    const y = f.y(ref.y).toFixed(1);
    const color = ref.color ?? '#C00';
    parts.push(`<line x1="${MARGIN.left}" x2="${f.width - MARGIN.right}" y1="${y}" y2="${y}" stroke="${color}" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${f.width - MARGIN.right + 6}" y="${y}" dominant-baseline="middle" fill="${color}">${escapeXml(ref.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<path d="${pathFor(s, f)}" fill="none" stroke="${color}" stroke-width="1.5"${dash}><title>${escapeXml(s.name)}</title></path>`);
    const ly = MARGIN.top + 16 + 14 * i;
    parts.push(`<line x1="${f.width - MARGIN.right + 6}" x2="${f.width - MARGIN.right + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${f.width - MARGIN.right + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function scatterChart(points: readonly ScatterPoint[], opts: ChartOptions): string {
  const f = frame({ ...opts, yFromZero: opts.yFromZero ?? true }, [0, ...points.map((p) => p.x)], points.map((p) => p.y));
  const parts = [svgOpen(f, opts.title), axes(f, opts)];
  points.forEach((p, i) => {
    const color = p.color ?? PALETTE[i % PALETTE.length];
    const cx = f.x(p.x).toFixed(1);
    const cy = f.y(p.y).toFixed(1);
    parts.push(`<circle cx="${cx}" cy="${cy}" r="5" fill="${color}"><title>${escapeXml(`${p.label}: ${formatNumber(p.x)}, ${formatNumber(p.y)}`)}</title></circle>`);
    parts.push(`<text x="${Number(cx) + 8}" y="${cy}" dominant-baseline="middle">${escapeXml(p.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
