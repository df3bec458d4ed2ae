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
  /** Clip y at this value; the chart then says so ("clipped: max …") when a value lies above it. */
  yMax?: number;
  /** Logarithmic y axis (latencies spanning decades); values ≤ 0 are not drawn. */
  yLog?: boolean;
  /** Fixed ranges, so that small multiples share their axes. */
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  referenceLines?: readonly ReferenceLine[];
  /** Space on the right for the legend and reference labels (default 150). */
  rightMargin?: number;
}

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  color?: string;
}

/** A colour-blind-friendly palette (Okabe–Ito), then greys. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
  '#999999',
  '#666666',
  '#BBBBBB',
];

const MARGIN = { top: 36, right: 150, bottom: 44, left: 64 };

/** Ticks of a log axis: the powers of ten in range, with 2 and 5 between when that leaves few. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > lo)) return [lo > 0 ? lo : 1];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  const decades = ticks.filter((t) => Number.isInteger(Math.log10(t)) || Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
  return decades.length >= 3 ? decades : ticks;
}

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
  right: number;
  x(v: number): number;
  y(v: number): number;
  xTicks: number[];
  yTicks: number[];
  /** The top of the y range: finite values above it are clipped to the edge. */
  yTop: number;
}

function frame(opts: ChartOptions, xs: number[], ys: number[]): Frame {
  const width = opts.width ?? 900;
  const height = opts.height ?? 260;
  const right = opts.rightMargin ?? MARGIN.right;
  const finiteX = xs.filter(Number.isFinite);
  const finiteY = ys.filter((v) => Number.isFinite(v) && (!opts.yLog || v > 0));
  let x0 = opts.xDomain?.[0] ?? (finiteX.length ? Math.min(...finiteX) : 0);
  let x1 = opts.xDomain?.[1] ?? (finiteX.length ? Math.max(...finiteX) : 1);
  if (x1 === x0) x1 = x0 + 1;
  let y0 = opts.yDomain?.[0] ?? (finiteY.length ? Math.min(...finiteY) : opts.yLog ? 1 : 0);
  let y1 = opts.yDomain?.[1] ?? (finiteY.length ? Math.max(...finiteY) : opts.yLog ? 10 : 1);
  if (!opts.yLog && !opts.yDomain && (opts.yFromZero ?? true)) y0 = Math.min(0, y0);
  if (opts.yMax !== undefined) y1 = Math.min(y1, opts.yMax);
  if (!opts.yDomain) for (const line of opts.referenceLines ?? []) y1 = Math.max(y1, line.y * 1.1);
  if (y1 <= y0) y1 = opts.yLog ? y0 * 10 : y0 + 1;
  const xTicks = niceTicks(x0, x1, 8);
  let yTicks: number[];
  if (opts.yLog) {
    // Whole decades around the data, so the axis reads 10, 100, 1000 …
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
    yTicks = logTicks(y0, y1);
  } else {
    yTicks = niceTicks(y0, y1, 5);
    y1 = Math.max(y1, yTicks[yTicks.length - 1] ?? y1);
  }
  if (!opts.xDomain) x0 = Math.min(x0, xTicks[0] ?? x0);
  const plotW = width - MARGIN.left - right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const ty = opts.yLog ? (v: number): number => Math.log10(v) : (v: number): number => v;
  const [t0, t1] = [ty(y0), ty(y1)];
  return {
    width,
    height,
    right,
    x: (v) => MARGIN.left + ((v - x0) / (x1 - x0)) * plotW,
    // Values above the range are drawn at the top edge rather than off the chart.
    y: (v) => MARGIN.top + plotH - ((ty(Math.min(Math.max(v, y0), y1)) - t0) / (t1 - t0)) * plotH,
    xTicks: xTicks.filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9),
    yTicks: yTicks.filter((t) => t >= y0 - 1e-9 && t <= y1 + 1e-9),
    yTop: y1,
  };
}

