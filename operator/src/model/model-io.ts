/**
 * A saved model is a directory with two files:
 *
 *   model.json   metadata: architecture, feature standardisation, action space, reward and training
 *                arguments, trace provenance, package version, git commit, the weight manifest and a
 *                checksum;
 *   weights.bin  every parameter as little-endian float32, concatenated in `paramSpecs` order.
 *
 * checksum = sha256(weights.bin ‖ canonical JSON of model.json without `checksum`), so editing
 * either file is caught. Loading validates everything before a single tensor is made: a corrupt or
 * mismatched model fails with one clear `ModelLoadError`, never a half-loaded policy.
 */
import { makeDirs } from '#kernel/output.js';
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTION_SPACES, DECISION_RULES, type ActionSpaceName, type DecisionRule } from './actions.js';
import { featureCount, FEATURE_SETS, type FeatureConfig } from './features.js';
import type { ScalingBehavior } from '../rails/types.js';
import { ActorCritic, ALGOS, paramSpecs, type Algo, type Architecture, type ParamSpec } from './networks.js';

export const MODEL_FORMAT = 'faas-autoscaler-model/v1';
export const METADATA_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Where the training data came from. */
export interface TraceProvenance {
  /** Trace path as given, and the sha256 of each file read. */
  files: { path: string; sha256: string }[];
  /** Function ids trained on, and those held out for validation. */
  trainFunctions: string[];
  validationFunctions: string[];
  rateScales: number[];
}

export interface ModelMetadata {
  format: typeof MODEL_FORMAT;
  algo: Algo;
  architecture: Architecture;
  features: FeatureConfig;
  /** The action space, and how a deterministic decision is read (default `mode`). */
  actions: { space: ActionSpaceName; decision?: DecisionRule };
  /**
   * Rails behaviour the policy declares as its default (what it was trained under), e.g. a
   * scale-down stabilization window; rails apply it like the HPA's defaults for `hpa`.
   */
  behavior?: ScalingBehavior;
  /** Reward configuration (name + constants). */
  reward: Record<string, unknown>;
  /** The training arguments exactly as used, and what the run did. */
  training: {
    args: Record<string, unknown>;
    environmentSteps: number;
    updates: number;
    wallSeconds: number;
    backend: string;
  };
  trace: TraceProvenance | null;
  packageVersion: string;
  gitCommit: string | null;
  createdAt: string;
  weights: { file: typeof WEIGHTS_FILE; params: ParamSpec[] };
  checksum: string;
}

export type ModelMetadataInput = Omit<ModelMetadata, 'format' | 'weights' | 'checksum' | 'architecture' | 'algo'>;

export class ModelLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** JSON with object keys sorted at every level: the same metadata always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function modelChecksum(weightBytes: Uint8Array, metadata: Omit<ModelMetadata, 'checksum'> | ModelMetadata): string {
  const { checksum: _ignored, ...rest } = metadata as ModelMetadata;
  return createHash('sha256').update(weightBytes).update(canonicalJson(rest)).digest('hex');
}

function packWeights(specs: readonly ParamSpec[], weights: Map<string, Float32Array>): Uint8Array {
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const buffer = new ArrayBuffer(total * 4);
  const view = new DataView(buffer);
  let offset = 0;
  for (const spec of specs) {
    const values = weights.get(spec.name);
    if (!values) throw new Error(`no weights for ${spec.name}`);
    for (const v of values) {
      view.setFloat32(offset, v, true);
      offset += 4;
    }
  }
  return new Uint8Array(buffer);
}

function unpackWeights(specs: readonly ParamSpec[], bytes: Uint8Array): Map<string, Float32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    offset += 4 * size;
    weights.set(spec.name, values);
  }
  return weights;
}

/** Writes model.json and weights.bin into `dir` (created if needed); returns the checksum. */
export async function saveModel(dir: string, network: ActorCritic, meta: ModelMetadataInput): Promise<string> {
  const specs = paramSpecs(network.arch);
  const bytes = packWeights(specs, network.weights());
  const unsigned: Omit<ModelMetadata, 'checksum'> = {
    format: MODEL_FORMAT,
    algo: network.arch.algo,
    architecture: network.arch,
    ...meta,
    weights: { file: WEIGHTS_FILE, params: specs.map((s) => ({ name: s.name, shape: [...s.shape] })) },
  };
  const checksum = modelChecksum(bytes, unsigned);
  const metadata: ModelMetadata = { ...unsigned, checksum };
  await makeDirs(dir);
  // Write beside and rename, so a crash mid-save never leaves a torn pair behind.
  await writeFile(join(dir, `${WEIGHTS_FILE}.tmp`), bytes);
  await writeFile(join(dir, `${METADATA_FILE}.tmp`), `${JSON.stringify(metadata, null, 2)}\n`);
  await rename(join(dir, `${WEIGHTS_FILE}.tmp`), join(dir, WEIGHTS_FILE));
  await rename(join(dir, `${METADATA_FILE}.tmp`), join(dir, METADATA_FILE));
  return checksum;
}

export interface LoadedModel {
  metadata: ModelMetadata;
  network: ActorCritic;
}

/**
 * Reads and verifies a model directory. `expectAlgo` makes loading, say, a PPO model into the
 * lstm-ppo-plus policy an error naming both.
 */
