/**
 * What the API server does with a custom resource before storing it, for the structural OpenAPI
 * v3 schemas CRDs use: prune unknown fields, apply defaults, then validate (types, enums, bounds,
 * lengths, patterns, required fields, list types) and evaluate the `x-kubernetes-validations`
 * CEL rules. Order and error wording follow k8s.io/apiextensions-apiserver, so the operator, the
 * sandbox API server and a real cluster reject the same objects with the same messages.
 *
 * Not implemented (not used by our CRD): `anyOf`/`allOf`/`oneOf`/`not`, `x-kubernetes-embedded-resource`,
 * `messageExpression`, `multipleOf`, `uniqueItems`, `minProperties`/`maxProperties`, formats
 * other than date-time.
 */
import { compileCel, evaluateCel, usesOldSelf, CelError, type CelNode } from './cel.js';
import { duplicate, forbidden, invalid, notSupported, required, tooLong, tooMany, typeInvalid, type FieldError } from './field-errors.js';

export interface ValidationRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** apiextensions.k8s.io/v1 JSONSchemaProps, the subset structural schemas use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Drops fields the schema does not know (unless `x-kubernetes-preserve-unknown-fields`), in place.
 * Returns the dropped paths, which the API server reports as warnings (or rejects with
 * `fieldValidation=Strict`). At the root, apiVersion, kind and metadata are always kept.
 */
export function pruneUnknownFields(value: unknown, schema: JSONSchemaProps, path = ''): string[] {
  const pruned: string[] = [];
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => pruned.push(...pruneUnknownFields(item, schema.items!, `${path}[${i}]`)));
  } else if (isObject(value)) {
    const props = schema.properties ?? {};
    const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    for (const key of Object.keys(value)) {
      // ObjectMeta is the API server's, not the schema's: it is never pruned.
      if (path === '' && key === 'metadata') continue;
      const sub = props[key] ?? additional;
      if (sub) {
        pruned.push(...pruneUnknownFields(value[key], sub, child(path, key)));
      } else if (!schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) {
        if (path === '' && (key === 'apiVersion' || key === 'kind')) continue;
        delete value[key];
        pruned.push(child(path, key));
      }
    }
  }
  return pruned;
}

/**
 * Applies `default`s in place, top down, so a default of `{}` on an object lets the defaults of
 * its fields apply. A null in a field that is not `nullable` is dropped first (then defaulted), as
 * the API server does.
 */
export function applySchemaDefaults(value: unknown, schema: JSONSchemaProps): void {
  if (Array.isArray(value) && schema.items) {
    for (const item of value) applySchemaDefaults(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === null && !sub.nullable) delete value[key];
    if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (value[key] !== undefined) applySchemaDefaults(value[key], sub);
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const key of Object.keys(value)) {
      if (!schema.properties?.[key]) applySchemaDefaults(value[key], schema.additionalProperties);
    }
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, type: NonNullable<JSONSchemaProps['type']>): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    default:
      return typeof v === type;
  }
}

/** Schema checks of one node and its children (no CEL): kube-openapi's validator + list types. */
function validateNode(value: unknown, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const at = path || '<root>';
  if (value === null) {
    if (!schema.nullable) errs.push(typeInvalid(path, 'null', `${at} in body must be of type ${schema.type ?? 'object'}: "null"`));
    return;
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (!hasType(value, 'integer') && typeof value !== 'string') {
      errs.push(typeInvalid(path, jsonType(value), `${at} in body must be of type integer,string: "${jsonType(value)}"`));
      return;
    }
  } else if (schema.type && !hasType(value, schema.type)) {
    errs.push(typeInvalid(path, jsonType(value), `${at} in body must be of type ${schema.type}: "${jsonType(value)}"`));
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push(notSupported(path, value, schema.enum));
  }
  if (typeof value === 'number') validateNumber(value, schema, path, errs);
  if (typeof value === 'string') validateString(value, schema, path, errs);
  if (Array.isArray(value)) validateArray(value, schema, path, errs);
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) errs.push(required(child(path, key)));
    }
    const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    for (const [key, v] of Object.entries(value)) {
      const sub = schema.properties?.[key] ?? additional;
      if (sub && v !== undefined) validateNode(v, sub, child(path, key), errs);
    }
  }
}

function validateNumber(value: number, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (schema.minimum !== undefined) {
    const bad = schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum;
    const rel = schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
    if (bad) errs.push(invalid(path, value, `${path} in body should be ${rel} ${schema.minimum}`));
  }
  if (schema.maximum !== undefined) {
    const bad = schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum;
    const rel = schema.exclusiveMaximum ? 'less than' : 'less than or equal to';
    if (bad) errs.push(invalid(path, value, `${path} in body should be ${rel} ${schema.maximum}`));
  }
}

