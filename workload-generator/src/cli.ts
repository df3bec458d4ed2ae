/**
 * `faas-loadgen <command>`: replay | stats | generate. Each command lives in `commands/<name>.ts`
 * and registers its own flags, so `--help` is generated from the same definitions the code reads.
 * Heavy modules (undici, the trace readers) are imported inside the actions, so `--help` is fast.
 */
import { Command } from 'commander';
import { reportError } from '#kernel/input-error.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from '#kernel/package-root.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('faas-loadgen')
    .description('Replay Azure Functions traces against an OpenFaaS gateway (open loop), describe traces, generate synthetic ones')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  const exitCodeBefore = process.exitCode;
  try {
    await program.parseAsync([...argv]);
    const code = process.exitCode;
    process.exitCode = exitCodeBefore;
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    return reportError('faas-loadgen', err);
  }
}
