import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { startPrometheus } from '../dist/operator/src/sandbox/prometheus-process.js';
import { batchedQueries } from '../dist/operator/src/metrics/batched-metrics.js';
import { PrometheusSource } from '../dist/operator/src/metrics/prometheus.js';
const N = Number(process.argv[2] ?? 10000);
const child = spawn(process.execPath, ['dist/bench/operator-cluster.js', String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((r) => child.stdout.once('data', (d) => r(JSON.parse(d.toString()))));
const dir = mkdtempSync('/tmp/q-');
writeFileSync(`${dir}/p.yml`, `global:\n  scrape_interval: ${process.argv[3] ?? 5}s\n  scrape_timeout: 5s\nscrape_configs:\n  - job_name: f\n    static_configs:\n      - targets: ['${info.exporter}']\n`);
const prom = await startPrometheus({ configFile: `${dir}/p.yml`, dataDir: `${dir}/d`, listen: { host: '127.0.0.1', port: 0 }, logFile: `${dir}/log` });
await new Promise((r) => setTimeout(r, 45000));
const q = batchedQueries(30, ['openfaas-fn']);
const src = new PrometheusSource({ name: 'p', url: prom.url, timeoutMs: 60000 });
for (let round = 0; round < 2; round++) {
  for (const [k, promql] of Object.entries(q)) {
    const t0 = performance.now();
    const res = await fetch(`${prom.url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: promql, time: String(Date.now() / 1000) }) });
    const text = await res.text();
    const t1 = performance.now();
    const c0 = process.cpuUsage();
    const s = await src.query(promql, Date.now());
    const c = process.cpuUsage(c0);
    console.log(k, 'raw', (t1 - t0).toFixed(0), 'ms', (text.length / 1e6).toFixed(1), 'MB', 'series', s.length, 'via source cpu', ((c.user + c.system) / 1000).toFixed(0));
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(Object.values(q).map((promql) => src.query(promql, Date.now())));
  const c = process.cpuUsage(c0);
  console.log('all 9 parallel', (performance.now() - t0).toFixed(0), 'ms; cpu', ((c.user + c.system) / 1000).toFixed(0), 'rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
}
await prom.stop(); child.kill('SIGKILL');
