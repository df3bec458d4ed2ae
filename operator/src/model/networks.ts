/**
 * The three actor-critic networks, written with tfjs-core ops on named variables (no tfjs-layers):
 * the weights are plain arrays that save and load without layer serialisation, and the LSTM unroll
 * with per-step episode masks is explicit, the way CleanRL's `ppo_atari_lstm.py` writes it.
 *
 *   lstm-ppo-plus  features → Dense 64 ReLU → Dense 64 ReLU → LSTM 256 → actor Dense(actions), critic Dense(1)
 *   lstm-ppo       features → LSTM 256 → actor Dense 64 tanh → Dense 64 tanh → Dense(actions)
 *                                       critic Dense 64 tanh → Dense 64 tanh → Dense(1)   (Agarwal et al.)
 *   ppo            features → actor Dense 64 tanh → Dense 64 tanh → Dense(actions)
 *                             critic Dense 64 tanh → Dense 64 tanh → Dense(1)           (CleanRL ppo.py)
 *
 * LSTM gates are in PyTorch's order (input, forget, cell, output) and the kernel stacks the input
 * weights over the recurrent ones: kernel [inputs + units, 4·units], so a PyTorch `nn.LSTM`
 * converts by transposing `weight_ih_l0` and `weight_hh_l0` and adding its two biases.
 */
import { tf } from './backend.js';
import { orthogonal, Rng } from './random.js';

export const ALGOS = ['lstm-ppo-plus', 'lstm-ppo', 'ppo'] as const;
export type Algo = (typeof ALGOS)[number];

export interface Architecture {
  algo: Algo;
  /** Length of the feature vector. */
  inputSize: number;
  /** Number of discrete actions (the actor's logits). */
  actionCount: number;
  /** Dense layers before the LSTM (shared by actor and critic). */
  encoderUnits: readonly number[];
  /** LSTM width; 0 for a feed-forward network. */
  lstmUnits: number;
  /** Dense layers of each head (actor and critic have their own). */
  headUnits: readonly number[];
  activation: 'relu' | 'tanh';
}

/** The published architectures, for a given feature and action count. */
export function defaultArchitecture(algo: Algo, inputSize: number, actionCount: number): Architecture {
  switch (algo) {
    case 'lstm-ppo-plus':
      return { algo, inputSize, actionCount, encoderUnits: [64, 64], lstmUnits: 256, headUnits: [], activation: 'relu' };
    case 'lstm-ppo':
      return { algo, inputSize, actionCount, encoderUnits: [], lstmUnits: 256, headUnits: [64, 64], activation: 'tanh' };
    case 'ppo':
      return { algo, inputSize, actionCount, encoderUnits: [], lstmUnits: 0, headUnits: [64, 64], activation: 'tanh' };
  }
}

export interface ParamSpec {
  name: string;
  shape: readonly number[];
}

interface InitSpec extends ParamSpec {
  /** Orthogonal gain for a kernel; undefined for a zero bias. */
  gain?: number;
  /** For the LSTM kernel: the row at which the recurrent block starts (initialised separately). */
  splitRow?: number;
}

/** Every parameter of an architecture, in the fixed order used by saved weight files. */
export function paramSpecs(arch: Architecture): ParamSpec[] {
  return initSpecs(arch).map(({ name, shape }) => ({ name, shape }));
}

function initSpecs(arch: Architecture): InitSpec[] {
  const specs: InitSpec[] = [];
  // CleanRL's layer_init: hidden layers orthogonal(√2), actor output 0.01 (near-uniform first
  // policy), critic output 1, LSTM weights orthogonal(1), every bias 0.
  const dense = (prefix: string, inputs: number, units: number, gain: number): void => {
    specs.push({ name: `${prefix}.kernel`, shape: [inputs, units], gain });
    specs.push({ name: `${prefix}.bias`, shape: [units] });
  };
  let width = arch.inputSize;
  arch.encoderUnits.forEach((units, i) => {
    dense(`encoder.${i}`, width, units, Math.SQRT2);
    width = units;
  });
  if (arch.lstmUnits > 0) {
    specs.push({ name: 'lstm.kernel', shape: [width + arch.lstmUnits, 4 * arch.lstmUnits], gain: 1, splitRow: width });
    specs.push({ name: 'lstm.bias', shape: [4 * arch.lstmUnits] });
    width = arch.lstmUnits;
  }
  for (const head of ['actor', 'critic'] as const) {
    let w = width;
    arch.headUnits.forEach((units, i) => {
      dense(`${head}.${i}`, w, units, Math.SQRT2);
      w = units;
    });
    dense(`${head}.out`, w, head === 'actor' ? arch.actionCount : 1, head === 'actor' ? 0.01 : 1);
  }
  return specs;
}

