/**
 * SAM's ascent step to the worst nearby point (conventions: see ./sgd.ts). SAM's norm of the
 * plain gradient is `sumOfSquares` in ./norms.ts; ASAM weighs each coordinate by |w|.
 */
import type { FloatArray } from '../../tensor/tensor.js';

/** Σᵢ (|wᵢ|·gᵢ)²: ASAM's squared norm of the gradient in the weights' own scale. */
export function weightedSumOfSquares(param: FloatArray, grad: FloatArray, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = param[i]! * grad[i]!;
    total += v * v;
  }
  return total;
}

/** w ← w + scale·g  (SAM: scale = ρ / (‖g‖ + 10⁻¹²)). */
export function samPerturb(param: FloatArray, grad: FloatArray, n: number, scale: number): void {
  for (let i = 0; i < n; i++) param[i]! += scale * grad[i]!;
}

/** w ← w + scale·w²·g  (ASAM: scale = ρ / (‖|w|·g‖ + 10⁻¹²)). */
export function asamPerturb(param: FloatArray, grad: FloatArray, n: number, scale: number): void {
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    param[i] = w + scale * w * w * grad[i]!;
  }
}
