/**
 * Level-1 vector operations over flat parameter vectors, shared by L-BFGS and its line
 * search. Reductions accumulate in double precision whatever the storage type.
 */
import type { FloatArray } from '../../tensor/tensor.js';

/** Σ aᵢ·bᵢ, accumulated in double precision. */
export function dot(a: FloatArray, b: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** max |aᵢ| (the ∞-norm); 0 for an empty vector, NaN when any entry is NaN. */
export function maxAbs(a: FloatArray): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > max) max = v;
    else if (Number.isNaN(v)) return NaN;
  }
  return max;
}

/** Σ |aᵢ| (the 1-norm). */
export function sumAbs(a: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]!);
  return sum;
}

/** y ← y + α·x */
export function axpy(y: FloatArray, alpha: number, x: FloatArray): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}

/** out ← −a */
export function negate(out: FloatArray, a: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = -a[i]!;
}

/** out ← a − b */
export function difference(out: FloatArray, a: FloatArray, b: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
}

/** out ← α·a */
export function scaled(out: FloatArray, alpha: number, a: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = alpha * a[i]!;
}