/** Fresh weights for an architecture, deterministic for a seed. */
export function initialWeights(arch: Architecture, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of initSpecs(arch)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.gain === undefined) {
      weights.set(spec.name, new Float32Array(size));
    } else if (spec.splitRow !== undefined) {
      const [rows, cols] = spec.shape as [number, number];
      const top = orthogonal(spec.splitRow, cols, spec.gain, rng);
      const bottom = orthogonal(rows - spec.splitRow, cols, spec.gain, rng);
      const w = new Float32Array(size);
      w.set(top, 0);
      w.set(bottom, top.length);
      weights.set(spec.name, w);
    } else {
      const [rows, cols] = spec.shape as [number, number];
      weights.set(spec.name, orthogonal(rows, cols, spec.gain, rng));
    }
  }
  return weights;
}

/** Recurrent state of a batch: hidden and cell, each [batch, units], row-major. */
export interface LstmState {
  h: Float32Array;
  c: Float32Array;
}

export interface StepOutput {
  /** Action logits, [batch, actions] row-major. */
  logits: Float32Array;
  /** State values, [batch]. */
  values: Float32Array;
  /** The state after this step (null for a feed-forward network). */
  state: LstmState | null;
}

export interface UnrollOutput {
  /** [T·B, actions], time-major (row t·B + b). */
  logits: tf.Tensor2D;
  /** [T·B]. */
  values: tf.Tensor1D;
}

/** An actor-critic network: tf variables plus the forward passes the policy and PPO need. */
export class ActorCritic {
  readonly arch: Architecture;
  readonly params: Map<string, tf.Variable>;

