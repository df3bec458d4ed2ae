import { computeGae } from '../../../operator/src/training/gae.js';

describe('computeGae', () => {
  test('one env, three steps, no episode boundary: hand-computed', () => {
    // γ = 0.5, λ = 0.5, so every factor is a power of a half.
    // δ2 = r2 + γ·V_next − V2 = 1 + 0.5·4 − 2 = 1
    // δ1 = r1 + γ·V2 − V1      = 0 + 0.5·2 − 1 = 0
    // δ0 = r0 + γ·V1 − V0      = 2 + 0.5·1 − 3 = −0.5
    // A2 = 1; A1 = 0 + 0.25·1 = 0.25; A0 = −0.5 + 0.25·0.25 = −0.4375
    const got = computeGae({
      steps: 3,
      envs: 1,
      rewards: Float32Array.from([2, 0, 1]),
      values: Float32Array.from([3, 1, 2]),
      episodeStarts: Float32Array.from([0, 0, 0]),
      nextValues: Float32Array.from([4]),
      nextEpisodeStarts: Float32Array.from([0]),
      gamma: 0.5,
      lambda: 0.5,
    });
    expect([...got.advantages]).toEqual([-0.4375, 0.25, 1]);
    expect([...got.returns]).toEqual([2.5625, 1.25, 3]);
  });

  test('an episode start cuts bootstrapping and the advantage trace', () => {
    // Step 2 begins a new episode, so step 1 is the last of the old one: δ1 = r1 − V1 and A1 = δ1.
    // After the rollout the next observation also starts an episode: δ2 = r2 − V2.
    // δ2 = 1 − 2 = −1 → A2 = −1
    // δ1 = 0 − 1 = −1 → A1 = −1
    // δ0 = 2 + 0.5·1 − 3 = −0.5 → A0 = −0.5 + 0.25·(−1) = −0.75
    const got = computeGae({
      steps: 3,
      envs: 1,
      rewards: Float32Array.from([2, 0, 1]),
      values: Float32Array.from([3, 1, 2]),
      episodeStarts: Float32Array.from([1, 0, 1]),
      nextValues: Float32Array.from([4]),
      nextEpisodeStarts: Float32Array.from([1]),
      gamma: 0.5,
      lambda: 0.5,
    });
    expect([...got.advantages]).toEqual([-0.75, -1, -1]);
    expect([...got.returns]).toEqual([2.25, 0, 1]);
  });

  test('envs are independent columns of the time-major layout', () => {
    // Env 0 is the first scenario above; env 1 is constant reward 1 with γ = 0.5, λ = 0.5 and zero
    // values: δ = 1 everywhere, A2 = 1, A1 = 1 + 0.25 = 1.25, A0 = 1 + 0.25·1.25 = 1.3125.
    const got = computeGae({
      steps: 3,
      envs: 2,
      rewards: Float32Array.from([2, 1, 0, 1, 1, 1]),
      values: Float32Array.from([3, 0, 1, 0, 2, 0]),
      episodeStarts: Float32Array.from([0, 0, 0, 0, 0, 0]),
      nextValues: Float32Array.from([4, 0]),
      nextEpisodeStarts: Float32Array.from([0, 0]),
      gamma: 0.5,
      lambda: 0.5,
    });
    expect([...got.advantages]).toEqual([-0.4375, 1.3125, 0.25, 1.25, 1, 1]);
  });

  test('λ = 1 gives the discounted return minus the value (Monte Carlo)', () => {
    // γ = 0.9, rewards 1, 1, 1, next value 10: G2 = 1 + 9 = 10, G1 = 1 + 9 = 10, G0 = 10.
    const got = computeGae({
      steps: 3,
      envs: 1,
      rewards: Float32Array.from([1, 1, 1]),
      values: Float32Array.from([0, 5, 0]),
      episodeStarts: Float32Array.from([0, 0, 0]),
      nextValues: Float32Array.from([10]),
      nextEpisodeStarts: Float32Array.from([0]),
      gamma: 0.9,
      lambda: 1,
    });
    const want = [10, 10, 10];
    got.returns.forEach((r, i) => expect(r).toBeCloseTo(want[i], 5));
  });
});
