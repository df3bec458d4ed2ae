import { HPA_DEFAULT_BEHAVIOR, mergeBehavior, UNLIMITED_RULES } from '../../../operator/src/rails/behavior.js';
import { Rails, RailsConfigError } from '../../../operator/src/rails/rails.js';
import type { RailLimit, RailsConfig, ScalingBehavior, ScalingRules } from '../../../operator/src/rails/types.js';

/** One call of `apply` at a scripted time, and what it must give. */
interface Step {
  atSeconds: number;
  current: number;
  raw: number;
  want: number;
  wantLimit: RailLimit;
  /** A fragment the reason must contain. */
  wantReason?: string;
}

interface Scenario {
  name: string;
  config: RailsConfig;
  steps: Step[];
}

const rules = (overrides: Partial<ScalingRules>): ScalingRules => ({ ...UNLIMITED_RULES, ...overrides });
const hpa = (min: number, max: number, behavior: ScalingBehavior = HPA_DEFAULT_BEHAVIOR): RailsConfig => ({
  minReplicas: min,
  maxReplicas: max,
  behavior,
});

const scenarios: Scenario[] = [
  {
    // HPA default scale-up from 2: 4 pods (→6) beats 100 % (→4); Max picks 6.
    name: 'scale-up: 4 Pods vs 100 Percent per 15 s, Max picks the larger (pods)',
    config: hpa(1, 100),
    steps: [{ atSeconds: 0, current: 2, raw: 20, want: 6, wantLimit: 'scale-up-rate', wantReason: 'scale-up limited to 6' }],
  },
  {
    // From 10: 4 pods (→14) vs 100 % (→20); Max picks 20, which is exactly what was asked.
    name: 'scale-up: 100 Percent wins from 10 pods',
    config: hpa(1, 100),
    steps: [
      { atSeconds: 0, current: 10, raw: 50, want: 20, wantLimit: 'scale-up-rate' },
      // 15 s later the event at 0 is no longer strictly inside the period: doubling again from 20.
      { atSeconds: 15, current: 20, raw: 50, want: 40, wantLimit: 'scale-up-rate' },
    ],
  },
  {
    // Same rules with selectPolicy Min: the smaller change (pods, →14) wins.
    name: 'scale-up: selectPolicy Min picks the smaller change',
    config: hpa(1, 100, { ...HPA_DEFAULT_BEHAVIOR, scaleUp: { ...HPA_DEFAULT_BEHAVIOR.scaleUp!, selectPolicy: 'Min' } }),
    steps: [{ atSeconds: 0, current: 10, raw: 50, want: 14, wantLimit: 'scale-up-rate' }],
  },
  {
    // Events inside the period count: after 2→6 at t=0, at t=10 the period started at 2, so the
    // limit is max(2+4, 2×2) = 6 = current; at t=20 the period starts at 6 → max(10, 12) = 12.
    name: 'scale-up: changes inside the period use up the budget',
    config: hpa(1, 100),
    steps: [
      { atSeconds: 0, current: 2, raw: 20, want: 6, wantLimit: 'scale-up-rate' },
      { atSeconds: 10, current: 6, raw: 20, want: 6, wantLimit: 'scale-up-rate' },
      { atSeconds: 20, current: 6, raw: 20, want: 12, wantLimit: 'scale-up-rate' },
    ],
  },
  {
    // Rate allows 12 but maxReplicas is 10: the HPA names the max (TooManyReplicas).
    name: 'scale-up: maxReplicas binds before the rate',
    config: hpa(1, 10),
    steps: [{ atSeconds: 0, current: 6, raw: 30, want: 10, wantLimit: 'max-replicas', wantReason: 'maxReplicas 10' }],
  },
  {
    // Go's float64: ceil(50 × 1.1) = ceil(55.00000000000001) = 56, as the HPA computes it;
    // from 10 the same 10 % gives exactly 11.
    name: 'scale-up: 10 Percent from 50 pods allows 56 (the HPA float arithmetic)',
    config: hpa(1, 100, { scaleUp: rules({ policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] }) }),
    steps: [
      { atSeconds: 0, current: 10, raw: 30, want: 11, wantLimit: 'scale-up-rate' },
      { atSeconds: 600, current: 50, raw: 90, want: 56, wantLimit: 'scale-up-rate' },
    ],
  },
  {
    // HPA default scale-down: the highest recommendation of the last 300 s holds the count.
    // Recommendations 10 (t0), 7 (t60), 4 (t120): at t120 the highest in (−180, 120] is 10.
    // At t300 the 10 at t0 drops out (cutoff 0 is not strictly before it): highest is 7.
    // At t360 the 7 at t60 drops out too: highest of 4, 4, 4 is 4.
    name: 'scale-down stabilization: highest recommendation in 300 s',
    config: hpa(1, 100),
    steps: [
      { atSeconds: 0, current: 10, raw: 10, want: 10, wantLimit: 'none' },
      {
        atSeconds: 60,
        current: 10,
        raw: 7,
        want: 10,
        wantLimit: 'scale-down-stabilization',
        wantReason: 'highest recommendation in 300 s',
      },
      { atSeconds: 120, current: 10, raw: 4, want: 10, wantLimit: 'scale-down-stabilization' },
      { atSeconds: 240, current: 10, raw: 4, want: 10, wantLimit: 'scale-down-stabilization' },
      { atSeconds: 300, current: 10, raw: 4, want: 7, wantLimit: 'scale-down-stabilization' },
      { atSeconds: 360, current: 7, raw: 4, want: 4, wantLimit: 'none' },
    ],
  },
  {
    // With no history (fresh start, as after a controller restart) the window holds only the raw
    // recommendation, so a scale-down goes through at once.
    name: 'scale-down stabilization: empty history does not hold',
    config: hpa(1, 100),
    steps: [{ atSeconds: 0, current: 8, raw: 3, want: 3, wantLimit: 'none' }],
  },
  {
    // A scale-up is not held by the scale-down window: the raw 12 goes through (within 4 pods / 100 %).
    name: 'scale-down window does not delay scale-up',
    config: hpa(1, 100),
    steps: [
      { atSeconds: 0, current: 8, raw: 8, want: 8, wantLimit: 'none' },
      { atSeconds: 30, current: 8, raw: 3, want: 8, wantLimit: 'scale-down-stabilization' },
      { atSeconds: 60, current: 8, raw: 12, want: 12, wantLimit: 'none' },
    ],
  },
  {
    // Scale-up stabilization 60 s: the lowest recommendation of the window; the 2 at t0 holds
    // until t60 (cutoff 0 excludes it).
    name: 'scale-up stabilization: lowest recommendation in the window',
    config: hpa(1, 100, { scaleUp: rules({ stabilizationWindowSeconds: 60 }) }),
    steps: [
      { atSeconds: 0, current: 2, raw: 2, want: 2, wantLimit: 'none' },
      { atSeconds: 30, current: 2, raw: 6, want: 2, wantLimit: 'scale-up-stabilization', wantReason: 'lowest recommendation in 60 s' },
      { atSeconds: 60, current: 2, raw: 6, want: 6, wantLimit: 'none' },
    ],
  },
  {
    // Scale-down by at most 50 % per 15 s, no stabilization: 10 → 5 → 2 (trunc 2.5).
    name: 'scale-down rate: 50 Percent per 15 s truncates',
    config: hpa(1, 100, { scaleDown: rules({ policies: [{ type: 'Percent', value: 50, periodSeconds: 15 }] }) }),
    steps: [
      { atSeconds: 0, current: 10, raw: 1, want: 5, wantLimit: 'scale-down-rate', wantReason: 'scale-down limited to 5' },
      { atSeconds: 30, current: 5, raw: 1, want: 2, wantLimit: 'scale-down-rate' },
    ],
  },
  {
    // For scale-down, Min means the smallest change: 1 pod (→9) wins over 50 % (→5).
    name: 'scale-down: selectPolicy Min picks the smaller change',
    config: hpa(1, 100, {
      scaleDown: rules({
        selectPolicy: 'Min',
        policies: [
          { type: 'Pods', value: 1, periodSeconds: 60 },
          { type: 'Percent', value: 50, periodSeconds: 60 },
        ],
      }),
    }),
    steps: [{ atSeconds: 0, current: 10, raw: 1, want: 9, wantLimit: 'scale-down-rate' }],
  },
  {
    // Stabilization takes 1 up to 4 (the 4 at t0 is in the window), then the 60-s rate whose
    // period started at 10 (5 removed at t0) allows only 5: both rails named, rate last.
    name: 'stabilization then rate limit, both in the reason',
    config: hpa(1, 100, {
      scaleDown: rules({ stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] }),
    }),
    steps: [
      { atSeconds: 0, current: 10, raw: 4, want: 5, wantLimit: 'scale-down-rate' },
      {
        atSeconds: 30,
        current: 5,
        raw: 1,
        want: 5,
        wantLimit: 'scale-down-rate',
        wantReason: 'scale-down stabilized at 4 (highest recommendation in 300 s; wanted 1); then scale-down limited to 5',
      },
    ],
  },
  {
    name: 'selectPolicy Disabled forbids the direction',
    config: hpa(1, 100, { scaleUp: HPA_DEFAULT_BEHAVIOR.scaleUp, scaleDown: rules({ selectPolicy: 'Disabled' }) }),
    steps: [
      { atSeconds: 0, current: 5, raw: 2, want: 5, wantLimit: 'scale-down-disabled', wantReason: 'scale-down disabled' },
      // the other direction still works
      { atSeconds: 30, current: 5, raw: 7, want: 7, wantLimit: 'none' },
    ],
  },
  {
    name: 'bounds without behaviour: min and max only',
    config: { minReplicas: 2, maxReplicas: 8 },
    steps: [
      { atSeconds: 0, current: 4, raw: 20, want: 8, wantLimit: 'max-replicas' },
      { atSeconds: 30, current: 8, raw: 0, want: 2, wantLimit: 'min-replicas', wantReason: 'minReplicas 2' },
      { atSeconds: 60, current: 2, raw: 5, want: 5, wantLimit: 'none', wantReason: 'scaling 2 → 5' },
      { atSeconds: 90, current: 5, raw: 5, want: 5, wantLimit: 'none', wantReason: 'keeping 5' },
    ],
  },
  {
    // Current outside the bounds (someone scaled by hand): straight to the bound, like the HPA.
    name: 'current above max or below min goes to the bound',
    config: hpa(2, 10),
    steps: [
      { atSeconds: 0, current: 12, raw: 12, want: 10, wantLimit: 'max-replicas', wantReason: 'current 12 is above maxReplicas 10' },
      { atSeconds: 30, current: 1, raw: 1, want: 2, wantLimit: 'min-replicas', wantReason: 'current 1 is below minReplicas 2' },
    ],
  },
  {
    // Knative's rates as rails rules: halve at most per decision; from 0, Percent uses 1 as base.
    name: 'Knative-style rates: ÷2 per tick down, ×1000 up from zero',
    config: hpa(0, 2000, {
      scaleUp: rules({ policies: [{ type: 'Percent', value: 99900, periodSeconds: 2 }] }),
      scaleDown: rules({ policies: [{ type: 'Percent', value: 50, periodSeconds: 2 }] }),
    }),
    steps: [
      { atSeconds: 0, current: 8, raw: 1, want: 4, wantLimit: 'scale-down-rate' },
      { atSeconds: 30, current: 4, raw: 1, want: 2, wantLimit: 'scale-down-rate' },
      { atSeconds: 60, current: 2, raw: 0, want: 1, wantLimit: 'scale-down-rate' },
      { atSeconds: 90, current: 1, raw: 0, want: 0, wantLimit: 'none' },
      { atSeconds: 120, current: 0, raw: 1500, want: 1000, wantLimit: 'scale-up-rate' },
    ],
  },
];