function validateString(value: string, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) errs.push(tooLong(path, schema.maxLength));
  if (schema.minLength !== undefined && length < schema.minLength) {
    errs.push(invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    errs.push(invalid(path, value, `${path} in body should match '${schema.pattern}'`));
  }
  if (schema.format === 'date-time' && !DATE_TIME.test(value)) {
    errs.push(typeInvalid(path, value, `${path} in body must be of type date-time: ${JSON.stringify(value)}`));
  }
}

function validateArray(value: unknown[], schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(tooMany(path, value.length, schema.maxItems));
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    errs.push(invalid(path, value.length, `${path} in body should have at least ${schema.minItems} items`));
  }
  if (schema.items) value.forEach((item, i) => validateNode(item, schema.items!, `${path}[${i}]`, errs));
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set' || listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = listType === 'set' ? item : Object.fromEntries(keys.map((k) => [k, isObject(item) ? item[k] : undefined]));
      const text = JSON.stringify(key);
      if (seen.has(text)) errs.push(duplicate(`${path}[${i}]`, key));
      seen.add(text);
    });
  }
}

/** Compiled `x-kubernetes-validations` rules of one schema, cached by schema object. */
const compiled = new WeakMap<JSONSchemaProps, { rule: ValidationRule; ast: CelNode }[]>();

function rulesOf(schema: JSONSchemaProps): { rule: ValidationRule; ast: CelNode }[] {
  let rules = compiled.get(schema);
  if (!rules) {
    rules = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({ rule, ast: compileCel(rule.rule) }));
    compiled.set(schema, rules);
  }
  return rules;
}

/** Compiles every CEL rule in the schema; throws CelError naming the rule if one is outside the subset. */
export function compileSchemaRules(schema: JSONSchemaProps, path = ''): void {
  try {
    rulesOf(schema);
  } catch (err) {
    const rules = (schema['x-kubernetes-validations'] ?? []).map((r) => r.rule).join('; ');
    throw new CelError(`${path || '<root>'}: cannot compile x-kubernetes-validations rule (${rules}): ${(err as Error).message}`);
  }
  for (const [key, sub] of Object.entries(schema.properties ?? {})) compileSchemaRules(sub, child(path, key));
  if (schema.items) compileSchemaRules(schema.items, `${path}[*]`);
  if (typeof schema.additionalProperties === 'object') compileSchemaRules(schema.additionalProperties, `${path}[*]`);
}

function validateRules(values: { value: unknown; oldValue: unknown }, schema: JSONSchemaProps, path: string, errs: FieldError[]): void {
  const { value, oldValue } = values;
  if (value === undefined || value === null) return;
  for (const { rule, ast } of rulesOf(schema)) {
    if (usesOldSelf(ast) && oldValue === undefined) continue; // transition rules run on update only
    const at = rule.fieldPath ? path + rule.fieldPath : path;
    const type = schema.type ?? 'object';
    try {
      const ok = evaluateCel(ast, { self: value, oldSelf: oldValue });
      if (typeof ok !== 'boolean') throw new CelError(`rule did not evaluate to a bool: ${rule.rule}`);
      if (!ok) {
        const message = rule.message ?? `failed rule: ${rule.rule}`;
        errs.push(rule.reason === 'FieldValueForbidden' ? forbidden(at, message) : invalid(at, type, message));
      }
    } catch (err) {
      if (!(err instanceof CelError)) throw err;
      errs.push(invalid(at, type, `${err.message} evaluating rule: ${rule.rule}`));
    }
  }
  if (isObject(value)) {
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      validateRules({ value: value[key], oldValue: isObject(oldValue) ? oldValue[key] : undefined }, sub, child(path, key), errs);
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => validateRules({ value: item, oldValue: undefined }, schema.items!, `${path}[${i}]`, errs));
  }
}

/**
 * Validates a (pruned, defaulted) value against the schema: first the OpenAPI checks, then the
 * CEL rules. As in the API server, a type error keeps the CEL rules from running (they would see
 * data of the wrong shape) and says so.
 */
export function validateSchema(value: unknown, schema: JSONSchemaProps, opts: { oldValue?: unknown; path?: string } = {}): FieldError[] {
  const errs: FieldError[] = [];
  const path = opts.path ?? '';
  validateNode(value, schema, path, errs);
  if (errs.some((e) => e.type === 'FieldValueTypeInvalid')) {
    errs.push(
      invalid(
        '<nil>',
        null,
        'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ),
    );
  } else {
    validateRules({ value, oldValue: opts.oldValue }, schema, path, errs);
  }
  return errs;
}
