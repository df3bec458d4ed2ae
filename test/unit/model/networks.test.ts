import { initTfBackend, tf } from '../../../operator/src/model/backend.js';
import { ActorCritic, ALGOS, defaultArchitecture, initialWeights, paramSpecs, type Algo } from '../../../operator/src/model/networks.js';

beforeAll(async () => {
  await initTfBackend({ prefer: 'wasm' });
});

function features(batch: number, inputs: number, seed: number): Float32Array {
  const out = new Float32Array(batch * inputs);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin(seed * 7.1 + i * 1.3);
  return out;
}

describe('backend', () => {
  test('wasm loads under jest (setWasmPaths points into node_modules)', () => {
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('architectures', () => {
  const cases: { algo: Algo; inputs: number; params: number }[] = [
    // 7·64+64 + 64·64+64 + (64+256)·1024+1024 + 256·5+5 + 256·1+1
    { algo: 'lstm-ppo-plus', inputs: 7, params: 512 + 4160 + 328704 + 1285 + 257 },
    // (6+256)·1024+1024 + 2·(256·64+64 + 64·64+64) + 64·5+5 + 64·1+1
    { algo: 'lstm-ppo', inputs: 6, params: 269312 + 2 * (16448 + 4160) + 325 + 65 },
    // 2·(7·64+64 + 64·64+64) + 64·5+5 + 64+1
    { algo: 'ppo', inputs: 7, params: 2 * (512 + 4160) + 325 + 65 },
  ];
  test.each(cases)('$algo has the published parameter count', ({ algo, inputs, params }) => {
    const arch = defaultArchitecture(algo, inputs, 5);
    const got = paramSpecs(arch).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    expect(got).toBe(params);
  });
});

describe('ActorCritic', () => {
  test.each(ALGOS.map((algo) => ({ algo })))('$algo: same seed, same weights and outputs; step equals unroll', ({ algo }) => {
    const arch = defaultArchitecture(algo, 7, 5);
    const a = new ActorCritic(arch, initialWeights(arch, 3));
    const b = new ActorCritic(arch, initialWeights(arch, 3));
    const x = features(2, 7, 1);
    const outA = a.step(x, 2, a.initialState(2));
    const outB = b.step(x, 2, b.initialState(2));
    expect([...outA.logits]).toEqual([...outB.logits]);
    expect([...outA.values]).toEqual([...outB.values]);
    expect(outA.logits.length).toBe(10);
    expect(outA.values.length).toBe(2);

    // Three steps one by one, with an episode start at step 2 for sequence 1, must equal one unroll.
    const steps = 3;
    const xs = [features(2, 7, 1), features(2, 7, 2), features(2, 7, 3)];
    const starts = [0, 0, 0, 0, 0, 1];
    let state = a.initialState(2);
    const stepLogits: number[] = [];
    const stepValues: number[] = [];
    for (let t = 0; t < steps; t++) {
      if (state) {
        for (let b2 = 0; b2 < 2; b2++) {
          if (starts[t * 2 + b2]) {
            state.h.fill(0, b2 * arch.lstmUnits, (b2 + 1) * arch.lstmUnits);
            state.c.fill(0, b2 * arch.lstmUnits, (b2 + 1) * arch.lstmUnits);
          }
        }
      }
      const out = a.step(xs[t], 2, state);
      state = out.state;
      stepLogits.push(...out.logits);
      stepValues.push(...out.values);
    }
    const [logits, values] = tf.tidy(() => {
      const out = a.unroll({
        features: tf.tensor2d(Float32Array.from(xs.flatMap((v) => [...v])), [6, 7]),
        episodeStarts: tf.tensor2d(starts, [6, 1]),
        initialState: a.initialState(2),
        steps,
        batch: 2,
      });
      return [out.logits, out.values];
    });
    const gotLogits = [...logits.dataSync()];
    const gotValues = [...values.dataSync()];
    tf.dispose([logits, values]);
    gotLogits.forEach((v, i) => expect(v).toBeCloseTo(stepLogits[i], 5));
    gotValues.forEach((v, i) => expect(v).toBeCloseTo(stepValues[i], 5));
    a.dispose();
    b.dispose();
  });

  test('the recurrent state carries information: same input, different history, different output', () => {
    const arch = defaultArchitecture('lstm-ppo-plus', 7, 5);
    const net = new ActorCritic(arch, initialWeights(arch, 1));
    const x = features(1, 7, 5);
    const fresh = net.step(x, 1, net.initialState(1));
    const warmed = net.step(x, 1, net.step(features(1, 7, 9), 1, net.initialState(1)).state);
    expect([...fresh.values]).not.toEqual([...warmed.values]);
    net.dispose();
  });

  test('a wrong weight size is rejected and nothing leaks', () => {
    const arch = defaultArchitecture('ppo', 7, 5);
    const weights = initialWeights(arch, 1);
    weights.set('critic.out.bias', new Float32Array(2));
    const before = tf.memory().numTensors;
    expect(() => new ActorCritic(arch, weights)).toThrow('weight critic.out.bias: want 1 values, got 2');
    expect(tf.memory().numTensors).toBe(before);
  });
});
