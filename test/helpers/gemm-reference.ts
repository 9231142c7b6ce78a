/**
 * The float32 rounding bound of a matrix product, and the product by the definition that it is
 * checked against (shared by the matmul tests and the relaxed-SIMD child process).
 *
 * A float32 dot product of depth d, computed in any order, with or without fused multiply-adds,
 * lies within γ·Σ|aₚbₚ| of the exact one, γ = (d + 2)·2⁻²⁴ (one rounding per product and per
 * addition, plus the final store; a fused multiply-add rounds once where they round twice;
 * Higham, Accuracy and Stability, §3.1). So each entry is compared after dividing by its own
 * Σ|aₚbₚ|, with atol γ: a tolerance that depends on nothing but float32 itself, and that any
 * indexing mistake (an error of order Σ|aₚbₚ|) overshoots by five orders of magnitude.
 */
import { Generator, type FloatArray } from '../../src/index.js';
import { assertAllclose } from './allclose.js';

export const F32_UNIT = 2 ** -24;
export const F64_UNIT = 2 ** -53;

/** An exact (float64) result with, per entry, the Σ|terms| that scales its rounding error, and the depth of the sums. */
export interface Exact {
  value: Float64Array;
  scale: Float64Array;
  depth: number;
}

/** Checks `actual` against `exact` entry by entry, relative to each entry's Σ|terms| (see the header). */
export function assertWithinRounding(actual: ArrayLike<number>, exact: Exact, unit: number, label: string, roundings = 1): void {
  const gamma = roundings * (exact.depth + 2) * unit;
  const scaled = (x: ArrayLike<number>) => Float64Array.from(x, (v, i) => v / (exact.scale[i]! || 1));
  assertAllclose(scaled(actual), scaled(exact.value), { rtol: 0, atol: gamma }, label);
}

export function uniform(length: number, rng: Generator, array: 'float32' | 'float64' = 'float32'): FloatArray {
  const out = array === 'float64' ? new Float64Array(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform() * 2 - 1;
  return out;
}

/** C + op(A)·op(B) by the definition, in float64, with op(A) m×k read from A stored m×k (or k×m). */
export function exactGemm(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number, transA: boolean, transB: boolean): Exact {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let total = c[i * n + j]!;
      let size = Math.abs(total);
      for (let p = 0; p < k; p++) {
        const term = (transA ? a[p * m + i]! : a[i * k + p]!) * (transB ? b[j * k + p]! : b[p * n + j]!);
        total += term;
        size += Math.abs(term);
      }
      value[i * n + j] = total;
      scale[i * n + j] = size;
    }
  }
  return { value, scale, depth: k };
}
