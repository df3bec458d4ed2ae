/**
 * Functions under one learned model are decided in one forward pass per tick, and each gets the
 * decision it would get alone.
 */
import { jest } from '@jest/globals';
import { ActorCritic } from '../../../operator/src/model/networks.js';
import { createPolicy } from '../../../operator/src/policies/registry.js';
import { fas, harness, NS, started, type Harness } from './controller-harness.js';

const FUNCTIONS = ['alpha', 'beta', 'gamma'];

async function cluster(names: readonly string[]): Promise<Harness> {
  const h = await harness({ createPolicy });
  names.forEach((name) => {
    const i = FUNCTIONS.indexOf(name);
    h.cluster.putDeployment(NS, name, 2);
    h.cluster.putAutoscaler(fas(name, { policy: { name: 'lstm-ppo-plus' } }));
    h.prom.set(`${name}.${NS}`, { rps: 20 + 15 * i, cpuCores: 0.05 + 0.1 * i, pods: 2 });
  });
  // One more function under a baseline: decided on its own, alongside.
  h.cluster.putDeployment(NS, 'plain', 2);
  h.cluster.putAutoscaler(fas('plain', { policy: { name: 'hpa' } }));
  h.prom.set(`plain.${NS}`, { rps: 10, cpuCores: 0.05, pods: 2 });
  return h;
}

async function replicasOver(h: Harness, names: readonly string[], intervals: number): Promise<number[][]> {
  const seen: number[][] = [];
  // Loading the model reads files (real I/O, not scripted time): each tick is awaited, not only the clock.
  await started(h);
  await h.controller.tick();
  for (let i = 0; i < intervals; i++) {
    await h.clock.advance(30_000);
    await h.controller.tick();
    seen.push(names.map((n) => h.status(n).desiredReplicas ?? -1));
  }
  return seen;
}

describe('learned policies in the operator', () => {
  it('one network step per tick for all functions of the model, with the decisions each gets alone', async () => {
    const steps = jest.spyOn(ActorCritic.prototype, 'step');
    let together: number[][];
    try {
      const h = await cluster(FUNCTIONS);
      together = await replicasOver(h, FUNCTIONS, 5);
      // Every tick: one step of batch 3 (the first tick's included), none per function.
      expect(steps.mock.calls.map((c) => c[1])).toEqual(Array(6).fill(3));
      expect(h.status('plain').activePolicy).toBe('hpa');
      await h.controller.stop();
    } finally {
      steps.mockRestore();
    }
    const alone: number[][][] = [];
    for (const name of FUNCTIONS) {
      const h = await cluster([name]);
      alone.push(await replicasOver(h, [name], 5));
      await h.controller.stop();
    }
    expect(together).toEqual(alone[0].map((_, t) => alone.map((a) => a[t][0])));
    expect(together.flat().every((r) => r >= 1)).toBe(true);
  });
});
