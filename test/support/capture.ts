/**
 * Runs a CLI's `main` in-process with stdout and stderr captured, for tests of exit codes and
 * one-line errors.
 */

export interface Captured<T> {
  value: T;
  stdout: string;
  stderr: string;
}

/** Calls `fn` with process.stdout/stderr writes captured (and not printed). */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const value = await fn();
    return { value, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

/** `main(['node', program, ...args])` with output captured: exit code, stdout, stderr. */
export async function runMain(
  main: (argv: readonly string[]) => Promise<number>,
  program: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { value, stdout, stderr } = await captureOutput(() => main(['node', program, ...args]));
  return { code: value, stdout, stderr };
}
