/**
 * The policy slot (controller/policy-slot.ts): load, fall back, retry, switch and dispose, with
 * the PolicyLoaded condition and the Events each step owes the user.
 */
import { pino } from 'pino';
import type { BoundedSpec } from '../../../operator/src/api/types.js';
import { ensurePolicySlot, slotKey, type PolicySlot, type SlotContext } from '../../../operator/src/controller/policy-slot.js';
import type { PolicyDeps, PolicySpec, ScalingPolicy } from '../../../operator/src/policies/policy.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import type { RailsConfig } from '../../../operator/src/rails/types.js';

const RETRY_MS = 60_000;

function spec(policy: Partial<BoundedSpec['policy']> = {}, extra: Partial<BoundedSpec> = {}): BoundedSpec {
  return {
    functionName: 'fn',
    functionNamespace: 'openfaas-fn',
    minReplicas: 1,
    maxReplicas: 10,
    intervalSeconds: 30,
    slo: { p95LatencyMs: 500 },
    policy: { name: 'hpa', fallback: 'static', ...policy },
    actuator: 'deployment-scale',
    dryRun: false,
    ...extra,
  } as BoundedSpec;
}

interface Fake extends ScalingPolicy {
  disposed: boolean;
  deps: PolicyDeps;
}

/** A policy factory whose named policies fail to load while in `broken`. */
function context(broken: Set<string>) {
  const events: string[] = [];
  const created: Fake[] = [];
  const rails: RailsConfig[] = [];
  const ctx: SlotContext = {
    createPolicy: async (s: PolicySpec, deps: PolicyDeps) => {
      if (broken.has(s.name)) throw new Error(`${s.name} is broken`);
      const p: Fake = {
        name: s.name,
        deps,
        disposed: false,
        ...(s.name === 'knative'
          ? { defaultBehavior: { scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max' as const, policies: [] } } }
          : {}),
        // A model declaring a window the rails refuse (at most an hour).
        ...(s.name === 'lstm-ppo'
          ? { defaultBehavior: { scaleDown: { stabilizationWindowSeconds: 5000, selectPolicy: 'Max' as const, policies: [] } } }
          : {}),
        recommend: () => ({ valid: false, reason: 'unused' }),
        reset() {},
        dispose() {
          p.disposed = true;
        },
      };
      created.push(p);
      return p;
    },
    createRails: (c) => (rails.push(c), new Rails(c)),
    retryMs: RETRY_MS,
    emit: (ev) => events.push(`${ev.type}/${ev.reason}: ${ev.message}`),
    log: pino({ level: 'silent' }),
  };
  return { ctx, events, created, rails };
}

describe('ensurePolicySlot', () => {
  test('loads the policy once and keeps it while nothing it was built from changes', async () => {
    const { ctx, events, created, rails } = context(new Set());
    const first = await ensurePolicySlot(undefined, { spec: spec(), requests: { cpuCores: 0.1, memoryBytes: 1e8 }, now: 0 }, ctx);
    expect(first.condition).toEqual({ type: 'PolicyLoaded', status: 'True', reason: 'Loaded', message: 'policy hpa loaded' });
    expect(first.slot).toMatchObject({ requested: 'hpa', loaded: true, key: slotKey(spec(), { cpuCores: 0.1, memoryBytes: 1e8 }) });
    expect(created[0]!.deps).toEqual({
      minReplicas: 1,
      maxReplicas: 10,
      sloP95Ms: 500,
      intervalSeconds: 30,
      resourceRequests: { cpuCores: 0.1, memoryBytes: 1e8 },
    });
    expect(rails).toEqual([{ minReplicas: 1, maxReplicas: 10, behavior: {} }]);
    const again = await ensurePolicySlot(
      first.slot,
      { spec: spec(), requests: { cpuCores: 0.1, memoryBytes: 1e8 }, now: 10 * RETRY_MS },
      ctx,
    );
    expect(again).toEqual({ slot: first.slot, condition: null });
    expect([created.length, events]).toEqual([1, []]);
  });

  test('a new SLO builds a new instance and disposes the old one, without a switch Event', async () => {
    const { ctx, events, created } = context(new Set());
    const first = await ensurePolicySlot(undefined, { spec: spec(), requests: {}, now: 0 }, ctx);
    const second = await ensurePolicySlot(first.slot, { spec: spec({}, { slo: { p95LatencyMs: 900 } }), requests: {}, now: 1000 }, ctx);
    expect(second.slot.policy).not.toBe(first.slot.policy);
    expect(created.map((p) => [p.deps.sloP95Ms, p.disposed])).toEqual([
      [500, true],
      [900, false],
    ]);
    expect(events).toEqual([]);
  });

  test('falls back when the policy cannot be loaded, retries after retryMs keeping the fallback, and retires it when the policy loads', async () => {
    const broken = new Set(['lstm-ppo-plus']);
    const { ctx, events, created } = context(broken);
    const s = spec({ name: 'lstm-ppo-plus', fallback: 'hpa' });
    const first = await ensurePolicySlot(undefined, { spec: s, requests: {}, now: 0 }, ctx);
    expect(first.condition).toMatchObject({
      status: 'False',
      reason: 'PolicyLoadFailed',
      message: 'policy lstm-ppo-plus could not be loaded (lstm-ppo-plus is broken); using fallback hpa',
    });
    expect(first.slot).toMatchObject({ loaded: false, retryAtMs: RETRY_MS });
    expect(first.slot.policy?.name).toBe('hpa');
    expect(events).toEqual([
      'Warning/PolicyFallback: policy lstm-ppo-plus could not be loaded (lstm-ppo-plus is broken); using fallback hpa',
    ]);

    // Before retryAtMs nothing is tried; after it, a failure keeps the same fallback instance.
    expect(await ensurePolicySlot(first.slot, { spec: s, requests: {}, now: RETRY_MS - 1 }, ctx)).toEqual({
      slot: first.slot,
      condition: null,
    });
    const retried = await ensurePolicySlot(first.slot, { spec: s, requests: {}, now: RETRY_MS }, ctx);
    expect(retried.condition).toBeNull();
    expect(retried.slot.policy).toBe(first.slot.policy);
    expect(retried.slot.retryAtMs).toBe(2 * RETRY_MS);
    expect(created).toHaveLength(1);

    broken.clear();
    const loaded = await ensurePolicySlot(retried.slot, { spec: s, requests: {}, now: 2 * RETRY_MS }, ctx);
    expect(loaded.condition).toMatchObject({ status: 'True', reason: 'Loaded' });
    expect(loaded.slot).toMatchObject({ loaded: true });
    expect(loaded.slot.policy?.name).toBe('lstm-ppo-plus');
    expect(created[0]!.disposed).toBe(true);
    expect(events.slice(1)).toEqual(['Normal/PolicyLoaded: policy lstm-ppo-plus loaded; fallback hpa retired']);
  });

  test('holds (no policy, no rails) when neither the policy nor its fallback loads', async () => {
    const { ctx, events } = context(new Set(['knative', 'static']));
    const r = await ensurePolicySlot(undefined, { spec: spec({ name: 'knative', fallback: 'static' }), requests: {}, now: 0 }, ctx);
    expect(r.condition).toMatchObject({
      status: 'False',
      reason: 'NoPolicy',
      message: expect.stringMatching(/nor fallback static \(static is broken\); holding the current scale$/),
    });
    expect(r.slot).toMatchObject({ policy: undefined, rails: undefined, loaded: false });
    expect(events).toEqual([expect.stringMatching(/^Warning\/PolicyUnavailable: /)]);
  });

  test('a policy declaring a behaviour the rails refuse fails to load like a missing model: fallback, disposed, no throw', async () => {
    const { ctx, events, created } = context(new Set());
    const r = await ensurePolicySlot(undefined, { spec: spec({ name: 'lstm-ppo', fallback: 'hpa' }), requests: {}, now: 0 }, ctx);
    expect(r.condition).toMatchObject({
      status: 'False',
      reason: 'PolicyLoadFailed',
      message: expect.stringMatching(
        /^policy lstm-ppo could not be loaded \(its scaling behaviour is refused: .*stabilizationWindowSeconds must be an integer in 0\.\.3600, got 5000\); using fallback hpa$/,
      ),
    });
    expect(r.slot.policy?.name).toBe('hpa');
    expect(created.map((p) => [p.name, p.disposed])).toEqual([
      ['lstm-ppo', true],
      ['hpa', false],
    ]);
    expect(events).toEqual([expect.stringMatching(/^Warning\/PolicyFallback: /)]);
  });

  test("a switch is an Event; the new rails take the policy's default behaviour under the spec's", async () => {
    const { ctx, events, created, rails } = context(new Set());
    const first = await ensurePolicySlot(undefined, { spec: spec(), requests: {}, now: 0 }, ctx);
    const switched = await ensurePolicySlot(first.slot, { spec: spec({ name: 'knative' }), requests: {}, now: 1000 }, ctx);
    expect(events).toEqual(['Normal/PolicySwitched: policy hpa → knative (now deciding: knative); recurrent state and rails reset']);
    expect(created[0]!.disposed).toBe(true);
    expect(switched.slot.rails).not.toBe(first.slot.rails);
    expect(rails[1]!.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(120);
  });

  test('a switch to a policy that cannot load says which one now decides', async () => {
    const { ctx, events } = context(new Set(['openfaas-pro']));
    const first = await ensurePolicySlot(undefined, { spec: spec(), requests: {}, now: 0 }, ctx);
    await ensurePolicySlot(
      first.slot as PolicySlot,
      { spec: spec({ name: 'openfaas-pro', fallback: 'static' }), requests: {}, now: 1000 },
      ctx,
    );
    expect(events).toEqual([
      'Warning/PolicyFallback: policy openfaas-pro could not be loaded (openfaas-pro is broken); using fallback static',
      'Normal/PolicySwitched: policy hpa → openfaas-pro (now deciding: static); recurrent state and rails reset',
    ]);
  });
});
