/**
 * `train` killed with SIGKILL at moments spread over its checkpoint writes (one checkpoint per
 * update): `train --resume` then either continues from a consistent checkpoint to the end, or says
 * in one line that the checkpoint is unusable (exit 2) — never a stack trace, never a model that
 * mixes one update's weights with another's state.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAAS_AUTOSCALER } from './harness.js';
import { REPO_ROOT } from '../support/tools.js';

const ARGS = [
  ...['train', '--algo', 'ppo', '--steps', '4096', '--envs', '4', '--rollout-steps', '32', '--minibatches', '2', '--epochs', '1'],
  ...['--functions', 'top:12', '--target-loads', '2', '--eval-every', '100', '--checkpoint-every', '1', '--episode-intervals', '20'],
  '--no-progress',
];
/** How long after the first checkpoint appears each run is killed (ms). */
const KILL_AFTER_MS = [0, 25, 60, 110, 180, 270, 400, 700];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'train-kill-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `train`, waits for its first checkpoint (or its temporary directory), waits `afterMs`, kills it. */
async function killDuringCheckpoints(out: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, [FAAS_AUTOSCALER, ...ARGS, '--out', out], { cwd: REPO_ROOT, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(existsSync(out) && readdirSync(out).some((f) => f.startsWith('checkpoint')))) {
    if (Date.now() > deadline) throw new Error('no checkpoint within 60 s');
    await sleep(5);
  }
  await sleep(afterMs);
  child.kill('SIGKILL');
  await exited;
}

describe('train killed during checkpoint writes, then --resume', () => {
  it.each(KILL_AFTER_MS)(
    'killed %i ms after the first checkpoint: resumes to the end, or one line, exit 2',
    async (afterMs) => {
      const out = join(root, `after-${afterMs}`);
      await killDuringCheckpoints(out, afterMs);
      const hadCheckpoint = existsSync(join(out, 'checkpoint')) || existsSync(join(out, 'checkpoint.old'));
      const resumed = spawnSync(process.execPath, [FAAS_AUTOSCALER, ...ARGS, '--out', out, '--resume'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      const stderr = resumed.stderr.trim();
      expect({ status: resumed.status, stack: /\n\s+at /.test(stderr) }).toMatchObject({ stack: false });
      if (resumed.status === 2) {
        expect(stderr.split('\n')).toHaveLength(1);
        expect(stderr).toMatch(/--resume: the checkpoint in .* is unusable \(.+\); train again without --resume, or into another --out$/);
        return;
      }
      expect({ status: resumed.status, stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      // It continued from the checkpoint when there was one (else started afresh), and ran to the last update.
      const log = resumed.stdout + resumed.stderr;
      const curves = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n').slice(1);
      expect(curves.map((line) => Number(line.split(',')[0]))).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
      expect(/resumed from .*checkpoint at update \d+/.test(log)).toBe(hadCheckpoint);
      expect(readdirSync(out).filter((f) => f.startsWith('checkpoint'))).toEqual(['checkpoint']);
      expect(existsSync(join(out, 'model.json'))).toBe(true);
    },
    180_000,
  );
});
