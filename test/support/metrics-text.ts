/**
 * Reads samples from Prometheus' text exposition format (what the operator's /metrics serves):
 * `name{label="value",...} number`, one per line; `#` lines are help and type.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(k, v);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

/** `sampleValue` of a fresh scrape of `metricsUrl`; undefined when the sample is absent. */
export async function scrapeSample(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl}: HTTP ${res.status}`);
  return sampleValue(await res.text(), name, labels);
}
