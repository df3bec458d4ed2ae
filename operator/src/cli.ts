/**
 * `faas-autoscaler <command>`. Each command lives in `commands/<name>.ts` and registers its own
 * flags, so `--help` is generated from the same definitions the code reads. Heavy modules (tfjs,
 * the Kubernetes client) are imported inside the actions, so `--help` and `evaluate` start fast.
 */
import { Command } from 'commander';
import { reportError } from '#kernel/input-error.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from './package-root.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('faas-autoscaler')
    .description('Autoscaling operator for OpenFaaS functions, with LSTM-PPO+ and baseline policies')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError('faas-autoscaler', err);
  }
}
