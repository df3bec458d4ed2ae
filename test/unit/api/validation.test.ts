/**
 * FunctionAutoscaler admission: every invalid spec yields exactly the field errors the API server
 * would report (same paths, same wording), and valid specs come back defaulted.
 */
import { admitFunctionAutoscaler, formatFieldError, parseFunctionAutoscaler } from '../../../operator/src/api/index.js';
import { InputError } from '#kernel/input-error.js';

function fas(spec: Record<string, unknown>, status?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'faas-autoscaler.dev/v1alpha1',
    kind: 'FunctionAutoscaler',
    metadata: { name: 'figlet', namespace: 'openfaas' },
    spec: { functionName: 'figlet', maxReplicas: 10, slo: { p95LatencyMs: 500 }, ...spec },
    ...(status ? { status } : {}),
  };
}

const POLICIES = '"hpa", "keda", "knative", "lstm-ppo", "lstm-ppo-plus", "openfaas-ce", "openfaas-pro", "ppo", "static"';
const CEL_SKIPPED =
  '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

describe("admitFunctionAutoscaler rejects invalid specs with the API server's field errors", () => {
  const cases: { name: string; spec: Record<string, unknown>; status?: Record<string, unknown>; want: string[] }[] = [
    // The CEL rule on spec: the bounds must be ordered.
    {
      name: 'min above max',
      spec: { minReplicas: 5, maxReplicas: 3 },
      want: ['spec: Invalid value: "object": minReplicas must be less than or equal to maxReplicas'],
    },
    // The defaulted minReplicas (1) takes part in the rule too.
    // No default for the bounds (the function's OpenFaaS labels may supply them): the rule applies
    // only when both are set, and a lone maxReplicas is checked by its own minimum.
    {
      name: 'maxReplicas 0',
      spec: { maxReplicas: 0 },
      want: ['spec.maxReplicas: Invalid value: 0: spec.maxReplicas in body should be greater than or equal to 1'],
    },
    { name: 'no bounds at all is valid (labels or defaults decide)', spec: { maxReplicas: undefined }, want: [] },
    { name: 'missing functionName', spec: { functionName: undefined }, want: ['spec.functionName: Required value'] },
    { name: 'missing slo', spec: { slo: undefined }, want: ['spec.slo: Required value'] },
    { name: 'missing slo target', spec: { slo: {} }, want: ['spec.slo.p95LatencyMs: Required value'] },
    {
      name: 'negative minReplicas',
      spec: { minReplicas: -1 },
      want: ['spec.minReplicas: Invalid value: -1: spec.minReplicas in body should be greater than or equal to 0'],
    },
    // A type error blocks the CEL rules, as in the API server.
    {
      name: 'string maxReplicas',
      spec: { maxReplicas: 'ten' },
      want: ['spec.maxReplicas: Invalid value: "string": spec.maxReplicas in body must be of type integer: "string"', CEL_SKIPPED],
    },
    {
      name: 'fractional replicas',
      spec: { minReplicas: 1.5 },
      want: ['spec.minReplicas: Invalid value: "number": spec.minReplicas in body must be of type integer: "number"', CEL_SKIPPED],
    },
    {
      name: 'unknown policy',
      spec: { policy: { name: 'magic' } },
      want: [`spec.policy.name: Unsupported value: "magic": supported values: ${POLICIES}`],
    },
    {
      name: 'oracle is simulator-only',
      spec: { policy: { name: 'oracle' } },
      want: [`spec.policy.name: Unsupported value: "oracle": supported values: ${POLICIES}`],
    },
    {
      name: 'unknown fallback',
      spec: { policy: { fallback: 'none' } },
      want: [`spec.policy.fallback: Unsupported value: "none": supported values: ${POLICIES}`],
    },
    {
      name: 'unknown actuator',
      spec: { actuator: 'hpa' },
      want: ['spec.actuator: Unsupported value: "hpa": supported values: "deployment-scale", "gateway"'],
    },
    {
      name: 'interval too short',
      spec: { intervalSeconds: 1 },
      want: ['spec.intervalSeconds: Invalid value: 1: spec.intervalSeconds in body should be greater than or equal to 5'],
    },
    {
      name: 'interval too long',
      spec: { intervalSeconds: 7200 },
      want: ['spec.intervalSeconds: Invalid value: 7200: spec.intervalSeconds in body should be less than or equal to 3600'],
    },
    {
      name: 'zero SLO',
      spec: { slo: { p95LatencyMs: 0 } },
      want: ['spec.slo.p95LatencyMs: Invalid value: 0: spec.slo.p95LatencyMs in body should be greater than or equal to 1'],
    },
    {
      name: 'uppercase function name',
      spec: { functionName: 'Figlet' },
      want: ['spec.functionName: Invalid value: "Figlet": spec.functionName in body should match \'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\''],
    },
    {
      name: 'empty function name',
      spec: { functionName: '' },
      want: [
        'spec.functionName: Invalid value: "": spec.functionName in body should be at least 1 chars long',
        'spec.functionName: Invalid value: "": spec.functionName in body should match \'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\'',
      ],
    },
    {
      name: 'function name over 63',
      spec: { functionName: 'a'.repeat(64) },
      want: ['spec.functionName: Too long: may not be more than 63 bytes'],
    },
    {
      name: 'dryRun not a bool',
      spec: { dryRun: 'yes' },
      want: ['spec.dryRun: Invalid value: "string": spec.dryRun in body must be of type boolean: "string"', CEL_SKIPPED],
    },
    {
      name: 'params not an object',
      spec: { policy: { params: [1] } },
      want: ['spec.policy.params: Invalid value: "array": spec.policy.params in body must be of type object: "array"', CEL_SKIPPED],
    },
    {
      name: 'rate policy without period',
      spec: { behavior: { scaleUp: { policies: [{ type: 'Pods', value: 4 }] } } },
      want: ['spec.behavior.scaleUp.policies[0].periodSeconds: Required value'],
    },
    {
      name: 'rate policy of unknown type',
      spec: { behavior: { scaleDown: { policies: [{ type: 'Cores', value: 1, periodSeconds: 15 }] } } },
      want: ['spec.behavior.scaleDown.policies[0].type: Unsupported value: "Cores": supported values: "Pods", "Percent"'],
    },
    {
      name: 'stabilization too long',
      spec: { behavior: { scaleDown: { stabilizationWindowSeconds: 3601 } } },
      want: [
        'spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 3601: spec.behavior.scaleDown.stabilizationWindowSeconds in body should be less than or equal to 3600',
      ],
    },
    {
      name: 'select policy',
      spec: { behavior: { scaleUp: { selectPolicy: 'max' } } },
      want: ['spec.behavior.scaleUp.selectPolicy: Unsupported value: "max": supported values: "Max", "Min", "Disabled"'],
    },
    {
      name: 'cpu request not a quantity',
      spec: { resources: { requests: { cpu: '100 millicores' } } },
      want: [
        'spec.resources.requests.cpu: Invalid value: "100 millicores": spec.resources.requests.cpu in body should match \'^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$\'',
      ],
    },
    {
      name: 'memory request of the wrong type',
      spec: { resources: { requests: { memory: true } } },
      want: [
        'spec.resources.requests.memory: Invalid value: "boolean": spec.resources.requests.memory in body must be of type integer,string: "boolean"',
        CEL_SKIPPED,
      ],
    },
    {
      name: 'condition with a bad status',
      spec: {},
      status: { conditions: [{ type: 'Ready', status: 'Yes', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Scaled', message: '' }] },
      want: ['status.conditions[0].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"'],
    },
    {
      name: 'duplicate condition type',
      spec: {},
      status: {
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Scaled', message: '' },
          { type: 'Ready', status: 'False', lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'Scaled', message: '' },
        ],
      },
      want: ['status.conditions[1]: Duplicate value: {"type":"Ready"}'],
    },
    {
      name: 'condition time not RFC 3339',
      spec: {},
      status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'yesterday', reason: 'Scaled', message: '' }] },
      want: [
        'status.conditions[0].lastTransitionTime: Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"',
        CEL_SKIPPED,
      ],
    },
    {
      name: 'unknown missing field name',
      spec: {},
      status: { lastObservation: { missing: ['latency'] } },
      want: [
        'status.lastObservation.missing[0]: Unsupported value: "latency": supported values: "rps", "requests", "p95LatencyMs", "meanExecutionMs", "errorRate", "readyReplicas", "cpuPerReplica", "memoryPerReplica", "inflight"',
      ],
    },
  ];

  it.each(cases)('$name', ({ spec, status, want }) => {
    const got = admitFunctionAutoscaler(fas(spec, status)).errors.map(formatFieldError);
    expect({ got }).toEqual({ got: want });
  });
});

