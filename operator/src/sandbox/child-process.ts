/**
 * A server binary as a child process (Prometheus, etcd, kube-apiserver): its output appended to a
 * log file, started when its `ready` probe answers true, stopped with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ChildOptions {
  /** For messages: `prometheus`, `etcd`, ... */
  name: string;
  binary: string;
  args: readonly string[];
  /** Where the child's stdout and stderr go (appended). */
  logFile: string;
  /** Resolves true once the server serves; throwing counts as "not yet". */
  ready(): Promise<boolean>;
  readyTimeoutMs: number;
}

export interface ChildHandle {
  pid: number;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s; 0 = SIGKILL at once, a crash); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export async function startChild(opts: ChildOptions): Promise<ChildHandle> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.binary, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => log.end());
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + opts.readyTimeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`${opts.name} could not start (${opts.binary}): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with code ${child.exitCode} before it was ready: ${tail.trim()}`);
    try {
      if (await opts.ready()) break;
    } catch {
      // not serving yet
    }
    if (Date.now() > deadline) {
      await stop(0);
      throw new Error(`${opts.name} was not ready within ${opts.readyTimeoutMs} ms: ${tail.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, child, stop };
}
