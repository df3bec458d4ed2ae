/**
 * The structural-schema machinery on small schemas: pruning, defaulting and validation keywords
 * that the FunctionAutoscaler CRD uses lightly or not yet (additionalProperties, exclusive bounds,
 * minItems, rules with fieldPath/reason, transition rules).
 */
import { applySchemaDefaults, pruneUnknownFields, validateSchema, type JSONSchemaProps } from '../../../operator/src/api/schema.js';
import { formatFieldError } from '../../../operator/src/api/field-errors.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 3 } },
    open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { n: { type: 'integer', default: 7 } } },
    ratio: { type: 'number', minimum: 0, maximum: 1, exclusiveMinimum: true, exclusiveMaximum: true },
    items: {
      type: 'array',
      minItems: 1,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string' },
    },
    nested: {
      type: 'object',
      default: {},
      properties: { a: { type: 'string', default: 'x' }, b: { type: 'object', properties: { c: { type: 'integer', default: 1 } } } },
    },
    counter: {
      type: 'integer',
      'x-kubernetes-validations': [{ rule: 'self >= oldSelf', message: 'may only grow' }],
    },
    pair: {
      type: 'object',
      properties: { lo: { type: 'integer' }, hi: { type: 'integer' } },
      'x-kubernetes-validations': [
        { rule: 'self.lo < self.hi', fieldPath: '.lo', reason: 'FieldValueForbidden', message: 'lo must be below hi' },
        { rule: 'self.lo != 13' },
      ],
    },
  },
};

describe('pruneUnknownFields', () => {
  it('keeps known fields, map values and preserved objects; returns what it dropped', () => {
    const value = { labels: { a: 'b' }, open: { anything: [1], n: 2 }, nested: { a: 'y', z: 1, b: { c: 2, d: 3 } }, extra: true };
    expect(pruneUnknownFields(value, schema)).toEqual(['nested.z', 'nested.b.d', 'extra']);
    expect(value).toEqual({ labels: { a: 'b' }, open: { anything: [1], n: 2 }, nested: { a: 'y', b: { c: 2 } } });
  });
});

describe('applySchemaDefaults', () => {
  it('defaults top down: a defaulted {} gets its own fields defaulted, absent objects stay absent', () => {
    const value: Record<string, unknown> = {};
    applySchemaDefaults(value, schema);
    // nested.b has no default, so its c is not created either.
    expect(value).toEqual({ nested: { a: 'x' } });
  });

  it('defaults inside preserved objects and replaces non-nullable nulls', () => {
    const value: Record<string, unknown> = { open: { n: null }, nested: null };
    applySchemaDefaults(value, schema);
    expect(value).toEqual({ open: { n: 7 }, nested: { a: 'x' } });
  });
});

describe('validateSchema', () => {
  const cases: { name: string; value: Record<string, unknown>; old?: Record<string, unknown>; want: string[] }[] = [
    { name: 'map value too long', value: { labels: { k: 'long' } }, want: ['labels.k: Too long: may not be more than 3 bytes'] },
    { name: 'exclusive minimum', value: { ratio: 0 }, want: ['ratio: Invalid value: 0: ratio in body should be greater than 0'] },
    { name: 'exclusive maximum', value: { ratio: 1 }, want: ['ratio: Invalid value: 1: ratio in body should be less than 1'] },
    { name: 'min items', value: { items: [] }, want: ['items: Invalid value: 0: items in body should have at least 1 items'] },
    { name: 'duplicate in a set', value: { items: ['a', 'b', 'a'] }, want: ['items[2]: Duplicate value: "a"'] },
    // A rule with fieldPath reports at that field; reason picks the error type.
    { name: 'rule with fieldPath and reason', value: { pair: { lo: 3, hi: 2 } }, want: ['pair.lo: Forbidden: lo must be below hi'] },
    {
      name: 'rule without message',
      value: { pair: { lo: 13, hi: 20 } },
      want: ['pair: Invalid value: "object": failed rule: self.lo != 13'],
    },
    // Transition rules are skipped on create and enforced on update.
    { name: 'transition rule on create', value: { counter: 1 }, want: [] },
    {
      name: 'transition rule on update',
      value: { counter: 1 },
      old: { counter: 2 },
      want: ['counter: Invalid value: "integer": may only grow'],
    },
    {
      name: 'null where not nullable',
      value: { ratio: null },
      want: [
        'ratio: Invalid value: "null": ratio in body must be of type number: "null"',
        '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ],
    },
  ];
  it.each(cases)('$name', ({ value, old, want }) => {
    expect(validateSchema(value, schema, { oldValue: old }).map(formatFieldError)).toEqual(want);
  });
});
