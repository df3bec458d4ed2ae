/**
 * Which TensorFlow.js backend runs the networks. In order of preference:
 *
 *  1. `tensorflow` from `@tensorflow/tfjs-node` (native libtensorflow), when it is installed. It is an
 *     optionalDependency because its install script downloads libtensorflow, which fails offline.
 *  2. `wasm` from `@tensorflow/tfjs-backend-wasm` (SIMD, one thread): ~1.5 ms for one recurrent
 *     step, 7–40× faster than `cpu` here, and every LSTM gradient works (docs/adr, "wasm for tfjs").
 *  3. `cpu`, the pure-JavaScript fallback that always loads.
 *
 * The choice is made once per process and logged, so a slow run can be explained from its log.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** Why the backends before it were not used, e.g. "tensorflow: Cannot find package ...". */
  skipped: readonly string[];
}

export interface InitBackendOptions {
  /** Force one backend (tests, benchmarks); by default the first that loads wins. */
  prefer?: BackendName;
  /** Where the choice is reported (one line). */
  log?: (line: string) => void;
}

let chosen: Promise<BackendInfo> | undefined;

/**
 * Selects and initialises the backend once per process; later calls return the first result
 * (tfjs has one global backend, and switching it would strand every tensor made before).
 */
export function initTfBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (!chosen) {
    chosen = selectBackend(options.prefer).then((info) => {
      const skipped = info.skipped.length > 0 ? ` (skipped ${info.skipped.join('; ')})` : '';
      options.log?.(`tfjs backend: ${info.name}${skipped}`);
      return info;
    });
  }
  return chosen;
}

async function selectBackend(prefer: BackendName | undefined): Promise<BackendInfo> {
  const order = prefer ? [prefer, ...BACKEND_NAMES.filter((b) => b !== prefer)] : [...BACKEND_NAMES];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      await loadBackend(name);
      return { name, skipped };
    } catch (err) {
      skipped.push(`${name}: ${firstLine(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised: ${skipped.join('; ')}`);
}

async function loadBackend(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow': {
      // A variable specifier: the package is optional and may be absent at type-check time too.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      break;
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from disk; point at the package's own dist/ folder
      // (resolving relative to this module also works under jest, where there is no bundler).
      const require = createRequire(import.meta.url);
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(`${dist}/`);
      break;
    }
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

export { tf };
