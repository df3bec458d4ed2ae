/** Readiness models on a scripted clock: when pods become ready, and which go first on scale-down. */
import { ManualClock } from '#kernel/clock.js';
import { DelayedReadiness, ManualReadiness } from '../../../operator/src/sandbox/deployments.js';

describe('DelayedReadiness', () => {
  it('makes each pod ready its delay after creation and reports each change', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const r = new DelayedReadiness({ clock, readyDelayMs: 1000 });
    const changes: string[] = [];
    r.onChange((k) => changes.push(`${clock.now() - Date.UTC(2025, 0, 1)} ${k}`));
    r.setDesired('ns/f', 2);
    clock.advanceSync(500);
    r.setDesired('ns/f', 3); // the third pod starts 500 ms later
    expect(r.ready('ns/f')).toBe(0);
    clock.advanceSync(500);
    expect(r.ready('ns/f')).toBe(2);
    clock.advanceSync(500);
    expect(r.ready('ns/f')).toBe(3);
    expect(changes).toEqual(['1000 ns/f', '1000 ns/f', '1500 ns/f']);
  });

  it('removes unready pods first on scale-down, and cancels their timers', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const r = new DelayedReadiness({ clock, readyDelayMs: 1000 });
    r.setDesired('ns/f', 2);
    clock.advanceSync(1000);
    r.setDesired('ns/f', 4);
    r.setDesired('ns/f', 2);
    expect(r.ready('ns/f')).toBe(2);
    expect(clock.pending()).toBe(0);
    r.setDesired('ns/f', 1);
    expect(r.ready('ns/f')).toBe(1);
  });

  it('takes a per-Deployment delay (cold starts differ per function)', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const r = new DelayedReadiness({ clock, readyDelayMs: (key) => (key === 'ns/slow' ? 5000 : 0) });
    r.setDesired('ns/fast', 1);
    r.setDesired('ns/slow', 1);
    expect([r.ready('ns/fast'), r.ready('ns/slow')]).toEqual([1, 0]);
  });
});

describe('ManualReadiness', () => {
  it('reports what it is told, never more than desired', () => {
    const r = new ManualReadiness();
    const changes: string[] = [];
    r.onChange((k) => changes.push(k));
    r.setDesired('ns/f', 2);
    r.setReady('ns/f', 5);
    expect(r.ready('ns/f')).toBe(2);
    expect(changes).toEqual(['ns/f']);
  });
});

describe('ManualClock.advanceSync', () => {
  it('fires timers in time order, including timers set by timers', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    const cancel = clock.setTimeout(() => fired.push('never'), 12);
    cancel();
    clock.advanceSync(30);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(30);
  });
});
