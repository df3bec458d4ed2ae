/**
 * `faas-loadgen replay`: send a trace's invocations to an OpenFaaS gateway, open loop, and print
 * an honest summary. The flag help below is the reference; the README explains the choices.
 */
import { randomInt } from 'node:crypto';
import { Command, Option } from 'commander';
import { InputError } from '#kernel/input-error.js';
import type { ReplaySettings } from './replay-run.js';
import { ARRIVAL_MODES } from '../arrivals.js';
import { PROGRESS_MODES } from '../progress.js';
import { parseChoice, parseDurationSeconds, parseInteger, parsePositiveNumber, parseSizeBytes } from '#kernel/units.js';
import { addTraceWindowOptions, traceWindowOptions, type TraceWindowFlags } from '#kernel/traces/cli-options.js';

/** Default gateway: $OPENFAAS_URL (as faas-cli reads it), else the gateway's usual local port. */
export const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT = '30s';
export const DEFAULT_MAX_INFLIGHT = 256;
export const DEFAULT_LATE_THRESHOLD = '10ms';

/** The flags as commander hands them over (strings, unparsed). */
interface ReplayFlags extends TraceWindowFlags {
  trace: string;
  function: string;
  map?: string;
  gateway?: string;
  arrivals: string;
  speedup: string;
  duration?: string;
  loop?: string | boolean;
  seed?: string;
  timeout: string;
  payload?: string;
  maxInflight: string;
  lateThreshold: string;
  summary?: string;
  log?: string;
  progress: string;
}

export function registerReplay(program: Command): void {
  const command = program
    .command('replay')
    .description('Replay trace functions against an OpenFaaS gateway (open loop; latency measured from the intended send time)')
    .requiredOption(
      '--trace <file>',
      'trace file, or a folder with an Azure 2019 invocations.csv (Azure 2019, Azure 2021 or LSTM-PPO+ JSON counts)',
    )
    .requiredOption(
      '--function <selection>',
      'trace functions to replay: "all", "top:N" (the N busiest), or a comma list of hashes/ids (or unique prefixes), row:N, rank:N',
    )
    .option(
      '--map <pairs>',
      'traceFn=openfaasFn,... (traceFn: hash, row:N, rank:N or * for all others); unmapped functions go to fn-<first 8 hex digits of the hash>',
    )
    .option(
      '--gateway <url>',
      `OpenFaaS gateway URL; requests go to <url>/function/<name> (default: $OPENFAAS_URL, else ${DEFAULT_GATEWAY})`,
    )
    .addOption(
      new Option(
        '--arrivals <process>',
        'arrivals inside a bin: poisson (exponential gaps, the bin count is the mean) or exact (exactly the count, evenly spaced)',
      )
        .choices(ARRIVAL_MODES as string[])
        .default('poisson'),
    )
    .option('--speedup <x>', 'trace seconds per wall-clock second (60 plays a minute bin in one second)', '1');
  addTraceWindowOptions(command, 'multiply every count by x (fractional counts: Poisson mean, or rounded with carry in exact mode)')
    .option(
      '--duration <time>',
      'stop sending after this much wall-clock time (250ms, 30s, 5m, 1h or seconds); default: until the trace (and --loop) ends',
    )
    .option('--loop [passes]', 'repeat the trace: without a value until --duration or Ctrl-C, with a value that many passes in all')
    .option('--seed <seed>', 'seed of the arrival process (any string); default a random one, printed in the summary')
    .option(
      '--timeout <time>',
      'per request: no response headers, or a stall in the body, for this long counts as a timeout error; also the drain time after Ctrl-C',
      DEFAULT_TIMEOUT,
    )
    .option(
      '--payload <size|file>',
      'request body: a size (512, 4k, 1MiB) of filler bytes, or a file (@file or a path) sent as is; default empty',
    )
    .option(
      '--max-inflight <n>',
      'most requests outstanding at once (and keep-alive connections); when reached, due requests wait and go out late, never dropped',
      String(DEFAULT_MAX_INFLIGHT),
    )
    .option('--late-threshold <time>', 'a send more than this behind its intended time counts as late', DEFAULT_LATE_THRESHOLD)
    .option('--summary <file>', 'also write the summary JSON to this file (it always goes to stdout)')
    .option('--log <file>', 'write one NDJSON line per request (intended time, lag, latency, status or error kind)')
    .addOption(
      new Option('--progress <when>', 'live progress on stderr: auto (when stderr is a terminal), always, never')
        .choices(PROGRESS_MODES as string[])
        .default('auto'),
    )
    .action(async (flags: ReplayFlags) => {
      const settings = parseReplayFlags(flags, process.env);
      const { runReplay } = await import('./replay-run.js');
      process.exitCode = await runReplay(settings);
    });
}

/** Validate the flags before any file is read (InputError names the flag). */
export function parseReplayFlags(flags: ReplayFlags, env: NodeJS.ProcessEnv): ReplaySettings {
  const gateway = flags.gateway ?? env.OPENFAAS_URL ?? DEFAULT_GATEWAY;
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new InputError(`--gateway: "${gateway}" is not a URL; expected e.g. ${DEFAULT_GATEWAY}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`--gateway: "${gateway}" must be an http:// or https:// URL`);
  }
  if (url.search !== '' || url.hash !== '') throw new InputError(`--gateway: "${gateway}" must not have a query or fragment`);
  let passes = 1;
  if (flags.loop === true) passes = Infinity;
  else if (typeof flags.loop === 'string') passes = parseInteger('--loop', flags.loop, 1);
  const payloadText = flags.payload;
  let payload: ReplaySettings['payload'] = { bytes: 0 };
  if (payloadText !== undefined) {
    const bytes = payloadText.startsWith('@') ? undefined : parseSizeBytes('--payload', payloadText);
    payload = bytes !== undefined ? { bytes } : { file: payloadText.replace(/^@/, '') };
  }
  return {
    trace: flags.trace,
    functionSelection: flags.function,
    map: flags.map,
    gateway: url.href.replace(/\/+$/, ''),
    mode: parseChoice('--arrivals', flags.arrivals, ARRIVAL_MODES),
    speedup: parsePositiveNumber('--speedup', flags.speedup),
    ...traceWindowOptions(flags),
    durationSeconds: flags.duration === undefined ? undefined : parseDurationSeconds('--duration', flags.duration),
    passes,
    seed: flags.seed ?? String(randomInt(2 ** 31)),
    timeoutMs: parseDurationSeconds('--timeout', flags.timeout) * 1000,
    payload,
    maxInflight: parseInteger('--max-inflight', flags.maxInflight, 1),
    lateThresholdMs: parseDurationSeconds('--late-threshold', flags.lateThreshold) * 1000,
    summaryFile: flags.summary,
    logFile: flags.log,
    progress: parseChoice('--progress', flags.progress, PROGRESS_MODES),
  };
}
