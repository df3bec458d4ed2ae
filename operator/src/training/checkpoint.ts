/**
 * Training checkpoints that survive a crash. A checkpoint is a model directory (weights and
 * metadata, `model/model-io.ts`) plus `trainer-state.json` (update count, generator, running
 * statistics, optimizer moments, curves), and the two must belong together: the state records the
 * model's checksum. Each checkpoint is written whole into a fresh directory beside the old one and
 * swapped in by renames, so a process killed at any moment leaves either the previous checkpoint or
 * the new one, never a mix:
 *
 *   write DIR.tmp-PID/ → rename DIR → DIR.old → rename DIR.tmp-PID → DIR → remove DIR.old
 *
 * (killed between the two renames: only DIR.old is there, and it is whole). `--resume` reads DIR,
 * else DIR.old, checks the pair, and says in one line what is wrong when it cannot be used.
 */
import { makeDirs } from '#kernel/output.js';
import { access, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { loadModel, saveModel, type LoadedModel, type ModelMetadataInput } from '../model/model-io.js';
import type { ActorCritic, Algo } from '../model/networks.js';

export const TRAINER_STATE_FILE = 'trainer-state.json';

/** What a checkpoint's trainer state must hold besides the caller's fields. */
interface Stamped {
  /** The checksum of the model saved with this state. */
  modelChecksum: string;
}

/** Writes `network` and `state` as the checkpoint in `dir`, replacing the previous one whole. */
export async function writeCheckpoint<S extends object>(
  dir: string,
  model: { network: ActorCritic; meta: ModelMetadataInput },
  state: S,
): Promise<void> {
  const tmp = join(dirname(dir), `${basename(dir)}.tmp-${process.pid}`);
  const old = `${dir}.old`;
  // Whatever a killed run left half-written (its own .tmp-PID) goes, ours included.
  for (const entry of await readdir(dirname(dir)).catch(() => [] as string[])) {
    if (entry.startsWith(`${basename(dir)}.tmp-`)) await rm(join(dirname(dir), entry), { recursive: true, force: true });
  }
  await makeDirs(tmp);
  const modelChecksum = await saveModel(tmp, model.network, model.meta);
  await writeFile(join(tmp, TRAINER_STATE_FILE), JSON.stringify({ ...state, modelChecksum } satisfies S & Stamped));
  await rm(old, { recursive: true, force: true });
  if (await exists(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/**
 * The checkpoint in `dir` (or the whole one a crash left in `dir.old`), verified; null when there
 * is none. A checkpoint that cannot be used is an InputError in one line: the CLI exits 2.
 */
export async function readCheckpoint<S extends object>(dir: string, expectAlgo: Algo): Promise<{ state: S; model: LoadedModel } | null> {
  const where = (await exists(dir)) ? dir : (await exists(`${dir}.old`)) ? `${dir}.old` : null;
  if (where === null) return null;
  const unusable = (why: string): InputError =>
    new InputError(`--resume: the checkpoint in ${where} is unusable (${why}); train again without --resume, or into another --out`);
  let state: S & Stamped;
  try {
    state = JSON.parse(await readFile(join(where, TRAINER_STATE_FILE), 'utf8')) as S & Stamped;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw unusable(e.code === 'ENOENT' ? `no ${TRAINER_STATE_FILE}` : `${TRAINER_STATE_FILE}: ${e.message.split('\n')[0]}`);
  }
  if (typeof state !== 'object' || state === null || typeof state.modelChecksum !== 'string') {
    throw unusable(`${TRAINER_STATE_FILE} does not name the model it belongs to`);
  }
  let model: LoadedModel;
  try {
    model = await loadModel(where, { expectAlgo });
  } catch (err) {
    throw unusable((err as Error).message.split('\n')[0]);
  }
  if (model.metadata.checksum !== state.modelChecksum) {
    model.network.dispose();
    throw unusable(
      `the model (${model.metadata.checksum.slice(0, 12)}) is not the one the trainer state was saved with (${state.modelChecksum.slice(0, 12)})`,
    );
  }
  return { state, model };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
