/** Adagrad's per-element update, dense and row-sparse (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface AdagradHyper {
  /** lr / (1 + (t − 1)·lrDecay). */
  clr: number;
  eps: number;
  /** −1 to maximize. */
  gradScale: number;
  /** L2 term (dense gradients only). */
  weightDecay: number;
}

/** g = s·g + λ·w;  sum ← sum + g²;  w ← w − clr·g / (√sum + ε). */
export function adagradUpdate(param: FloatArray, grad: FloatArray, sum: FloatArray, n: number, h: AdagradHyper): void {
  const { clr, eps, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const s = sum[i]! + g * g;
    sum[i] = s;
    param[i] = w - (clr * g) / (Math.sqrt(s) + eps);
  }
}

/**
 * The same update on the rows a coalesced row-sparse gradient names (unique rows, so each row
 * is updated once); the other rows and their sums are untouched. `values` holds `rows.length`
 * rows of `rowSize` elements. Weight decay does not apply (PyTorch refuses it with sparse grads).
 */
export function adagradSparseUpdate(param: FloatArray, sum: FloatArray, rows: Int32Array, values: FloatArray, rowSize: number, h: AdagradHyper): void {
  const { clr, eps, gradScale } = h;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * rowSize;
    const src = r * rowSize;
    for (let j = 0; j < rowSize; j++) {
      const g = gradScale * values[src + j]!;
      const s = sum[base + j]! + g * g;
      sum[base + j] = s;
      param[base + j] = param[base + j]! - (clr * g) / (Math.sqrt(s) + eps);
    }
  }
}
