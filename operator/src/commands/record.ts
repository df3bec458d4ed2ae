/**
 * `faas-autoscaler record --prom-a URL [--prom-b URL] --function NAME... --from T [--to T] --step 30s --out FILE`
 *
 * Reads what the cluster's Prometheus servers already hold about functions (gateway metrics from
 * role A; cAdvisor and kube-state-metrics from role B) with chunked range queries and writes one
 * record per step per function (docs/recording.md). Resumable with `--resume`.
 */
import type { Command } from 'commander';
import type { RecordFlags } from './record-run.js';

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description("record functions' metrics from Prometheus (range queries) into an NDJSON file for calibrate and train")
    .option('--prom-a <url>', 'Prometheus with the OpenFaaS gateway metrics (role A); user:password@ in the URL is sent as basic auth')
    .option('--prom-b <url>', 'Prometheus with cAdvisor and kube-state-metrics (role B); default: --prom-a')
    .option('--prom-a-bearer-token-file <file>', 'bearer token for --prom-a, read from a file')
    .option('--prom-a-basic-auth-file <file>', 'basic auth for --prom-a: a file holding user:password')
    .option(
      '--prom-b-bearer-token-file <file>',
      "bearer token for --prom-b, read from a file (default: --prom-a's credentials when --prom-b is not given)",
    )
    .option('--prom-b-basic-auth-file <file>', 'basic auth for --prom-b: a file holding user:password')
    .option('--function <name>', 'function NAME or NAME.NAMESPACE; repeatable or comma-separated', collect)
    .option('--namespace <ns>', 'namespace of functions given without one', 'openfaas-fn')
    .option('--from <time>', 'first step: RFC 3339 (2026-01-01T10:00:00Z), unix seconds, "now" or relative (-2h, now-30m)')
    .option('--to <time>', 'last step, same forms', 'now')
    .option('--step <duration>', 'step between records (e.g. 1s, 30s, 1m)', '30s')
    .option(
      '--max-sample-age <duration>',
      'a series with no sample this close before a step counts as absent there (a gap); default 2 × step',
    )
    .option('--chunk-steps <n>', 'steps per range query (Prometheus allows 11,000 points per series)', '1000')
    .requiredOption('--out <file>', 'recording file to write (NDJSON)')
    .option('--resume', 'continue the interrupted recording in --out (its range, step and functions are used)')
    .option('--force', 'replace --out if it exists (without --resume or --force, an existing file is an error)')
    .option('--timeout <duration>', 'time-out of one range query', '60s')
    .option('--no-progress', 'no progress line on stderr')
    .action(async (flags: RecordFlags) => {
      const { runRecordCommand } = await import('./record-run.js');
      await runRecordCommand(flags);
    });
}
