/**
 * Seeded random numbers. Every draw in descent (initialisation, dropout, shuffling, data
 * splits) comes from a `Generator`, so the same seed gives the same numbers on every
 * machine. The core is xoshiro128** (32-bit state words, exact in JS integers), seeded
 * through splitmix32 so that nearby seeds give unrelated streams.
 */

/** The generator's full state, JSON-serializable for checkpoints. */
export interface GeneratorState {
  readonly s: readonly [number, number, number, number];
  /** A cached second normal from Box–Muller, or null. */
  readonly spareNormal: number | null;
}

function checkSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new RangeError(`Invalid seed: ${String(seed)} (expected a finite integer)`);
  }
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the stream to the one that `seed` names. */
  manualSeed(seed: number): this {
    checkSeed(seed);
    // splitmix32 over the seed's low and high 32 bits fills the four state words.
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32) * 0x9e3779b1;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
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

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal draw (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [low, high). */
  integer(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new RangeError(`Invalid integer range [${low}, ${high}): need integers with low < high`);
    }
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** A seeded Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  getState(): GeneratorState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a state from `getState()`; refuses (changing nothing) one this generator could not have. */
  setState(state: GeneratorState): this {
    const s = state?.s;
    // A word is 32 bits, signed or unsigned as the xor-shifts leave it.
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32)) {
      throw new TypeError('Invalid generator state: expected { s: [4 integers of 32 bits], spareNormal }');
    }
    if (s.every((w) => w === 0)) {
      // xoshiro's one fixed point: from all-zero words it returns 0 forever.
      throw new RangeError('Invalid generator state: the four state words are all zero, a state the generator never reaches');
    }
    if (state.spareNormal !== null && !(typeof state.spareNormal === 'number' && Number.isFinite(state.spareNormal))) {
      throw new TypeError('Invalid generator state: spareNormal must be a finite number or null');
    }
    this.s0 = s[0]! | 0;
    this.s1 = s[1]! | 0;
    this.s2 = s[2]! | 0;
    this.s3 = s[3]! | 0;
    this.spare = state.spareNormal;
    return this;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator that creation functions use when none is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