describe('Rails.apply (HPA normalizeDesiredReplicasWithBehaviors)', () => {
  test.each(scenarios)('$name', ({ config, steps }) => {
    const rails = new Rails(config);
    for (const step of steps) {
      const got = rails.apply({ currentReplicas: step.current, rawDesiredReplicas: step.raw, now: step.atSeconds * 1000 });
      const at = `t=${step.atSeconds}s current=${step.current} raw=${step.raw}`;
      expect({ at, replicas: got.boundedDesiredReplicas, limitedBy: got.limitedBy }).toEqual({
        at,
        replicas: step.want,
        limitedBy: step.wantLimit,
      });
      expect(got.rawDesiredReplicas).toBe(step.raw);
      if (step.wantReason) expect({ at, reason: got.reason }).toEqual({ at, reason: expect.stringContaining(step.wantReason) });
    }
  });
});

describe('Rails state', () => {
  test('undoLastScaleEvent: a change that was not applied does not use up the rate budget', () => {
    // 2 → 6 is decided at t0 but the actuator fails; at t10 the period must still start at 2.
    const rails = new Rails(hpa(1, 100));
    expect(rails.apply({ currentReplicas: 2, rawDesiredReplicas: 20, now: 0 }).boundedDesiredReplicas).toBe(6);
    rails.undoLastScaleEvent();
    expect(rails.apply({ currentReplicas: 2, rawDesiredReplicas: 20, now: 10_000 }).boundedDesiredReplicas).toBe(6);
    // Without the undo the +4 at t0 is inside the period: the period started at 2, so from 6 it stays 6.
    const kept = new Rails(hpa(1, 100));
    kept.apply({ currentReplicas: 2, rawDesiredReplicas: 20, now: 0 });
    expect(kept.apply({ currentReplicas: 6, rawDesiredReplicas: 20, now: 10_000 }).boundedDesiredReplicas).toBe(6);
  });

  test('reset forgets the stabilization window', () => {
    const rails = new Rails(hpa(1, 100));
    rails.apply({ currentReplicas: 10, rawDesiredReplicas: 10, now: 0 });
    expect(rails.apply({ currentReplicas: 10, rawDesiredReplicas: 3, now: 30_000 }).boundedDesiredReplicas).toBe(10);
    rails.reset();
    expect(rails.apply({ currentReplicas: 10, rawDesiredReplicas: 3, now: 60_000 }).boundedDesiredReplicas).toBe(3);
  });

  test.each([
    // a policy bug is an exception, not a value
    {
      name: 'NaN raw',
      args: { currentReplicas: 2, rawDesiredReplicas: Number.NaN, now: 0 },
      want: /rawDesiredReplicas must be a non-negative integer/,
    },
    { name: 'fractional raw', args: { currentReplicas: 2, rawDesiredReplicas: 2.5, now: 0 }, want: /rawDesiredReplicas/ },
    { name: 'negative current', args: { currentReplicas: -1, rawDesiredReplicas: 2, now: 0 }, want: /currentReplicas/ },
    {
      name: 'non-finite now',
      args: { currentReplicas: 1, rawDesiredReplicas: 2, now: Number.POSITIVE_INFINITY },
      want: /now must be a finite/,
    },
  ])('apply rejects $name', ({ args, want }) => {
    expect(() => new Rails(hpa(1, 10)).apply(args)).toThrow(want);
  });
});

