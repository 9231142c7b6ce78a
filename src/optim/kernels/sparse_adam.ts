/** SparseAdam's per-element update on the rows a coalesced row-sparse gradient names (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';

export interface SparseAdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** −1 to maximize. */
  gradScale: number;
  /** lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ): PyTorch's SparseAdam adds ε to √v before bias correction. */
  stepSize: number;
}

/**
 * For each named row (unique, as `coalesce()` leaves them): m ← β₁m + (1 − β₁)g;
 * v ← β₂v + (1 − β₂)g²;  w ← w − stepSize·m / (√v + ε). Rows not named keep their moments.
 */
export function sparseAdamUpdate(
  param: FloatArray,
  expAvg: FloatArray,
  expAvgSq: FloatArray,
  rows: Int32Array,
  values: FloatArray,
  rowSize: number,
  h: SparseAdamHyper,
): void {
  const { beta1, beta2, eps, gradScale, stepSize } = h;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * rowSize;
    const src = r * rowSize;
    for (let j = 0; j < rowSize; j++) {
      const g = gradScale * values[src + j]!;
      const m = beta1 * expAvg[base + j]! + (1 - beta1) * g;
      const v = beta2 * expAvgSq[base + j]! + (1 - beta2) * g * g;
      expAvg[base + j] = m;
      expAvgSq[base + j] = v;
      param[base + j] = param[base + j]! - (stepSize * m) / (Math.sqrt(v) + eps);
    }
  }
}
