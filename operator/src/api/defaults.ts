/**
 * Defaults of a FunctionAutoscaler, taken from the `default`s in the CRD schema (never repeated in
 * code), applied the way the API server applies them: unknown fields pruned, nulls in non-nullable
 * fields dropped, defaults filled in top down.
 */
import { functionAutoscalerSchema } from './crd.js';
import { applySchemaDefaults, pruneUnknownFields } from './schema.js';
import type { FunctionAutoscaler } from './types.js';

export interface DefaultingResult<T> {
  object: T;
  /** Paths of the unknown fields that were dropped, e.g. `spec.minReplica`. */
  prunedFields: string[];
}

/**
 * A pruned and defaulted deep copy of `input` (a FunctionAutoscaler as a user wrote it). The
 * result is not validated: see `admitFunctionAutoscaler` in validation.ts.
 */
export function withDefaults(input: unknown): DefaultingResult<FunctionAutoscaler> {
  const object = structuredClone(input);
  const schema = functionAutoscalerSchema();
  const prunedFields = pruneUnknownFields(object, schema);
  applySchemaDefaults(object, schema);
  return { object: object as FunctionAutoscaler, prunedFields };
}

/** The default `spec.policy.name` (from the CRD). */
export function defaultPolicyName(): string {
  return functionAutoscalerSchema().properties!.spec.properties!.policy.properties!.name.default as string;
}
