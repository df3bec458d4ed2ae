/**
 * Admission of a custom resource from its CRD's structural schema, in the API server's order:
 * prune unknown fields (reported as warnings), apply defaults, validate schema and CEL rules.
 * The same functions validate FunctionAutoscalers in the operator (operator/src/api/).
 */
import { applySchemaDefaults, pruneUnknownFields, validateSchema, type JSONSchemaProps } from '../api/schema.js';
import type { Admission, KubeObject } from './kube-object.js';

export function admitCustomResource(obj: KubeObject, schema: JSONSchemaProps, old?: KubeObject): Admission {
  const unknownFields = pruneUnknownFields(obj, schema);
  applySchemaDefaults(obj, schema);
  const errors = validateSchema(obj, schema, { oldValue: old });
  return { errors, warnings: unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`), unknownFields };
}