  constructor(arch: Architecture, weights: Map<string, Float32Array>) {
    this.arch = arch;
    this.params = new Map();
    for (const spec of paramSpecs(arch)) {
      const values = weights.get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!values || values.length !== size) {
        this.dispose();
        throw new Error(`weight ${spec.name}: want ${size} values, got ${values ? values.length : 'none'}`);
      }
      if (spec.name === 'lstm.kernel') {
        // Two variables in memory, one matrix on disk: slicing the saved [inputs + units, 4·units]
        // kernel at every step copied it (1.3 MB for LSTM 256) at every decision.
        const [rows, cols] = spec.shape as [number, number];
        const split = rows - arch.lstmUnits;
        this.params.set(LSTM_INPUT_KERNEL, makeVariable(values.subarray(0, split * cols), [split, cols], LSTM_INPUT_KERNEL));
        this.params.set(LSTM_RECURRENT_KERNEL, makeVariable(values.subarray(split * cols), [arch.lstmUnits, cols], LSTM_RECURRENT_KERNEL));
        continue;
      }
      this.params.set(spec.name, makeVariable(values, spec.shape, spec.name));
    }
  }

  get recurrent(): boolean {
    return this.arch.lstmUnits > 0;
  }

  /** Zero state for `batch` sequences (episode start); null for a feed-forward network. */
  initialState(batch: number): LstmState | null {
    if (!this.recurrent) return null;
    const size = batch * this.arch.lstmUnits;
    return { h: new Float32Array(size), c: new Float32Array(size) };
  }

  /** One step for a batch of independent sequences (rollouts, the operator's decisions). */
  step(features: Float32Array, batch: number, state: LstmState | null): StepOutput {
    if (this.recurrent && !state) throw new Error('recurrent network stepped without a state');
    const tensors = tf.tidy(() => {
      const x = tf.tensor2d(features, [batch, this.arch.inputSize]);
      let trunk = this.encode(x);
      const out: tf.Tensor[] = [];
      if (this.recurrent && state) {
        const units = this.arch.lstmUnits;
        const [h, c] = this.lstmCell(
          this.inputProjection(trunk),
          tf.tensor2d(state.h, [batch, units]),
          tf.tensor2d(state.c, [batch, units]),
          this.recurrentKernel(),
        );
        out.push(h, c);
        trunk = h;
      }
      return [this.head('actor', trunk), this.head('critic', trunk), ...out];
    });
    const [logits, values, h, c] = tensors.map((t) => t.dataSync() as Float32Array);
    tf.dispose(tensors);
    return { logits, values, state: h && c ? { h, c } : null };
  }

  /**
   * Forward pass over T steps of B sequences for the PPO loss (call inside a gradient scope).
   * `episodeStarts[t·B + b]` = 1 where step t of sequence b begins a new episode: the state is
   * zeroed there, exactly as during the rollout, so the gradient sees what the policy saw.
   */
  unroll(args: {
    features: tf.Tensor2D; // [T·B, inputs], time-major
    episodeStarts: tf.Tensor2D; // [T·B, 1]
    initialState: LstmState | null;
    steps: number;
    batch: number;
  }): UnrollOutput {
    const { steps, batch } = args;
    let trunk = this.encode(args.features);
    if (this.recurrent) {
      if (!args.initialState) throw new Error('recurrent network unrolled without an initial state');
      const units = this.arch.lstmUnits;
      // Project all inputs at once; only the recurrent product stays inside the loop.
      const projected = tf.split(this.inputProjection(trunk), steps, 0);
      const keep = tf.split(tf.sub(1, args.episodeStarts), steps, 0);
      const recurrentKernel = this.recurrentKernel();
      let h: tf.Tensor2D = tf.tensor2d(args.initialState.h, [batch, units]);
      let c: tf.Tensor2D = tf.tensor2d(args.initialState.c, [batch, units]);
      const outputs: tf.Tensor2D[] = [];
      for (let t = 0; t < steps; t++) {
        [h, c] = this.lstmCell(projected[t] as tf.Tensor2D, tf.mul(h, keep[t]), tf.mul(c, keep[t]), recurrentKernel);
        outputs.push(h);
      }
      trunk = tf.concat(outputs, 0);
    }
    return {
      logits: this.head('actor', trunk),
      values: tf.reshape(this.head('critic', trunk), [-1]) as tf.Tensor1D,
    };
  }

  /** Current weights as arrays (for saving), in `paramSpecs` order. */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const spec of paramSpecs(this.arch)) {
      if (spec.name === 'lstm.kernel') {
        const input = this.p(LSTM_INPUT_KERNEL).dataSync() as Float32Array;
        const recurrent = this.p(LSTM_RECURRENT_KERNEL).dataSync() as Float32Array;
        const joined = new Float32Array(input.length + recurrent.length);
        joined.set(input, 0);
        joined.set(recurrent, input.length);
        out.set(spec.name, joined);
      } else {
        out.set(spec.name, (this.p(spec.name).dataSync() as Float32Array).slice());
      }
    }
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`network has no parameter ${name}`);
    return v;
  }

  private dense(prefix: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.p(`${prefix}.kernel`)), this.p(`${prefix}.bias`));
  }

  private activate(x: tf.Tensor2D): tf.Tensor2D {
    return this.arch.activation === 'relu' ? tf.relu(x) : tf.tanh(x);
  }

  private encode(x: tf.Tensor2D): tf.Tensor2D {
    let out = x;
    this.arch.encoderUnits.forEach((_, i) => {
      out = this.activate(this.dense(`encoder.${i}`, out));
    });
    return out;
  }

  private head(name: 'actor' | 'critic', x: tf.Tensor2D): tf.Tensor2D {
    let out = x;
    this.arch.headUnits.forEach((_, i) => {
      out = this.activate(this.dense(`${name}.${i}`, out));
    });
    return this.dense(`${name}.out`, out);
  }

  /** x·W_input + b for every row at once, [rows, 4·units]. */
  private inputProjection(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.p(LSTM_INPUT_KERNEL)), this.p('lstm.bias'));
  }

  /** The recurrent block of the LSTM kernel, [units, 4·units]. */
  private recurrentKernel(): tf.Tensor2D {
    return this.p(LSTM_RECURRENT_KERNEL) as tf.Tensor2D;
  }

  private lstmCell(projected: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, recurrentKernel: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const gates = tf.add(projected, tf.matMul(h, recurrentKernel));
    const [i, f, g, o] = tf.split(gates, 4, 1);
    const nextC = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    const nextH = tf.mul(tf.sigmoid(o), tf.tanh(nextC));
    return [nextH as tf.Tensor2D, nextC as tf.Tensor2D];
  }
}

let nextId = 0;

/** In-memory halves of the saved `lstm.kernel`. */
const LSTM_INPUT_KERNEL = 'lstm.kernel[input]';
const LSTM_RECURRENT_KERNEL = 'lstm.kernel[recurrent]';

function makeVariable(values: Float32Array, shape: readonly number[], name: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, [...shape]), true, `${name.replace(/[^A-Za-z0-9_.]/g, '_')}_${nextId++}`));
}
