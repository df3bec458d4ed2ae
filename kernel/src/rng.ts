/**
 * Seeded pseudo-random numbers for arrival processes and synthetic traces. `Math.random` cannot be
 * seeded, and a run must be reproducible from the seed printed in its summary.
 *
 * Generator: xoshiro128** (Blackman & Vigna), state seeded with splitmix32 from a 53-bit hash of a
 * string key. Each function of a replay gets its own stream keyed by (seed, function id), so adding
 * a function to a run does not change the arrivals of the others.
 */

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `key` is any string or number; equal keys give equal streams. */
  constructor(key: string | number) {
    let h = hash53(String(key));
    const next = (): number => {
      // splitmix32 over a 32-bit fold of the hash, advanced per word.
      h = (h + 0x9e3779b9) % 9007199254740992;
      let z = (h ^ (h / 4294967296)) >>> 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log1p(-this.next()) / rate;
  }

  /** Standard normal (Box–Muller; one value per call, the pair's twin is discarded for simplicity). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Poisson-distributed integer with mean `mean`. Knuth's product method below 30; above, Hörmann's
   * PTRS transformed rejection ("The transformed rejection method for generating Poisson random
   * variables", 1993), which is exact and O(1).
   */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = this.next();
      while (p > limit) {
        k++;
        p *= this.next();
      }
      return k;
    }
    return poissonPtrs(mean, () => this.next());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** cyrb53: a fast, well-mixed 53-bit string hash (public domain). */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const LOG_FACTORIAL_TABLE: number[] = [0];

/**
 * Poisson with a mean of at least 10 by W. Hörmann's PTRS transformed rejection ("The transformed
 * rejection method for generating Poisson random variables", 1993; as numpy does): exact and O(1)
 * however large the mean. `uniform` draws from [0, 1); two draws per trial, u then v.
 */
export function poissonPtrs(mean: number, uniform: () => number): number {
  const sqrtMean = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * sqrtMean;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = uniform() - 0.5;
    const v = uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) {
      return k;
    }
  }
}

/** ln(k!) exactly for small k (table), Stirling's series beyond. */
export function logFactorial(k: number): number {
  if (k < 256) {
    while (LOG_FACTORIAL_TABLE.length <= k) {
      const n = LOG_FACTORIAL_TABLE.length;
      LOG_FACTORIAL_TABLE.push(LOG_FACTORIAL_TABLE[n - 1] + Math.log(n));
    }
    return LOG_FACTORIAL_TABLE[k];
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}