describe('Rails config validation', () => {
  test.each([
    { name: 'negative min', config: { minReplicas: -1, maxReplicas: 3 }, want: 'minReplicas must be an integer >= 0, got -1' },
    {
      name: 'max below min',
      config: { minReplicas: 4, maxReplicas: 3 },
      want: 'maxReplicas must be an integer >= max(1, minReplicas) = 4, got 3',
    },
    { name: 'max 0', config: { minReplicas: 0, maxReplicas: 0 }, want: 'maxReplicas must be an integer >= max(1, minReplicas) = 1, got 0' },
    {
      name: 'window over an hour',
      config: hpa(1, 5, { scaleDown: rules({ stabilizationWindowSeconds: 3601 }) }),
      want: 'behavior.scaleDown.stabilizationWindowSeconds must be an integer in 0..3600, got 3601',
    },
    {
      name: 'unknown selectPolicy',
      config: hpa(1, 5, { scaleUp: rules({ selectPolicy: 'Avg' as 'Max' }) }),
      want: 'behavior.scaleUp.selectPolicy must be one of Max, Min, Disabled, got Avg',
    },
    {
      name: 'fractional pods',
      config: hpa(1, 5, { scaleUp: rules({ policies: [{ type: 'Pods', value: 1.5, periodSeconds: 15 }] }) }),
      want: 'behavior.scaleUp.policies[0].value must be an integer > 0, got 1.5',
    },
    {
      name: 'period 0',
      config: hpa(1, 5, { scaleDown: rules({ policies: [{ type: 'Percent', value: 10, periodSeconds: 0 }] }) }),
      want: 'behavior.scaleDown.policies[0].periodSeconds must be an integer in 1..1800, got 0',
    },
  ])('$name', ({ config, want }) => {
    expect(() => new Rails(config)).toThrow(RailsConfigError);
    expect(() => new Rails(config)).toThrow(want);
  });
});

describe('mergeBehavior', () => {
  test.each([
    {
      // The user sets only the scale-down window; the HPA's policies stay.
      name: 'one field overrides, the rest comes from the default',
      base: HPA_DEFAULT_BEHAVIOR,
      override: { scaleDown: { stabilizationWindowSeconds: 60 } },
      want: { scaleUp: HPA_DEFAULT_BEHAVIOR.scaleUp, scaleDown: { ...HPA_DEFAULT_BEHAVIOR.scaleDown!, stabilizationWindowSeconds: 60 } },
    },
    {
      // No default in that direction: the override fills in over "no limits".
      name: 'override without a default starts from no limits',
      base: { scaleUp: HPA_DEFAULT_BEHAVIOR.scaleUp },
      override: { scaleDown: { selectPolicy: 'Disabled' as const } },
      want: { scaleUp: HPA_DEFAULT_BEHAVIOR.scaleUp, scaleDown: { ...UNLIMITED_RULES, selectPolicy: 'Disabled' } },
    },
    { name: 'nothing at all', base: undefined, override: undefined, want: {} },
  ])('$name', ({ base, override, want }) => {
    expect(mergeBehavior(base, override)).toEqual(want);
  });
});
