/**
 * Loads the FunctionAutoscaler CRD from `crds/` at run time, so the schema the API server enforces
 * and the one the operator validates with are the same file. The file is found by walking up from
 * this module to the package root, which works from `operator/src/api` (ts-jest, tsx) and from
 * `dist/operator/src/api` (the built package, which ships `crds/`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileSchemaRules, type JSONSchemaProps } from './schema.js';
import { CRD_NAME, VERSION } from './types.js';
import { packageRoot } from '../package-root.js';

export { packageRoot };

export const CRD_FILE = `crds/${CRD_NAME}.yaml`;

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: Record<string, string> };
  additionalPrinterColumns?: PrinterColumn[];
}

/** apiextensions.k8s.io/v1 CustomResourceDefinition, the fields we read. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; [key: string]: unknown };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind?: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: CrdVersion[];
  };
}

/** Parses a CRD YAML file and compiles its CEL rules (an unsupported rule fails here, loudly). */
export function loadCrdFile(path: string): CustomResourceDefinition {
  const crd = parse(readFileSync(path, 'utf8')) as CustomResourceDefinition;
  if (crd?.kind !== 'CustomResourceDefinition') throw new Error(`${path}: not a CustomResourceDefinition`);
  for (const v of crd.spec.versions) compileSchemaRules(v.schema.openAPIV3Schema);
  return crd;
}

let cached: CustomResourceDefinition | undefined;

/** The FunctionAutoscaler CRD (parsed once). */
export function functionAutoscalerCrd(): CustomResourceDefinition {
  cached ??= loadCrdFile(join(packageRoot(), CRD_FILE));
  return cached;
}

/** The served version's openAPIV3Schema of the FunctionAutoscaler CRD. */
export function functionAutoscalerSchema(): JSONSchemaProps {
  const version = functionAutoscalerCrd().spec.versions.find((v) => v.name === VERSION);
  if (!version) throw new Error(`${CRD_FILE} does not define version ${VERSION}`);
  return version.schema.openAPIV3Schema;
}
