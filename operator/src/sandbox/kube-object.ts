/** An object as the emulated API server stores it, and what admission says about one. */
import type { FieldError } from '../api/field-errors.js';
import type { ObjectMeta } from '../api/types.js';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { generateName?: string };
  [key: string]: unknown;
};

export interface Admission {
  errors: FieldError[];
  /** Warning headers (e.g. `unknown field "spec.foo"`). */
  warnings: string[];
  /** Fields dropped because the schema does not know them (fieldValidation=Strict rejects them). */
  unknownFields: string[];
}
