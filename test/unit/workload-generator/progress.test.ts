import { formatProgress, progressPrinter } from '../../../workload-generator/src/progress.js';
import type { ProgressSnapshot } from '../../../workload-generator/src/replay.js';

const snap: ProgressSnapshot = {
  elapsedSeconds: 12,
  targetRps: 1000,
  achievedRps: 998.5,
  sent: 12000,
  ok: 11990,
  errors: 7,
  late: 3,
  inflight: 3,
};

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = {
    isTTY,
    write: (s: string) => {
      written.push(s);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe('progress', () => {
  it('shows target vs achieved rate, errors, late sends and in-flight requests', () => {
    expect(formatProgress(snap)).toBe('   12.0s  target 1000.0/s  achieved 998.5/s  sent 12000  ok 11990  errors 7  late 3  in flight 3');
  });

  const cases: { mode: 'auto' | 'always' | 'never'; tty: boolean; want: string[] | undefined }[] = [
    { mode: 'auto', tty: true, want: [`\r\x1b[K${formatProgress(snap)}`, '\n'] }, // one line rewritten in place, ended on close
    { mode: 'auto', tty: false, want: undefined }, // piped: silent
    { mode: 'always', tty: false, want: [`${formatProgress(snap)}\n`] }, // piped but asked for: one line per update
    { mode: 'never', tty: true, want: undefined },
  ];
  it.each(cases)('--progress $mode on a terminal=$tty', ({ mode, tty, want }) => {
    const { stream, written } = fakeStream(tty);
    const printer = progressPrinter(mode, stream);
    printer?.update(snap);
    printer?.close();
    expect(printer === undefined ? undefined : written).toEqual(want);
  });
});
