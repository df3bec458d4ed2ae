/**
 * Checkpoints written whole and verified on resume (training/checkpoint.ts): a state torn by a
 * crash, a model from another checkpoint and a crash between the two renames each give either the
 * previous whole checkpoint or one line saying why it cannot be used.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { initTfBackend } from '../../../operator/src/model/backend.js';
import { featureCount } from '../../../operator/src/model/features.js';
import { saveModel } from '../../../operator/src/model/model-io.js';
import { ActorCritic, defaultArchitecture, initialWeights } from '../../../operator/src/model/networks.js';
import { readCheckpoint, TRAINER_STATE_FILE, writeCheckpoint } from '../../../operator/src/training/checkpoint.js';
import { testModelMetadata } from '../../support/fixtures.js';

const N = featureCount('lstm-ppo-plus');
const META = testModelMetadata('lstm-ppo-plus', { mean: 0, std: 1 });

let out: string;
let dir: string;
const nets: ActorCritic[] = [];
function net(seed: number): ActorCritic {
  const n = new ActorCritic(defaultArchitecture('ppo', N, 5), initialWeights(defaultArchitecture('ppo', N, 5), seed));
  nets.push(n);
  return n;
}

beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'checkpoint-'));
  dir = join(out, 'checkpoint');
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
  for (const n of nets.splice(0)) n.dispose();
});

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => new Error('no error'),
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(InputError);
  expect(err.message).not.toContain('\n');
  return err;
}

it('round-trips the state with its model, and replaces the previous checkpoint whole', async () => {
  expect(await readCheckpoint(dir, 'ppo')).toBeNull();
  await writeCheckpoint(dir, { network: net(1), meta: META }, { update: 1 });
  await writeCheckpoint(dir, { network: net(2), meta: META }, { update: 2 });
  const cp = (await readCheckpoint<{ update: number }>(dir, 'ppo'))!;
  expect(cp.state.update).toBe(2);
  expect(cp.model.network.weights().get('actor.out.kernel')).toEqual(nets[1]!.weights().get('actor.out.kernel'));
  cp.model.network.dispose();
});

it('a trainer state torn mid-write: one line saying the checkpoint is unusable', async () => {
  await writeCheckpoint(dir, { network: net(1), meta: META }, { update: 1 });
  const text = await readFile(join(dir, TRAINER_STATE_FILE), 'utf8');
  await writeFile(join(dir, TRAINER_STATE_FILE), text.slice(0, text.length / 2));
  const err = await failure(readCheckpoint(dir, 'ppo'));
  expect(err.message).toMatch(
    new RegExp(
      `^--resume: the checkpoint in ${dir} is unusable \\(${TRAINER_STATE_FILE}: .*\\); train again without --resume, or into another --out$`,
    ),
  );
});

it('a model that is not the one the state was saved with (weights of a later update): refused', async () => {
  await writeCheckpoint(dir, { network: net(1), meta: META }, { update: 10 });
  await saveModel(dir, net(2), META);
  const err = await failure(readCheckpoint(dir, 'ppo'));
  expect(err.message).toMatch(
    /is unusable \(the model \([0-9a-f]{12}\) is not the one the trainer state was saved with \([0-9a-f]{12}\)\)/,
  );
});

it('killed between the two renames: the whole previous checkpoint is read from DIR.old', async () => {
  await writeCheckpoint(dir, { network: net(1), meta: META }, { update: 7 });
  await rename(dir, `${dir}.old`);
  const cp = (await readCheckpoint<{ update: number }>(dir, 'ppo'))!;
  expect(cp.state.update).toBe(7);
  cp.model.network.dispose();
  // The next write replaces both.
  await writeCheckpoint(dir, { network: net(2), meta: META }, { update: 8 });
  expect((await readCheckpoint<{ update: number }>(dir, 'ppo'))!.state.update).toBe(8);
});

it('a checkpoint of another algorithm: refused in one line', async () => {
  await writeCheckpoint(dir, { network: net(1), meta: META }, { update: 1 });
  const err = await failure(readCheckpoint(dir, 'lstm-ppo-plus'));
  expect(err.message).toMatch(/is unusable \(.*ppo.*lstm-ppo-plus|lstm-ppo-plus.*ppo/);
});
