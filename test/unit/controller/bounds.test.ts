/** Replica bounds and Pro's targets from the function's OpenFaaS labels, where the resource is silent. */
import { labelPolicyParams, resolveBounds } from '../../../operator/src/controller/spec.js';
import type { FunctionAutoscalerSpec } from '../../../operator/src/api/types.js';

const spec = (bounds: { minReplicas?: number; maxReplicas?: number }): FunctionAutoscalerSpec => ({
  functionName: 'f',
  functionNamespace: 'openfaas-fn',
  intervalSeconds: 30,
  slo: { p95LatencyMs: 500 },
  policy: { name: 'hpa', fallback: 'hpa' },
  actuator: 'deployment-scale',
  dryRun: false,
  ...bounds,
});

describe('resolveBounds', () => {
  it.each([
    // [what, resource bounds, labels, want min/max and their sources]
    ['nothing anywhere: OpenFaaS defaults', {}, {}, [1, 20, 'default', 'default']],
    [
      'labels fill both',
      {},
      { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '7' },
      [2, 7, 'label com.openfaas.scale.min', 'label com.openfaas.scale.max'],
    ],
    [
      'the resource wins over the labels',
      { minReplicas: 3, maxReplicas: 9 },
      { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.max': '7' },
      [3, 9, 'spec', 'spec'],
    ],
    [
      'scale to zero by label',
      {},
      { 'com.openfaas.scale.zero': 'true', 'com.openfaas.scale.min': '2' },
      [0, 20, 'label com.openfaas.scale.zero', 'default'],
    ],
    [
      'a negative min label is ignored',
      {},
      { 'com.openfaas.scale.min': '-1' },
      [1, 20, 'default (label com.openfaas.scale.min="-1" ignored: not a whole number >= 0)', 'default'],
    ],
    [
      'max 0 is not a bound',
      {},
      { 'com.openfaas.scale.max': '0' },
      [1, 20, 'default', 'default (label com.openfaas.scale.max="0" ignored: not a whole number >= 1)'],
    ],
  ] as const)('%s', (_what, bounds, labels, [min, max, minFrom, maxFrom]) => {
    const r = resolveBounds(spec(bounds), labels);
    expect(r.bounds).toEqual({ minReplicas: min, maxReplicas: max, minFrom, maxFrom });
    expect(r.ok && [r.spec.minReplicas, r.spec.maxReplicas]).toEqual([min, max]);
  });

  it('refuses crossed bounds, naming where each came from', () => {
    const r = resolveBounds(spec({ maxReplicas: 3 }), { 'com.openfaas.scale.min': '5' });
    expect(r).toMatchObject({ ok: false, message: 'minReplicas 5 (from label com.openfaas.scale.min) is above maxReplicas 3 (from spec)' });
  });
});

describe('labelPolicyParams', () => {
  it('gives openfaas-pro its scale type and target from the labels, and nothing to other policies', () => {
    const labels = { 'com.openfaas.scale.type': 'capacity', 'com.openfaas.scale.target': '4' };
    expect(labelPolicyParams('openfaas-pro', labels)).toEqual({ type: 'capacity', target: 4 });
    expect(labelPolicyParams('hpa', labels)).toEqual({});
    expect(labelPolicyParams('openfaas-pro', { 'com.openfaas.scale.target': 'many' })).toEqual({});
  });
});
