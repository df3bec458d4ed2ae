/**
 * Bad input from the user (a flag, a file, a custom resource field). The CLIs print `message` as
 * one line and exit with code 2, without a stack trace. Messages name the field (or file, line and
 * column) and, where there is a fixed set, the allowed values.
 */
import { CommanderError } from 'commander';

export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Exit code for bad input (usage errors), as in most CLIs. */
export const EXIT_USAGE = 2;

/**
 * What both CLIs (`faas-autoscaler`, `faas-loadgen`) do with an error that reaches `main`: one
 * line on stderr and exit code 2 for bad input, the stack and exit code 1 for anything else.
 * Commander has already printed its own usage errors (and the help text for --help).
 */
export function reportError(program: string, err: unknown): number {
  if (err instanceof CommanderError) {
    const printedHelp = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
    return printedHelp ? 0 : EXIT_USAGE;
  }
  if (err instanceof InputError) {
    process.stderr.write(`${program}: ${err.message}\n`);
    return EXIT_USAGE;
  }
  process.stderr.write(`${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