function axes(f: Frame, opts: ChartOptions): string {
  const parts: string[] = [];
  const left = MARGIN.left;
  const right = f.width - f.right;
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
  const parts = [svgOpen(f, opts.title), axes(f, opts), referenceLinesSvg(f, opts)];
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<path class="series" d="${pathFor(s, f)}" fill="none" stroke="${color}" stroke-width="1.5"${dash}><title>${escapeXml(s.name)}</title></path>`,
    );
    const ly = MARGIN.top + 16 + 14 * i;
    parts.push(
      `<line x1="${f.width - f.right + 6}" x2="${f.width - f.right + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${f.width - f.right + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  parts.push(edgeNote(f, ys));
  parts.push('</svg>');
  return parts.join('');
}

function referenceLinesSvg(f: Frame, opts: ChartOptions): string {
  return (opts.referenceLines ?? [])
    .map((ref) => {
      const y = f.y(ref.y).toFixed(1);
      const color = ref.color ?? '#C00';
      return (
        `<line x1="${MARGIN.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="${color}" stroke-dasharray="6 4"/>` +
        `<text x="${f.width - f.right + 6}" y="${y}" dominant-baseline="middle" fill="${color}">${escapeXml(ref.label)}</text>`
      );
    })
    .join('');
}

/** Says so when values lie above the y range (clipped to the top edge): a clip is never silent. */
function edgeNote(f: Frame, ys: readonly number[]): string {
  const above = ys.filter((v) => Number.isFinite(v) && v > f.yTop * (1 + 1e-9));
  const failed = ys.some((v) => v === Number.POSITIVE_INFINITY);
  const notes = [
    ...(above.length > 0 ? [`clipped at the top: ${above.length} value(s) up to ${formatNumber(Math.max(...above))}`] : []),
    ...(failed ? ['top edge: failed (∞)'] : []),
  ];
  return notes.length > 0
    ? `<text class="edge-note" x="${f.width - f.right}" y="20" text-anchor="end" fill="#a00">${escapeXml(notes.join('; '))}</text>`
    : '';
}

export interface Bar {
  x: number;
  y: number;
}

