/**
 * `faas-autoscaler <command>`. Each command lives in `commands/<name>.ts` and registers its own
 * flags, so `--help` is generated from the same definitions the code reads. Heavy modules (tfjs,
 * the Kubernetes client) are imported inside the actions, so `--help` and `evaluate` start fast.
 */
import { Command, CommanderError } from 'commander';
import { InputError, EXIT_USAGE } from '../../workload-generator/src/input-error.js';
import { PolicyConfigError } from './policies/policy.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('faas-autoscaler')
    .description('Autoscaling operator for OpenFaaS functions, with LSTM-PPO+ and baseline policies')
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

/** One line on stderr and an exit code: 2 for bad input, 1 for anything else (with its stack). */
export function reportError(program: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help text for --help / --version).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return 0;
    }
    return EXIT_USAGE;
  }
  if (err instanceof InputError || err instanceof PolicyConfigError) {
    process.stderr.write(`${program}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
