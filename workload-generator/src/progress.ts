/**
 * Live progress on stderr: target vs achieved rate, errors, late sends, in flight. On a terminal
 * one line is rewritten in place; elsewhere (with `--progress always`) one line per interval.
 */
import type { ProgressSnapshot } from './replay.js';

export type ProgressMode = 'auto' | 'always' | 'never';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'always', 'never'];

export interface ProgressPrinter {
  update(p: ProgressSnapshot): void;
  /** Ends the in-place line so later output starts on a fresh one. */
  close(): void;
}

export function progressPrinter(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): ProgressPrinter | undefined {
  const tty = stream.isTTY === true;
  if (mode === 'never' || (mode === 'auto' && !tty)) return undefined;
  let wrote = false;
  return {
    update(p) {
      const line = formatProgress(p);
      stream.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      wrote = true;
    },
    close() {
      if (tty && wrote) stream.write('\n');
    },
  };
}

export function formatProgress(p: ProgressSnapshot): string {
  return (
    `${p.elapsedSeconds.toFixed(1).padStart(7)}s  target ${p.targetRps.toFixed(1)}/s  achieved ${p.achievedRps.toFixed(1)}/s` +
    `  sent ${p.sent}  ok ${p.ok}  errors ${p.errors}  late ${p.late}  in flight ${p.inflight}`
  );
}
