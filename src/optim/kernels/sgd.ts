/**
 * SGD's per-element update (also LARS's, whose trust ratio arrives folded into the numbers).
 *
 * Kernel conventions, shared by every file in this folder: a kernel takes the parameter, its
 * gradient and its state as typed arrays, the element count `n`, and one object of numbers
 * computed by the optimizer class for this step (bias corrections, signs, first-step factors).
 * It computes in doubles, stores into the (float32 or float64) arrays, allocates nothing, and
 * its inner loop has no branches: every flag has become a number before the loop. The one test
 * left is `decayTerm`'s, on a number that is the same on every turn (the branch predictor never
 * misses it), because a multiplier cannot say "no term": 0·∞ is NaN.
 */
import type { FloatArray } from '../../tensor/tensor.js';

/**
 * λ·w, or 0 when λ = 0: PyTorch adds no decay term then, so an infinite w stays infinite instead
 * of becoming 0·∞ = NaN (the WebAssembly kernels' `decayTerm` keeps the same rule).
 */
export function decayTerm(weightDecay: number, w: number): number {
  return weightDecay === 0 ? 0 : weightDecay * w;
}

export interface SgdHyper {
  lr: number;
  /** Multiplies the gradient: −1 to maximize; LARS's trust ratio. */
  gradScale: number;
  /** L2 term added to the scaled gradient: d = gradScale·g + weightDecay·w. */
  weightDecay: number;
}

export interface SgdMomentumHyper extends SgdHyper {
  /** buf ← bufferDecay·buf + bufferGradScale·d: (0, 1) on the buffer's first step, else (momentum, 1 − dampening). */
  bufferDecay: number;
  bufferGradScale: number;
  /** The step direction is directGradWeight·d + bufferWeight·buf: nesterov (1, momentum), plain (0, 1). */
  directGradWeight: number;
  bufferWeight: number;
}

/** w ← w − lr·(s·g + λ·w). */
export function sgdUpdate(param: FloatArray, grad: FloatArray, n: number, h: SgdHyper): void {
  const { lr, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const d = gradScale * grad[i]! + decayTerm(weightDecay, w);
    param[i] = w - lr * d;
  }
}

/** d = s·g + λ·w;  buf ← μ·buf + (1 − τ)·d;  w ← w − lr·(nesterov ? d + μ·buf : buf). */
export function sgdMomentumUpdate(param: FloatArray, grad: FloatArray, buffer: FloatArray, n: number, h: SgdMomentumHyper): void {
  const { lr, gradScale, weightDecay, bufferDecay, bufferGradScale, directGradWeight, bufferWeight } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const d = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const b = bufferDecay * buffer[i]! + bufferGradScale * d;
    buffer[i] = b;
    param[i] = w - lr * (directGradWeight * d + bufferWeight * b);
  }
}
