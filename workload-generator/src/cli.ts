/**
 * `faas-loadgen <command>`: replay | stats | generate. Each command lives in `commands/<name>.ts`
 * and registers its own flags, so `--help` is generated from the same definitions the code reads.
 * Heavy modules (undici, the trace readers) are imported inside the actions, so `--help` is fast.
 */
import { Command, CommanderError } from 'commander';
import { InputError, EXIT_USAGE } from './input-error.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('faas-loadgen')
    .description('Replay Azure Functions traces against an OpenFaaS gateway (open loop), describe traces, generate synthetic ones')
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

/**
 * One line on stderr and an exit code: 2 for bad input, 1 for anything else (with its stack).
 * The same rules as `faas-autoscaler` (operator/src/cli.ts), kept here so the load generator
 * does not depend on the operator.
 */
export function reportError(program: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help text for --help / --version).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return 0;
    }
    return EXIT_USAGE;
  }
  if (err instanceof InputError) {
    process.stderr.write(`${program}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
