/**
 * The real Prometheus server as a child process (`sandbox --with-prometheus`, and the end-to-end
 * tests, which kill and restart it). Found as `$PROMETHEUS_BIN`, else `prometheus` on PATH, else
 * the Debian package's /usr/bin/prometheus.
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { startChild } from './child-process.js';

export interface PrometheusProcessOptions {
  configFile: string;
  dataDir: string;
  /** host:port to listen on; port 0 picks a free one. */
  listen: { host: string; port: number };
  /** Where Prometheus' own log goes (appended). */
  logFile: string;
  binary?: string;
  /** How long to wait for /-/ready. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface PrometheusProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s; 0 = SIGKILL at once, a crash); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** The Prometheus binary, or undefined when none is installed. */
export function findPrometheus(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.PROMETHEUS_BIN,
    ...(env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, 'prometheus')),
    '/usr/bin/prometheus',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/** A port that was free a moment ago (Prometheus cannot report the port it picked for :0). */
export async function freePort(host: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function startPrometheus(opts: PrometheusProcessOptions): Promise<PrometheusProcess> {
  const binary = opts.binary ?? findPrometheus();
  if (!binary) throw new Error('prometheus is not installed (Debian: apt-get install -y prometheus; or set PROMETHEUS_BIN)');
  const port = opts.listen.port === 0 ? await freePort(opts.listen.host) : opts.listen.port;
  mkdirSync(opts.dataDir, { recursive: true });
  const url = `http://${opts.listen.host}:${port}`;
  const handle = await startChild({
    name: 'prometheus',
    binary,
    args: [
      `--config.file=${opts.configFile}`,
      `--storage.tsdb.path=${opts.dataDir}`,
      `--web.listen-address=${opts.listen.host}:${port}`,
      '--storage.tsdb.retention.time=1d',
    ],
    logFile: opts.logFile,
    ready: async () => (await fetch(`${url}/-/ready`)).status === 200,
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
  });
  return { url, ...handle };
}

/**
 * Waits until Prometheus has scraped each of its `jobs` successfully at least once. Prometheus'
 * service discovery hands new targets to the scrape loops at most every 5 s, so the first scrapes
 * come a few seconds after /-/ready; a caller that starts measuring before this sees nothing.
 */
export async function waitForTargetsUp(url: string, jobs: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const body = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()) as {
        data?: { activeTargets?: { labels?: Record<string, string>; health?: string; lastError?: string }[] };
      };
      const targets = body.data?.activeTargets ?? [];
      const down = jobs.filter((job) => !targets.some((t) => t.labels?.job === job && t.health === 'up'));
      if (down.length === 0) return;
      last = down.map((job) => `${job}: ${targets.find((t) => t.labels?.job === job)?.lastError || 'not scraped yet'}`).join('; ');
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} did not scrape ${jobs.join(', ')} within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
