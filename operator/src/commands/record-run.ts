/**
 * What `faas-autoscaler record` does once its flags are parsed: validate them (InputError naming
 * the flag), run the recording with a progress line on a TTY, stop cleanly on SIGINT, and print
 * what was written and which values are null and why.
 */
import { InputError } from '#kernel/input-error.js';
import { parseDurationSeconds, parseInteger } from '#kernel/units.js';
import { prometheusEndpoint } from './secrets.js';

export { parsePrometheusUrl } from './secrets.js';
import { PrometheusSource, type PrometheusAuth } from '../metrics/prometheus.js';
import { parseFunctionRef } from '../recording/queries.js';
import { toolVersion } from '../recording/tool-version.js';
import { runRecord, type RecordProgress, type RecordSummary } from '../recording/record.js';

export interface RecordFlags {
  promA?: string;
  promB?: string;
  promABearerTokenFile?: string;
  promABasicAuthFile?: string;
  promBBearerTokenFile?: string;
  promBBasicAuthFile?: string;
  function?: string[];
  namespace: string;
  from?: string;
  to: string;
  step: string;
  maxSampleAge?: string;
  chunkSteps: string;
  out: string;
  resume?: boolean;
  force?: boolean;
  timeout: string;
  progress: boolean;
}

const RELATIVE = /^(?:now)?\s*-\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `now`, `-2h`, `now-30m`, RFC 3339, or unix seconds → ms since the epoch. */
export function parseTime(flag: string, text: string, nowMs: number): number {
  const t = text.trim();
  if (t === 'now') return nowMs;
  const rel = RELATIVE.exec(t);
  if (rel) return nowMs - Number(rel[1]) * UNIT_SECONDS[rel[2]] * 1000;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InputError(
    `${flag}: "${text}" is not a time; use RFC 3339 (2026-01-01T10:00:00Z), unix seconds, "now", or relative like -2h or now-30m`,
  );
}

type Endpoint = { url: string; auth?: PrometheusAuth };

/** Roles A and B; B defaults to A, credentials included, when --prom-b is not given. */
export function prometheusEndpoints(flags: RecordFlags): { a: Endpoint; b: Endpoint } {
  if (!flags.promA)
    throw new InputError('--prom-a: give the URL of the Prometheus with the gateway metrics, e.g. http://prometheus.openfaas:9090');
  const a = prometheusEndpoint({ url: '--prom-a', files: '--prom-a' }, flags.promA, {
    bearerFile: flags.promABearerTokenFile,
    basicFile: flags.promABasicAuthFile,
  });
  if (!flags.promB) {
    if (flags.promBBearerTokenFile || flags.promBBasicAuthFile)
      throw new InputError(
        '--prom-b-bearer-token-file / --prom-b-basic-auth-file: give --prom-b too (without it role B is --prom-a, with its credentials)',
      );
    return { a, b: a };
  }
  return {
    a,
    b: prometheusEndpoint({ url: '--prom-b', files: '--prom-b' }, flags.promB, {
      bearerFile: flags.promBBearerTokenFile,
      basicFile: flags.promBBasicAuthFile,
    }),
  };
}

export async function runRecordCommand(flags: RecordFlags): Promise<void> {
  const { a, b } = prometheusEndpoints(flags);
  const timeoutMs = parseDurationSeconds('--timeout', flags.timeout) * 1000;
  const chunkSteps = parseInteger('--chunk-steps', flags.chunkSteps, 1);
  const now = Date.now();
  let common: {
    functions: ReturnType<typeof parseFunctionRef>[];
    fromMs: number;
    toMs: number;
    stepSeconds: number;
    maxSampleAgeSeconds?: number;
  };
  if (flags.resume) {
    // The file's header decides; the flags of the original command line may be repeated as they were.
    common = { functions: [], fromMs: 0, toMs: 0, stepSeconds: 1 };
  } else {
    if (!flags.function || flags.function.length === 0)
      throw new InputError('--function: give at least one function (NAME or NAME.NAMESPACE)');
    if (!flags.from) throw new InputError('--from: give the start of the recording (RFC 3339, unix seconds, or relative like -2h)');
    const stepSeconds = parseDurationSeconds('--step', flags.step);
    common = {
      functions: flags.function.map((f) => parseFunctionRef('--function', f, flags.namespace)),
      fromMs: parseTime('--from', flags.from, now),
      toMs: parseTime('--to', flags.to, now),
      stepSeconds,
      ...(flags.maxSampleAge ? { maxSampleAgeSeconds: parseDurationSeconds('--max-sample-age', flags.maxSampleAge) } : {}),
    };
    if (common.toMs < common.fromMs)
      throw new InputError(`--to: ${new Date(common.toMs).toISOString()} is before --from ${new Date(common.fromMs).toISOString()}`);
  }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const progress = flags.progress !== false && process.stderr.isTTY ? progressLine(process.stderr) : undefined;
  let summary: RecordSummary;
  try {
    summary = await runRecord({
      gateway: new PrometheusSource({ name: 'prometheus-a', url: a.url, auth: a.auth, timeoutMs }),
      cluster: new PrometheusSource({ name: 'prometheus-b', url: b.url, auth: b.auth, timeoutMs }),
      ...common,
      chunkSteps,
      out: flags.out,
      resume: flags.resume === true,
      force: flags.force === true,
      sourceUrls: { a: a.url, b: b.url },
      tool: toolVersion(),
      signal: controller.signal,
      onProgress: progress?.update,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress?.close();
  }
  process.stderr.write(formatRecordSummary(summary));
  if (summary.interrupted) process.exitCode = 130;
}

function progressLine(stream: NodeJS.WriteStream): { update: (p: RecordProgress) => void; close: () => void } {
  let wrote = false;
  return {
    update(p) {
      const eta = p.stepsDone > 0 ? ((p.stepsTotal - p.stepsDone) * p.elapsedSeconds) / p.stepsDone : 0;
      stream.write(
        `\r\x1b[Krecord: ${p.stepsDone}/${p.stepsTotal} steps (${Math.floor((100 * p.stepsDone) / p.stepsTotal)} %), chunk ${p.chunksDone}/${p.chunksTotal}, ${p.elapsedSeconds.toFixed(0)} s, ETA ${eta.toFixed(0)} s`,
      );
      wrote = true;
    },
    close() {
      if (wrote) stream.write('\n');
    },
  };
}

/** What was written, which fields are null and why (most frequent reasons), what was repaired. */
export function formatRecordSummary(s: RecordSummary): string {
  const h = s.header;
  const lines: string[] = [];
  const written = s.stepsResumed + s.stepsWritten;
  lines.push(
    `record: ${s.interrupted ? 'interrupted; ' : ''}${written}/${s.stepsTotal} steps × ${h.functions.length} function${h.functions.length === 1 ? '' : 's'} in ${s.out}` +
      `${s.stepsResumed ? ` (${s.stepsResumed} were there, resumed)` : ''}, ${h.stepSeconds}-s steps from ${h.from}, ${s.queries} range queries`,
  );
  for (const [field, entry] of Object.entries(s.nulls)) {
    const top = [...entry.reasons.entries()].sort((x, y) => y[1] - x[1]).slice(0, 2);
    lines.push(`  null ${field} in ${entry.count} records: ${top.map(([r, n]) => `${r} (${n})`).join('; ')}`);
  }
  for (const [note, n] of s.notes) lines.push(`  repaired: ${note} (${n} record${n === 1 ? '' : 's'})`);
  if (s.interrupted) lines.push(`  continue with the same command and --resume`);
  return `${lines.join('\n')}\n`;
}
