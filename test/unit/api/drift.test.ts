/**
 * The TypeScript types (operator/src/api/types.ts) and the CRD schema must describe the same
 * object. This test reads both — the CRD from its YAML, the types with the TypeScript compiler —
 * and compares every field: its path, its kind, whether it is always present, nullable, and its
 * enum values. Adding a field to one side only, or changing an enum on one side, fails here.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { admitFunctionAutoscaler, functionAutoscalerSchema, type FunctionAutoscaler } from '../../../operator/src/api/index.js';
import type { JSONSchemaProps } from '../../../operator/src/api/schema.js';

/** One field as both sides can describe it. */
interface FieldShape {
  kind: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'int-or-string' | 'free-form';
  /** Present in every stored object (required, or defaulted by the API server). */
  alwaysPresent: boolean;
  nullable: boolean;
  enum?: string[];
}
type Shapes = Map<string, FieldShape>;

function fromSchema(schema: JSONSchemaProps, path: string, alwaysPresent: boolean, out: Shapes): void {
  const nullable = schema.nullable === true;
  const en = schema.enum?.map(String).sort();
  if (schema['x-kubernetes-int-or-string']) {
    out.set(path, { kind: 'int-or-string', alwaysPresent, nullable });
  } else if (schema.type === 'object' && !schema.properties && schema['x-kubernetes-preserve-unknown-fields']) {
    out.set(path, { kind: 'free-form', alwaysPresent, nullable });
  } else if (schema.type === 'object') {
    out.set(path, { kind: 'object', alwaysPresent, nullable });
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const present = (schema.required ?? []).includes(key) || sub.default !== undefined;
      fromSchema(sub, `${path}.${key}`, present, out);
    }
  } else if (schema.type === 'array') {
    out.set(path, { kind: 'array', alwaysPresent, nullable });
    fromSchema(schema.items!, `${path}[]`, true, out);
  } else {
    const kind = schema.type === 'integer' ? 'number' : (schema.type as FieldShape['kind']);
    out.set(path, { kind, alwaysPresent, nullable, ...(en ? { enum: en } : {}) });
  }
}

