/**
 * Seeded random numbers for the simulator: small, fast, no dependencies, identical on every
 * platform (32-bit integer arithmetic only, then IEEE doubles).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, from PractRand), which
 * passes PractRand and BigCrush and needs four 32-bit words of state. Streams are keyed by
 * `(seed, stream, index)` through a murmur3-style mix, so the arrivals of trace bin 17 are the same
 * whatever happened in bins 0..16 and whichever policy ran: that is what makes the arrivals and
 * service demands common to every policy (common random numbers) and the oracle's lookahead exact.
 */

import { poissonPtrs } from '#kernel/rng.js';

/** Which independent stream a key belongs to. */
export const STREAM_ARRIVALS = 1;
export const STREAM_SERVICE = 2;

/** murmur3's 32-bit finaliser: a bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds any finite number (seeds may exceed 32 bits) into two 32-bit words. */
function splitNumber(x: number): [number, number] {
  const lo = x >>> 0;
  const hi = Math.floor(x / 4294967296) >>> 0;
  return [lo, hi];
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last Box–Muller pair, NaN when none is pending. */
  private spareNormal = Number.NaN;

  /** A stream for `(seed, stream, index)`; equal keys give equal streams. */
  constructor(seed: number, stream = 0, index = 0) {
    const [seedLo, seedHi] = splitNumber(seed);
    const [indexLo, indexHi] = splitNumber(index);
    let h = fmix32(seedLo ^ 0x9e3779b9);
    h = fmix32(h ^ seedHi);
    h = fmix32(h ^ Math.imul(stream + 1, 0x27d4eb2f));
    h = fmix32(h ^ indexLo);
    h = fmix32(h ^ indexHi);
    this.a = h;
    this.b = fmix32(h ^ 0x6a09e667);
    this.c = fmix32(h ^ 0xbb67ae85);
    this.d = 1; // sfc32's counter
    // Discard the first outputs, as sfc32's author recommends, so that close keys diverge.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in the open interval (0, 1), so that `log(u)` is always finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(this.uniform()) * mean;
  }

  /** Standard normal (Box–Muller, both values of each pair used in turn). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * Poisson with the given mean (any mean >= 0, fractional included). Small means: inversion by
   * sequential search (one uniform). Means >= 10: Hörmann's PTRS transformed rejection (as in
   * numpy; shared with the load generator's `Rng`), exact and O(1) however large the mean.
   */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
      let k = 0;
      let p = Math.exp(-mean);
      let cumulative = p;
      const u = this.uniform();
      while (u > cumulative && k < 1000) {
        k++;
        p *= mean / k;
        cumulative += p;
      }
      return k;
    }
    return poissonPtrs(mean, () => this.uniform());
  }
}
