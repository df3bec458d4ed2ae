/**
 * Field errors in the shape and wording of the Kubernetes API server (k8s.io/apimachinery
 * `field.Error`), so that a message from our validation reads exactly like the one `kubectl apply`
 * prints for the same mistake:
 *
 *   spec.minReplicas: Invalid value: -1: spec.minReplicas in body should be greater than or equal to 0
 */

/** The `reason` of a StatusCause (metav1.CauseType). */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTypeInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with list indices, e.g. `spec.behavior.scaleUp.policies[0].value`. */
  path: string;
  /** Everything after `<path>: `, e.g. `Required value` or `Invalid value: 7: must be ...`. */
  message: string;
}

/** `path: message`, as in the API server's Invalid status message. */
export function formatFieldError(err: FieldError): string {
  return err.path ? `${err.path}: ${err.message}` : err.message;
}

/** All errors on one line, bracketed when there are several (like `field.ErrorList.ToAggregate`). */
export function formatFieldErrors(errs: readonly FieldError[]): string {
  const lines = errs.map(formatFieldError);
  return lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
}

/** Go's %v-ish rendering of a bad value inside "Invalid value: ...". */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(Array.isArray(value) ? 'array' : 'object');
}

export function required(path: string): FieldError {
  return { type: 'FieldValueRequired', path, message: 'Required value' };
}

export function invalid(path: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', path, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

export function typeInvalid(path: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', path, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

export function notSupported(path: string, value: unknown, supported: readonly unknown[]): FieldError {
  const list = supported.map((v) => JSON.stringify(v)).join(', ');
  return { type: 'FieldValueNotSupported', path, message: `Unsupported value: ${formatValue(value)}: supported values: ${list}` };
}

export function duplicate(path: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', path, message: `Duplicate value: ${JSON.stringify(value)}` };
}

export function forbidden(path: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', path, message: `Forbidden: ${detail}` };
}

export function tooLong(path: string, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', path, message: `Too long: may not be more than ${maxLength} bytes` };
}

export function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', path, message: `Too many: ${actual}: must have at most ${max} items` };
}
