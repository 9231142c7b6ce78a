/** Reductions the layer-wise optimizers (LAMB, LARS) and global clipping need (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';

/** Σᵢ xᵢ² over the first n elements, accumulated in doubles. */
export function sumOfSquares(x: FloatArray, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    total += v * v;
  }
  return total;
}
