/** Adamax's per-element update (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface AdamaxHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** −1 to maximize. */
  gradScale: number;
  weightDecay: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
}

/** g = s·g + λ·w;  m ← β₁m + (1 − β₁)g;  u ← max(β₂u, |g| + ε);  w ← w − stepSize·m/u. */
export function adamaxUpdate(param: FloatArray, grad: FloatArray, expAvg: FloatArray, expInf: FloatArray, n: number, h: AdamaxHyper): void {
  const { beta1, beta2, eps, gradScale, weightDecay, stepSize } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const m = beta1 * expAvg[i]! + (1 - beta1) * g;
    const u = Math.max(beta2 * expInf[i]!, Math.abs(g) + eps);
    expAvg[i] = m;
    expInf[i] = u;
    param[i] = w - (stepSize * m) / u;
  }
}
