/**
 * A small seeded random number generator (mulberry32) for everything that must repeat for a seed:
 * weight initialisation, action sampling during rollouts, environment start offsets. tfjs' own
 * random ops are seedable too, but sampling on the JavaScript side keeps a rollout independent of
 * the backend, and the orthogonal initialiser of tfjs takes seconds for a 320×1024 kernel.
 */
export class Rng {
  private state: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    // Mix the seed so that 0, 1, 2 … give unrelated streams.
    this.state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ 0x85ebca6b) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The generator's position, to save in a checkpoint and restore with `restore`. */
  snapshot(): { state: number; spareNormal: number | null } {
    return { state: this.state, spareNormal: this.spareNormal };
  }

  restore(snapshot: { state: number; spareNormal: number | null }): void {
    this.state = snapshot.state >>> 0;
    this.spareNormal = snapshot.spareNormal;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Index drawn from unnormalised non-negative weights (probabilities of a categorical). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** A fresh seed for a child stream (one per environment, say). */
  fork(): number {
    return Math.floor(this.next() * 4294967296);
  }
}

/**
 * Orthogonal matrix of shape [rows, cols] scaled by `gain` (Saxe et al.; what CleanRL's
 * `layer_init` uses), row-major. Modified Gram–Schmidt on Gaussian vectors along the longer side.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const transpose = rows > cols;
  const n = transpose ? cols : rows; // number of orthonormal vectors
  const len = transpose ? rows : cols; // their length
  const vectors: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const v = new Float64Array(len);
    for (let k = 0; k < len; k++) v[k] = rng.normal();
    for (const u of vectors) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += u[k] * v[k];
      for (let k = 0; k < len; k++) v[k] -= dot * u[k];
    }
    let norm = 0;
    for (let k = 0; k < len; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < len; k++) v[k] /= norm;
    vectors.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < len; k++) {
      const [r, c] = transpose ? [k, i] : [i, k];
      out[r * cols + c] = gain * vectors[i][k];
    }
  }
  return out;
}