export async function loadModel(dir: string, options: { expectAlgo?: Algo } = {}): Promise<LoadedModel> {
  const metaPath = join(dir, METADATA_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const fail = (what: string, cause?: unknown): never => {
    throw new ModelLoadError(`model ${dir}: ${what}`, cause === undefined ? undefined : { cause });
  };

  let text = '';
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (err) {
    fail(`cannot read ${METADATA_FILE}: ${(err as Error).message}`, err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the start of the text; a path given by mistake (/etc/…) must not be echoed.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    fail(`${METADATA_FILE} is not valid JSON${at !== undefined ? ` (at position ${at})` : ''}`, err);
  }
  const metadata = validateMetadata(raw, fail);
  if (options.expectAlgo && metadata.algo !== options.expectAlgo) {
    fail(`is a ${metadata.algo} model, but the ${options.expectAlgo} policy needs a ${options.expectAlgo} model`);
  }

  let bytes = new Uint8Array();
  try {
    bytes = new Uint8Array(await readFile(weightsPath));
  } catch (err) {
    fail(`cannot read ${WEIGHTS_FILE}: ${(err as Error).message}`, err);
  }
  const specs = paramSpecs(metadata.architecture);
  const wantBytes = 4 * specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== wantBytes) {
    fail(`${WEIGHTS_FILE} has ${bytes.byteLength} bytes, the architecture needs ${wantBytes} (truncated or wrong file)`);
  }
  const checksum = modelChecksum(bytes, metadata);
  if (checksum !== metadata.checksum) {
    fail(`checksum mismatch (want ${metadata.checksum}, got ${checksum}): ${METADATA_FILE} or ${WEIGHTS_FILE} was modified or is corrupt`);
  }
  const mismatch = specs.find((s, i) => {
    const saved = metadata.weights.params[i];
    return !saved || saved.name !== s.name || saved.shape.join('x') !== s.shape.join('x');
  });
  if (mismatch || metadata.weights.params.length !== specs.length) {
    fail(
      `weight manifest does not match the ${metadata.algo} architecture (first difference at ${mismatch?.name ?? 'the parameter count'})`,
    );
  }
  const weights = unpackWeights(specs, bytes);
  for (const [name, values] of weights) {
    if (values.some((v) => !Number.isFinite(v))) fail(`weight ${name} contains NaN or Infinity`);
  }
  return { metadata, network: new ActorCritic(metadata.architecture, weights) };
}

/** Structural checks of model.json, each failure naming the field. */
function validateMetadata(raw: unknown, fail: (what: string) => never): ModelMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`${METADATA_FILE} is not a JSON object`);
  const m = raw as Partial<ModelMetadata>;
  if (m.format !== MODEL_FORMAT) fail(`format is ${JSON.stringify(m.format)}, want "${MODEL_FORMAT}"`);
  if (!ALGOS.includes(m.algo as Algo)) fail(`algo is ${JSON.stringify(m.algo)}, want one of ${ALGOS.join(', ')}`);
  const a = m.architecture;
  if (!a || typeof a !== 'object') fail('architecture is missing');
  const arch = a as Architecture;
  const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  if (arch.algo !== m.algo) fail(`architecture.algo ${JSON.stringify(arch.algo)} differs from algo ${JSON.stringify(m.algo)}`);
  if (!positiveInt(arch.inputSize) || !positiveInt(arch.actionCount))
    fail('architecture.inputSize and actionCount must be positive integers');
  if (!Number.isInteger(arch.lstmUnits) || arch.lstmUnits < 0) fail('architecture.lstmUnits must be an integer >= 0');
  if (!Array.isArray(arch.encoderUnits) || !arch.encoderUnits.every(positiveInt))
    fail('architecture.encoderUnits must be a list of positive integers');
  if (!Array.isArray(arch.headUnits) || !arch.headUnits.every(positiveInt))
    fail('architecture.headUnits must be a list of positive integers');
  if (arch.activation !== 'relu' && arch.activation !== 'tanh') fail('architecture.activation must be relu or tanh');
  const f = m.features;
  if (!f || !FEATURE_SETS.includes(f.set)) fail(`features.set must be one of ${FEATURE_SETS.join(', ')}`);
  const features = f as FeatureConfig;
  const n = featureCount(features.set);
  if (arch.inputSize !== n) fail(`architecture.inputSize ${arch.inputSize} does not match feature set ${features.set} (${n} columns)`);
  for (const key of ['mean', 'std'] as const) {
    const v = features[key];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`features.${key} must be ${n} finite numbers`);
    }
  }
  if (features.std.some((s) => s <= 0)) fail('features.std must be positive');
  if (typeof features.clip !== 'number' || !(features.clip > 0)) fail('features.clip must be a positive number');
  if (!m.actions || !ACTION_SPACES.includes(m.actions.space)) fail(`actions.space must be one of ${ACTION_SPACES.join(', ')}`);
  if (m.actions.decision !== undefined && !DECISION_RULES.includes(m.actions.decision)) {
    fail(`actions.decision must be one of ${DECISION_RULES.join(', ')}`);
  }
  if (!m.weights || !Array.isArray(m.weights.params)) fail('weights.params is missing');
  if (typeof m.checksum !== 'string' || !/^[0-9a-f]{64}$/.test(m.checksum)) fail('checksum is missing or not a sha256 hex digest');
  return m as ModelMetadata;
}