describe('admitFunctionAutoscaler accepts and defaults valid specs', () => {
  it('fills every default from the CRD', () => {
    const { object, errors, prunedFields } = admitFunctionAutoscaler(fas({}));
    expect(errors).toEqual([]);
    expect(prunedFields).toEqual([]);
    expect(object.spec).toEqual({
      functionName: 'figlet',
      functionNamespace: 'openfaas-fn',
      maxReplicas: 10,
      intervalSeconds: 30,
      slo: { p95LatencyMs: 500 },
      policy: { name: 'lstm-ppo-plus', fallback: 'hpa' },
      actuator: 'deployment-scale',
      dryRun: false,
    });
  });

  const valid: { name: string; spec: Record<string, unknown> }[] = [
    // Scale to zero is allowed by the schema (the gateway actuator on CE keeps 1).
    { name: 'min 0', spec: { minReplicas: 0, maxReplicas: 1 } },
    // Equal bounds pin the replica count.
    { name: 'min equals max', spec: { minReplicas: 4, maxReplicas: 4 } },
    // params are free-form: the policy validates them when it loads.
    { name: 'free-form params', spec: { policy: { name: 'hpa', params: { targetCpuUtilization: 0.7, nested: { a: [1] } } } } },
    {
      name: 'full behavior',
      spec: {
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
        },
      },
    },
    { name: 'integer and string quantities', spec: { resources: { requests: { cpu: 1, memory: '128Mi' } } } },
  ];
  it.each(valid)('$name', ({ spec }) => {
    expect(admitFunctionAutoscaler(fas(spec)).errors.map(formatFieldError)).toEqual([]);
  });

  it('keeps unknown keys inside params, prunes them elsewhere and reports where', () => {
    const { object, prunedFields } = admitFunctionAutoscaler(
      fas({ minReplica: 2, policy: { params: { x: 1 }, weights: 'a' } }, { bogus: 1 }),
    );
    expect(prunedFields).toEqual(['spec.minReplica', 'spec.policy.weights', 'status.bogus']);
    expect(object.spec.policy.params).toEqual({ x: 1 });
    expect(object.spec).not.toHaveProperty('minReplica');
    expect(object.status).toEqual({});
  });

  it('drops nulls in non-nullable fields and defaults them, keeps nulls where nullable', () => {
    const { object, errors } = admitFunctionAutoscaler(
      fas({ intervalSeconds: null }, { lastObservation: { p95LatencyMs: null, replicas: null } }),
    );
    expect(errors).toEqual([]);
    expect(object.spec.intervalSeconds).toBe(30);
    expect(object.status?.lastObservation).toEqual({ p95LatencyMs: null });
  });

  it('does not change its input', () => {
    const input = fas({});
    const before = JSON.stringify(input);
    admitFunctionAutoscaler(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('parseFunctionAutoscaler', () => {
  it('throws an InputError worded like kubectl', () => {
    expect(() => parseFunctionAutoscaler(fas({ minReplicas: 5, maxReplicas: 3, actuator: 'x' }))).toThrow(
      new InputError(
        'FunctionAutoscaler.faas-autoscaler.dev "figlet" is invalid: [spec.actuator: Unsupported value: "x": supported values: "deployment-scale", "gateway", ' +
          'spec: Invalid value: "object": minReplicas must be less than or equal to maxReplicas]',
      ),
    );
  });
});
