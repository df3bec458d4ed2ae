/** The FunctionAutoscaler API: types, the CRD, defaults and validation. */
export * from './types.js';
export {
  functionAutoscalerCrd,
  functionAutoscalerSchema,
  packageRoot,
  CRD_FILE,
  type CustomResourceDefinition,
  type PrinterColumn,
} from './crd.js';
export { withDefaults, defaultPolicyName } from './defaults.js';
export {
  admitFunctionAutoscaler,
  validateFunctionAutoscaler,
  parseFunctionAutoscaler,
  invalidMessage,
  type AdmissionResult,
} from './validation.js';
export { formatFieldError, formatFieldErrors, type FieldError, type FieldErrorType } from './field-errors.js';
export { parseQuantity } from './quantity.js';
