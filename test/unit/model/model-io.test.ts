import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTfBackend, tf } from '../../../operator/src/model/backend.js';
import { featureColumns, featureCount } from '../../../operator/src/model/features.js';
import {
  loadModel,
  METADATA_FILE,
  ModelLoadError,
  saveModel,
  WEIGHTS_FILE,
  type ModelMetadataInput,
} from '../../../operator/src/model/model-io.js';
import { ActorCritic, defaultArchitecture, initialWeights, type Algo } from '../../../operator/src/model/networks.js';

let dir: string;
beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function meta(inputs: number): ModelMetadataInput {
  return {
    features: {
      set: 'lstm-ppo-plus',
      columns: featureColumns('lstm-ppo-plus'),
      mean: Array.from({ length: inputs }, (_, i) => i * 0.1),
      std: Array.from({ length: inputs }, (_, i) => 1 + i),
      clip: 10,
    },
    actions: { space: 'delta5' },
    reward: { name: 'gaussian' },
    training: { args: { seed: 1 }, environmentSteps: 0, updates: 0, wallSeconds: 0, backend: 'wasm' },
    trace: null,
    packageVersion: '0.0.0-test',
    gitCommit: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

async function saveNetwork(algo: Algo = 'lstm-ppo-plus'): Promise<ActorCritic> {
  const inputs = featureCount('lstm-ppo-plus');
  const arch = defaultArchitecture(algo, inputs, 5);
  const net = new ActorCritic(arch, initialWeights(arch, 11));
  await saveModel(dir, net, meta(inputs));
  return net;
}

function greedyActions(net: ActorCritic, steps: number): number[] {
  let state = net.initialState(1);
  const actions: number[] = [];
  for (let t = 0; t < steps; t++) {
    const x = Float32Array.from({ length: 7 }, (_, i) => Math.cos(t + i));
    const out = net.step(x, 1, state);
    state = out.state;
    actions.push(out.logits.indexOf(Math.max(...out.logits)));
    actions.push(out.values[0]);
  }
  return actions;
}

describe('save → load', () => {
  test.each([{ algo: 'lstm-ppo-plus' as Algo }, { algo: 'ppo' as Algo }])('$algo: identical outputs and metadata', async ({ algo }) => {
    const saved = await saveNetwork(algo);
    const { network, metadata } = await loadModel(dir, { expectAlgo: algo });
    expect(greedyActions(network, 6)).toEqual(greedyActions(saved, 6));
    expect(metadata.features.std).toEqual(meta(7).features.std);
    expect(metadata.algo).toBe(algo);
    saved.dispose();
    network.dispose();
  });
});

describe('corrupt or mismatched models are rejected with one clear error', () => {
  const cases: { name: string; corrupt: (d: string) => Promise<void>; want: RegExp; expectAlgo?: Algo }[] = [
    {
      // One flipped bit in the weights.
      name: 'weights modified',
      corrupt: async (d) => {
        const bytes = await readFile(join(d, WEIGHTS_FILE));
        bytes[100] ^= 1;
        await writeFile(join(d, WEIGHTS_FILE), bytes);
      },
      want: /checksum mismatch/,
    },
    {
      name: 'weights truncated',
      corrupt: async (d) => {
        const bytes = await readFile(join(d, WEIGHTS_FILE));
        await writeFile(join(d, WEIGHTS_FILE), bytes.subarray(0, bytes.length - 4));
      },
      want: /weights\.bin has \d+ bytes, the architecture needs \d+/,
    },
    {
      // Metadata edited by hand (feature normalisation changed): the checksum covers it.
      name: 'metadata modified',
      corrupt: async (d) => {
        const m = JSON.parse(await readFile(join(d, METADATA_FILE), 'utf8'));
        m.features.mean[0] = 42;
        await writeFile(join(d, METADATA_FILE), JSON.stringify(m));
      },
      want: /checksum mismatch/,
    },
    {
      name: 'metadata not JSON',
      corrupt: async (d) => writeFile(join(d, METADATA_FILE), '{"format": '),
      want: /model\.json is not valid JSON/,
    },
    {
      name: 'architecture does not match the feature set',
      corrupt: async (d) => {
        const m = JSON.parse(await readFile(join(d, METADATA_FILE), 'utf8'));
        m.architecture.inputSize = 6;
        await writeFile(join(d, METADATA_FILE), JSON.stringify(m));
      },
      want: /inputSize 6 does not match feature set lstm-ppo-plus \(7 columns\)/,
    },
    {
      name: 'unknown format version',
      corrupt: async (d) => {
        const m = JSON.parse(await readFile(join(d, METADATA_FILE), 'utf8'));
        m.format = 'faas-autoscaler-model/v0';
        await writeFile(join(d, METADATA_FILE), JSON.stringify(m));
      },
      want: /format is "faas-autoscaler-model\/v0"/,
    },
    {
      name: 'weights file missing',
      corrupt: async (d) => rm(join(d, WEIGHTS_FILE)),
      want: /cannot read weights\.bin/,
    },
    {
      // A valid model of another algorithm.
      name: 'wrong algorithm for the policy',
      corrupt: async () => undefined,
      expectAlgo: 'ppo',
      want: /is a lstm-ppo-plus model, but the ppo policy needs a ppo model/,
    },
  ];
  test.each(cases)('$name', async ({ corrupt, want, expectAlgo }) => {
    const net = await saveNetwork();
    net.dispose();
    await corrupt(dir);
    const before = tf.memory().numTensors;
    const err = await loadModel(dir, { expectAlgo }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(want);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