/** Bars of width `barWidth` (x units) from 0: counts per interval. */
export function barChart(bars: readonly Bar[], opts: ChartOptions & { barWidth: number; color?: string }): string {
  const f = frame(
    opts,
    [...bars.map((b) => b.x), ...bars.map((b) => b.x - opts.barWidth)],
    bars.map((b) => b.y),
  );
  const parts = [svgOpen(f, opts.title), axes(f, opts)];
  const color = opts.color ?? PALETTE[3];
  if (!bars.some((b) => b.y > 0)) {
    // Nothing to draw is an answer, not a blank: say it.
    parts.push(
      `<text class="empty-note" x="${((MARGIN.left + f.width - f.right) / 2).toFixed(1)}" y="${((MARGIN.top + f.height - MARGIN.bottom) / 2).toFixed(1)}" text-anchor="middle" fill="#777">none</text>`,
    );
  }
  for (const b of bars) {
    if (!(b.y > 0)) continue;
    const x0 = f.x(b.x - opts.barWidth);
    const x1 = f.x(b.x);
    const top = f.y(b.y);
    parts.push(
      `<rect class="bar" x="${x0.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0.8, x1 - x0).toFixed(1)}" height="${(f.y(0) - top).toFixed(1)}" fill="${color}"/>`,
    );
  }
  parts.push(
    edgeNote(
      f,
      bars.map((b) => b.y),
    ),
  );
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Points with labels, and optional lines (e.g. tuned baselines' frontiers) beneath them. Labels
 * are placed right of their point and pushed apart vertically so no two overlap, with a leader
 * line where one had to move.
 */
export function scatterChart(points: readonly ScatterPoint[], opts: ChartOptions & { lines?: readonly LineSeries[] }): string {
  const lineXs = (opts.lines ?? []).flatMap((l) => l.points.map((p) => p[0]));
  const lineYs = (opts.lines ?? []).flatMap((l) => l.points.map((p) => p[1]));
  const f = frame(
    { ...opts, yFromZero: opts.yFromZero ?? true },
    [...points.map((p) => p.x), ...lineXs],
    [...points.map((p) => p.y), ...lineYs],
  );
  const parts = [svgOpen(f, opts.title), axes(f, opts), referenceLinesSvg(f, opts)];
  (opts.lines ?? []).forEach((l, i) => {
    const color = l.color ?? PALETTE[i % PALETTE.length];
    parts.push(
      `<path class="frontier" d="${pathFor(l, f)}" fill="none" stroke="${color}" stroke-width="1.2" stroke-dasharray="5 3" opacity="0.8"><title>${escapeXml(l.name)}</title></path>`,
    );
    for (const [x, y] of l.points)
      parts.push(`<circle cx="${f.x(x).toFixed(1)}" cy="${f.y(y).toFixed(1)}" r="2.5" fill="${color}" opacity="0.8"/>`);
    const ly = MARGIN.top + 16 + 14 * i;
    parts.push(
      `<line x1="${f.width - f.right + 6}" x2="${f.width - f.right + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`,
    );
    parts.push(`<text x="${f.width - f.right + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(l.name)}</text>`);
  });
  const placed = placeLabels(
    points.map((p) => ({ x: f.x(p.x), y: f.y(p.y) })),
    13,
    { top: MARGIN.top, bottom: f.height - MARGIN.bottom },
  );
  // Every point first, then every label (with a white halo), so no point hides a label.
  points.forEach((p, i) => {
    const color = p.color ?? PALETTE[i % PALETTE.length];
    parts.push(
      `<circle class="point" cx="${f.x(p.x).toFixed(1)}" cy="${f.y(p.y).toFixed(1)}" r="5" fill="${color}"><title>${escapeXml(`${p.label}: ${formatNumber(p.x)}, ${formatNumber(p.y)}`)}</title></circle>`,
    );
  });
  points.forEach((p, i) => {
    const cx = f.x(p.x);
    const cy = f.y(p.y);
    const ly = placed[i];
    if (Math.abs(ly - cy) > 1)
      parts.push(
        `<line x1="${(cx + 5).toFixed(1)}" y1="${cy.toFixed(1)}" x2="${(cx + 9).toFixed(1)}" y2="${ly.toFixed(1)}" stroke="#999"/>`,
      );
    parts.push(
      `<text class="label" x="${(cx + 10).toFixed(1)}" y="${ly.toFixed(1)}" dominant-baseline="middle" paint-order="stroke" stroke="#fff" stroke-width="3">${escapeXml(p.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Vertical positions for labels drawn right of their anchors: labels whose anchors are closer in x
 * than `columnPx` are spread so that their centres are at least `gapPx` apart, staying within
 * [top, bottom]. Returns one y per anchor.
 */
export function placeLabels(
  anchors: ReadonlyArray<{ x: number; y: number }>,
  gapPx: number,
  range: { top: number; bottom: number },
  columnPx = 110,
): number[] {
  const { top, bottom } = range;
  const ys = anchors.map((a) => a.y);
  const order = anchors.map((_, i) => i).sort((a, b) => anchors[a].y - anchors[b].y || anchors[a].x - anchors[b].x);
  for (let pass = 0; pass < 50; pass++) {
    let moved = false;
    for (let oi = 0; oi < order.length; oi++) {
      for (let oj = oi + 1; oj < order.length; oj++) {
        const [i, j] = [order[oi], order[oj]];
        if (Math.abs(anchors[i].x - anchors[j].x) >= columnPx) continue;
        const [upper, lower] = ys[i] <= ys[j] ? [i, j] : [j, i];
        const overlap = gapPx - (ys[lower] - ys[upper]);
        if (overlap > 0.01) {
          ys[upper] -= overlap / 2;
          ys[lower] += overlap / 2;
          moved = true;
        }
      }
    }
    for (let k = 0; k < ys.length; k++) ys[k] = Math.min(bottom, Math.max(top, ys[k]));
    if (!moved) break;
  }
  return ys;
}
