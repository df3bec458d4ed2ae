/** `faas-loadgen stats`: per-function rate quantiles, burstiness and idle fraction of a trace. */
import type { Command } from 'commander';
import { parseInteger, parsePositiveNumber } from '../units.js';

interface StatsFlags {
  trace: string;
  function: string;
  rateScale: string;
  from?: string;
  to?: string;
  binSeconds?: string;
  json?: boolean;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('Describe a trace per function: rate quantiles (requests/s per bin), burstiness (cv, dispersion), idle fraction')
    .requiredOption('--trace <file>', 'trace file, or a folder with an Azure 2019 invocations.csv')
    .option('--function <selection>', '"all", "top:N" or a comma list of hashes/ids, row:N, rank:N', 'all')
    .option('--rate-scale <x>', 'multiply every count by x before describing it', '1')
    .option('--from <time>', 'start of the trace window (90s, 30m, 2h or seconds)')
    .option('--to <time>', 'end of the trace window (exclusive)')
    .option('--bin-seconds <n>', 'bin width for Azure 2021 traces (default 60)')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: StatsFlags) => {
      const rateScale = parsePositiveNumber('--rate-scale', flags.rateScale);
      const binSeconds = flags.binSeconds === undefined ? undefined : parseInteger('--bin-seconds', flags.binSeconds, 1);
      const { loadTrace, selectFunctions } = await import('../traces/index.js');
      const { formatStatsTable, traceStats } = await import('../trace-stats.js');
      const trace = await loadTrace({ trace: flags.trace, rateScale, from: flags.from, to: flags.to, binSeconds });
      const stats = traceStats(trace, selectFunctions(trace, flags.function, '--function'));
      process.stdout.write(flags.json ? JSON.stringify(stats, null, 2) + '\n' : formatStatsTable(stats));
    });
}
