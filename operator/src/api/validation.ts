/**
 * Validation of a FunctionAutoscaler against the CRD's schema and CEL rules, with errors worded as
 * the API server words them. The operator validates what it reads (a cluster may run an older CRD)
 * and the CLI validates files; the sandbox API server admits objects with the same code.
 */
import { InputError } from '#kernel/input-error.js';
import { functionAutoscalerSchema } from './crd.js';
import { withDefaults } from './defaults.js';
import { formatFieldErrors, type FieldError } from './field-errors.js';
import { validateSchema } from './schema.js';
import { KIND, GROUP, type FunctionAutoscaler } from './types.js';

export type { FieldError } from './field-errors.js';

/** Schema + CEL validation of an already defaulted object. `old` enables transition rules. */
export function validateFunctionAutoscaler(obj: unknown, opts: { old?: unknown } = {}): FieldError[] {
  return validateSchema(obj, functionAutoscalerSchema(), { oldValue: opts.old });
}

export interface AdmissionResult {
  /** Pruned and defaulted copy of the input. */
  object: FunctionAutoscaler;
  /** Empty when the object is valid. */
  errors: FieldError[];
  /** Unknown fields that were dropped (the API server's "unknown field" warnings). */
  prunedFields: string[];
}

/** What the API server does on create/update: prune, default, validate. */
export function admitFunctionAutoscaler(input: unknown, opts: { old?: unknown } = {}): AdmissionResult {
  const { object, prunedFields } = withDefaults(input);
  return { object, errors: validateFunctionAutoscaler(object, opts), prunedFields };
}

/**
 * A valid, defaulted FunctionAutoscaler from user input (a file, a flag), or an InputError whose
 * one-line message reads like kubectl's: `FunctionAutoscaler "x" is invalid: spec.maxReplicas: Required value`.
 */
export function parseFunctionAutoscaler(input: unknown): FunctionAutoscaler {
  const { object, errors } = admitFunctionAutoscaler(input);
  if (errors.length > 0) throw new InputError(invalidMessage(object, errors));
  return object;
}

export function invalidMessage(obj: unknown, errors: readonly FieldError[]): string {
  const name = (obj as { metadata?: { name?: string } })?.metadata?.name ?? '';
  return `${KIND}.${GROUP} ${JSON.stringify(name)} is invalid: ${formatFieldErrors(errors)}`;
}
