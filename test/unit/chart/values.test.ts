/**
 * values.yaml and values.schema.json describe the same keys, and every top-level key in
 * values.yaml has a comment saying what it is for (users read the file: `helm show values`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from './helm.js';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  $ref?: string;
  definitions?: Record<string, Schema>;
}

const valuesText = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Schema;

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/definitions/', '');
  return schema.definitions![name]!;
}

/** Paths of the schema's declared properties (objects with declared properties are walked). */
function schemaPaths(s: Schema, prefix = ''): string[] {
  const r = resolve(s);
  if (!r.properties) return [];
  return Object.entries(r.properties).flatMap(([k, child]) => [`${prefix}${k}`, ...schemaPaths(child, `${prefix}${k}.`)]);
}

/** Paths in values.yaml, walking into objects the schema declares properties for. */
function valuePaths(v: unknown, s: Schema | undefined, prefix = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !s) return [];
  const r = resolve(s);
  if (!r.properties) return []; // free-form (securityContext, nodeSelector, ...): Kubernetes' own schema applies
  return Object.entries(v).flatMap(([k, child]) => [`${prefix}${k}`, ...valuePaths(child, r.properties![k], `${prefix}${k}.`)]);
}

describe('values.yaml and values.schema.json', () => {
  it('declare the same keys', () => {
    const declared = new Set(schemaPaths(schema));
    const present = new Set(valuePaths(values, schema));
    // Keys the schema allows without a default in values.yaml.
    const optional = new Set(['global']);
    expect({
      inValuesNotSchema: [...present].filter((p) => !declared.has(p)),
      inSchemaNotValues: [...declared].filter((p) => !present.has(p) && !optional.has(p)),
    }).toEqual({ inValuesNotSchema: [], inSchemaNotValues: [] });
  });

  it('closes every object it declares, so a misspelt key is an error', () => {
    const open: string[] = [];
    const walk = (s: Schema, path: string): void => {
      const r = resolve(s);
      if (!r.properties) return;
      if (r.additionalProperties !== false) open.push(path || '(root)');
      for (const [k, child] of Object.entries(r.properties)) walk(child, path ? `${path}.${k}` : k);
    };
    walk(schema, '');
    expect(open).toEqual([]);
  });

  it('comments every top-level key (a run of one-line keys may share one comment)', () => {
    const lines = valuesText.split('\n');
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const key = /^([A-Za-z][\w-]*):/.exec(line)?.[1];
      if (!key) return;
      let j = i - 1;
      while (j >= 0 && /^[A-Za-z][\w-]*: \S/.test(lines[j]!)) j--; // earlier keys of the same run
      if (j < 0 || !lines[j]!.startsWith('#')) undocumented.push(key);
    });
    expect(undocumented).toEqual([]);
  });
});
