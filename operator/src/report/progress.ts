/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and CI output
 * stay clean). Redraws at most every 100 ms; `done()` ends the line.
 */
export interface ProgressBar {
  update(done: number, total: number, label: string): void;
  done(): void;
}

const NO_PROGRESS: ProgressBar = { update() {}, done() {} };

export function progressBar(options: { enabled?: boolean; stream?: NodeJS.WriteStream; width?: number } = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (options.enabled === false || stream.isTTY !== true) return NO_PROGRESS;
  const width = options.width ?? 30;
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total, label) {
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * width);
      const elapsed = (now - started) / 1000;
      stream.write(
        `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}% ${label} ${elapsed.toFixed(0)} s`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
