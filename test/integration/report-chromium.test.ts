/**
 * The HTML report as a person sees it: rendered by headless Chromium (Debian `chromium`, driven by
 * playwright-core), from a real `evaluate --sweep` run. Fails on a chart that does not render, one
 * with nothing drawn, labels that overlap in the trade-off chart, or a latency clipped without a
 * word. A screenshot is left in the temp dir for a look (E2E_KEEP=1 keeps it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { evaluatePolicies } from '../../operator/src/report/evaluate.js';
import { renderEvaluationReport } from '../../operator/src/report/html.js';
import type { Trace, TraceFunction } from '#kernel/traces/types.js';
import { CHROMIUM, describeWithChromium } from '../support/tools.js';

/** Quiet, then a burst of 20/s for two minutes, then quiet: a load where policies differ. */
function burstyTrace(): { trace: Trace; fn: TraceFunction } {
  const counts = [30, 30, 30, 30, 30, 30, 600, 600, 600, 600, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30];
  const fn: TraceFunction = {
    id: 'burst',
    row: 1,
    rank: 1,
    counts,
    profile: {
      durations: {
        averageMs: 200,
        count: 1000,
        minimumMs: 50,
        maximumMs: 900,
        percentilesMs: { 0: 50, 1: 60, 25: 120, 50: 180, 75: 250, 99: 600, 100: 900 },
      },
    },
  };
  return { trace: { format: 'synthetic', source: 'test', binSeconds: 30, startOffsetSeconds: 0, functions: [fn] }, fn };
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface ChartReport {
  title: string;
  width: number;
  height: number;
  marks: number;
  emptyNote: boolean;
  edgeNote: string;
}

describeWithChromium('the evaluation report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir && process.env.E2E_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart with something drawn, trade-off labels apart, no silent clipping', async () => {
    const { trace, fn } = burstyTrace();
    const output = await evaluatePolicies({
      trace,
      fn,
      policies: ['hpa', 'keda', 'knative', 'static', 'oracle'],
      sloP95Ms: 600,
      intervalSeconds: 30,
      seed: 1,
      minReplicas: 1,
      maxReplicas: 24,
      sweep: true,
    });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderEvaluationReport({ run: output.run, series: output.series, notes: output.notes }));

    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(pathToFileURL(file).href);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    const charts = await page.$$eval('svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const paths = [...svg.querySelectorAll('path.series, path.frontier')].filter(
          (p) => (p as unknown as { getTotalLength(): number }).getTotalLength() > 0,
        ).length;
        const marks = paths + svg.querySelectorAll('rect.bar, circle.point').length;
        return {
          title: svg.getAttribute('aria-label') ?? '',
          width: box.width,
          height: box.height,
          marks,
          emptyNote: svg.querySelector('text.empty-note') !== null,
          edgeNote: svg.querySelector('text.edge-note')?.textContent ?? '',
        } satisfies ChartReport;
      }),
    );
    // Trade-off, load, and three charts per policy twice (the worst burst and the whole run).
    expect(charts.length).toBe(2 + 2 * 3 * 5);
    const broken = charts.filter((c) => !(c.width > 100 && c.height > 50) || (c.marks === 0 && !c.emptyNote));
    expect(broken).toEqual([]);
    // P95 is on a log axis that holds every finite value: nothing is clipped (failures, if any, are said to be at the top).
    expect(charts.filter((c) => c.title.startsWith('P95') && c.edgeNote.includes('clipped'))).toEqual([]);

    // The trade-off chart: one labelled point per policy, and the tuned frontiers drawn.
    const labels = await page.$$eval('svg:first-of-type text.label', (texts) =>
      texts.map((t) => ({ text: t.textContent, box: t.getBoundingClientRect().toJSON() as Box })),
    );
    expect(labels.map((l) => l.text).sort()).toEqual(['hpa', 'keda', 'knative', 'oracle', 'static']);
    const overlaps: string[] = [];
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i].box, labels[j].box];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
          overlaps.push(`${labels[i].text} / ${labels[j].text}`);
      }
    }
    expect(overlaps).toEqual([]);
    expect(await page.$$eval('svg:first-of-type path.frontier', (paths) => paths.length)).toBe(5);
    await page.close();
  }, 60_000);
});
