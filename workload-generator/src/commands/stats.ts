/** `faas-loadgen stats`: per-function rate quantiles, burstiness and idle fraction of a trace. */
import type { Command } from 'commander';
import { addTraceWindowOptions, traceWindowOptions, type TraceWindowFlags } from '#kernel/traces/cli-options.js';

interface StatsFlags extends TraceWindowFlags {
  trace: string;
  function: string;
  json?: boolean;
}

export function registerStats(program: Command): void {
  const command = program
    .command('stats')
    .description('Describe a trace per function: rate quantiles (requests/s per bin), burstiness (cv, dispersion), idle fraction')
    .requiredOption('--trace <file>', 'trace file, or a folder with an Azure 2019 invocations.csv')
    .option('--function <selection>', '"all", "top:N" or a comma list of hashes/ids, row:N, rank:N', 'all');
  addTraceWindowOptions(command, 'multiply every count by x before describing it')
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: StatsFlags) => {
      const window = traceWindowOptions(flags);
      const { loadTrace, selectFunctions } = await import('#kernel/traces/index.js');
      const { formatStatsTable, traceStats } = await import('../trace-stats.js');
      const trace = await loadTrace({ trace: flags.trace, ...window });
      const stats = traceStats(trace, selectFunctions(trace, flags.function, '--function'));
      process.stdout.write(flags.json ? JSON.stringify(stats, null, 2) + '\n' : formatStatsTable(stats));
    });
}
