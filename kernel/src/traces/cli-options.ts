/**
 * The trace-window flags every command that reads a trace offers (`faas-loadgen replay|stats`,
 * `faas-autoscaler evaluate`), defined once so their help and parsing agree.
 */
import type { Command } from 'commander';
import { parseInteger, parsePositiveNumber } from '../units.js';
import type { LoadTraceOptions } from './load.js';

export interface TraceWindowFlags {
  rateScale: string;
  from?: string;
  to?: string;
  binSeconds?: string;
}

/** Adds --rate-scale, --from, --to and --bin-seconds to `command`. */
export function addTraceWindowOptions(command: Command, rateScaleHelp = 'multiply every count by x'): Command {
  return command
    .option('--rate-scale <x>', rateScaleHelp, '1')
    .option('--from <time>', 'start of the trace window, from the first bin: 90s, 30m, 2h or seconds (multiple of the bin width)')
    .option('--to <time>', 'end of the trace window (exclusive), same forms; default the end of the trace')
    .option('--bin-seconds <n>', 'bin width for Azure 2021 traces (default 60); other formats have fixed bins');
}

/** The flags as `loadTrace` options; bad values are one-line InputErrors naming the flag. */
export function traceWindowOptions(flags: TraceWindowFlags): Required<Pick<LoadTraceOptions, 'rateScale'>> & Pick<LoadTraceOptions, 'from' | 'to' | 'binSeconds'> {
  return {
    rateScale: parsePositiveNumber('--rate-scale', flags.rateScale),
    ...(flags.from !== undefined ? { from: flags.from } : {}),
    ...(flags.to !== undefined ? { to: flags.to } : {}),
    ...(flags.binSeconds !== undefined ? { binSeconds: parseInteger('--bin-seconds', flags.binSeconds, 1) } : {}),
  };
}
