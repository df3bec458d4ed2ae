/**
 * Bad input from the user (a flag, a file, a custom resource field). The CLIs print `message` as
 * one line and exit with code 2, without a stack trace. Messages name the field (or file, line and
 * column) and, where there is a fixed set, the allowed values.
 */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Exit code for bad input (usage errors), as in most CLIs. */
export const EXIT_USAGE = 2;