function fromTypes(checker: ts.TypeChecker, type: ts.Type, path: string, alwaysPresent: boolean, out: Shapes): void {
  const members = type.isUnion() ? type.types : [type];
  const nullable = members.some((t) => t.flags & ts.TypeFlags.Null);
  const rest = members.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
  const isStringy = (t: ts.Type): boolean =>
    !!(t.flags & ts.TypeFlags.StringLike) || (t.isIntersection() && t.types.some((m) => m.flags & ts.TypeFlags.String));
  const shape = (kind: FieldShape['kind'], extra: Partial<FieldShape> = {}): void => {
    out.set(path, { kind, alwaysPresent, nullable, ...extra });
  };
  if (rest.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return shape('boolean');
  if (rest.every((t) => t.flags & ts.TypeFlags.NumberLike)) return shape('number');
  if (rest.length === 2 && rest.some((t) => t.flags & ts.TypeFlags.String) && rest.some((t) => t.flags & ts.TypeFlags.Number)) {
    return shape('int-or-string');
  }
  if (rest.every(isStringy)) {
    const literals = rest.every((t) => t.isStringLiteral());
    return shape('string', literals ? { enum: rest.map((t) => (t as ts.StringLiteralType).value).sort() } : {});
  }
  if (rest.length !== 1) throw new Error(`${path}: cannot map the union ${checker.typeToString(type)} to a schema type`);
  const [t] = rest;
  if (checker.isArrayType(t)) {
    shape('array');
    return fromTypes(checker, checker.getTypeArguments(t as ts.TypeReference)[0], `${path}[]`, true, out);
  }
  const props = checker.getPropertiesOfType(t);
  if (props.length === 0 && checker.getIndexInfoOfType(t, ts.IndexKind.String)) return shape('free-form');
  shape('object');
  for (const prop of props) {
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
    fromTypes(checker, checker.getTypeOfSymbol(prop), `${path}.${prop.name}`, !optional, out);
  }
}

function typeShapes(): Shapes {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../../operator/src/api/types.ts');
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const byName = (name: string): ts.Type => {
    const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
    if (!decl) throw new Error(`types.ts has no interface ${name}`);
    return checker.getTypeAtLocation(decl);
  };
  const out: Shapes = new Map();
  fromTypes(checker, byName('FunctionAutoscalerSpec'), 'spec', true, out);
  fromTypes(checker, byName('FunctionAutoscalerStatus'), 'status', false, out);
  return out;
}

function schemaShapes(): Shapes {
  const root = functionAutoscalerSchema();
  const out: Shapes = new Map();
  fromSchema(root.properties!.spec, 'spec', true, out);
  fromSchema(root.properties!.status, 'status', false, out);
  return out;
}

/** Paths of every leaf and container present in a value (arrays as `[]`). */
function valuePaths(value: unknown, path: string, out: Set<string>): Set<string> {
  out.add(path);
  if (Array.isArray(value)) value.forEach((v) => valuePaths(v, `${path}[]`, out));
  else if (value && typeof value === 'object' && !path.endsWith('.params')) {
    for (const [k, v] of Object.entries(value)) valuePaths(v, `${path}.${k}`, out);
  }
  return out;
}

/** Every field set: the drift test checks that it covers the schema, so it stays complete. */
const COMPLETE_EXAMPLE = {
  apiVersion: 'faas-autoscaler.dev/v1alpha1',
  kind: 'FunctionAutoscaler',
  metadata: { name: 'figlet', namespace: 'openfaas' },
  spec: {
    functionName: 'figlet',
    functionNamespace: 'openfaas-fn',
    minReplicas: 1,
    maxReplicas: 20,
    intervalSeconds: 30,
    slo: { p95LatencyMs: 300 },
    policy: { name: 'lstm-ppo-plus', model: 'models/lstm-ppo-plus', params: { sample: false }, fallback: 'hpa' },
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    },
    actuator: 'deployment-scale',
    dryRun: false,
    resources: { requests: { cpu: '100m', memory: '128Mi' } },
  },
  status: {
    observedGeneration: 3,
    replicas: 4,
    desiredReplicas: 5,
    activePolicy: 'lstm-ppo-plus',
    bounds: { minReplicas: 1, maxReplicas: 10, minFrom: 'spec', maxFrom: 'label com.openfaas.scale.max' },
    lastObservation: {
      time: '2025-06-01T12:00:30Z',
      windowSeconds: 30,
      rps: 41.5,
      requests: 1245,
      p95LatencyMs: 180.2,
      missRatio: 0.012,
      meanExecutionMs: 95.1,
      errorRate: 0,
      replicas: 4,
      readyReplicas: 4,
      cpuPerReplica: 0.82,
      memoryPerReplica: 0.4,
      inflight: null,
      missing: ['inflight'],
      problems: ['inflight: the gateway exports no inflight gauge (OpenFaaS CE)'],
    },
    lastDecision: {
      time: '2025-06-01T12:00:30Z',
      rawDesiredReplicas: 6,
      desiredReplicas: 5,
      reason: 'scale-up limited to 4 pods per 15 s',
      limitedBy: 'scale-up-rate',
    },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 3,
        lastTransitionTime: '2025-06-01T11:00:00Z',
        reason: 'Scaling',
        message: 'scaling figlet every 30 s',
      },
    ],
  },
} satisfies FunctionAutoscaler;

describe('CRD schema and TypeScript types agree', () => {
  const fromCrd = schemaShapes();
  const fromTs = typeShapes();

  it('have the same fields', () => {
    const onlyCrd = [...fromCrd.keys()].filter((p) => !fromTs.has(p));
    const onlyTs = [...fromTs.keys()].filter((p) => !fromCrd.has(p));
    expect({ onlyCrd, onlyTs }).toEqual({ onlyCrd: [], onlyTs: [] });
  });

  it('give each field the same kind, presence, nullability and enum', () => {
    const differ = [...fromCrd.entries()]
      .filter(([p, want]) => fromTs.has(p) && JSON.stringify(want) !== JSON.stringify(fromTs.get(p)))
      .map(([p, want]) => ({ path: p, crd: want, ts: fromTs.get(p) }));
    expect(differ).toEqual([]);
  });

  it('found enough fields to mean something', () => {
    // Guards the walkers: a bug that returns nothing would make the two tests above pass.
    expect(fromCrd.size).toBeGreaterThan(50);
    expect(fromCrd.get('spec.policy.name')?.enum).toContain('lstm-ppo-plus');
  });
});

describe('the complete example', () => {
  it('sets every field of the schema', () => {
    const have = valuePaths(COMPLETE_EXAMPLE.spec, 'spec', new Set());
    valuePaths(COMPLETE_EXAMPLE.status, 'status', have);
    const unset = [...schemaShapes().keys()].filter((p) => !have.has(p));
    expect(unset).toEqual([]);
  });

  it('is admitted unchanged: valid, nothing pruned, nothing defaulted', () => {
    const { object, errors, prunedFields } = admitFunctionAutoscaler(COMPLETE_EXAMPLE);
    expect({ errors, prunedFields }).toEqual({ errors: [], prunedFields: [] });
    expect(object).toEqual(COMPLETE_EXAMPLE);
  });
});
