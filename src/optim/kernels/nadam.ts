/** NAdam's per-element update (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface NadamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** Multiplies the gradient (1; −1 would maximize). */
  gradScale: number;
  weightDecay: number;
  /** Decoupled decay, applied to w before the step: 1 − lr·λ (1 without it). */
  paramDecay: number;
  /** 1 − β₂ᵗ. */
  bc2: number;
  /** lr·(1 − μₜ) / (1 − ∏ᵢ≤ₜ μᵢ): the weight of the current gradient. */
  gradStep: number;
  /** lr·μₜ₊₁ / (1 − Πₜ μₜ₊₁): the weight of the momentum. */
  momentumStep: number;
}

/** g = s·g + λ·w;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w·decay − (gradStep·g + momentumStep·m) / (√(v/bc₂) + ε). */
export function nadamUpdate(param: FloatArray, grad: FloatArray, expAvg: FloatArray, expAvgSq: FloatArray, n: number, h: NadamHyper): void {
  const { beta1, beta2, eps, gradScale, weightDecay, paramDecay, bc2, gradStep, momentumStep } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const m = beta1 * expAvg[i]! + (1 - beta1) * g;
    const v = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = w * paramDecay - (gradStep * g + momentumStep * m) / (Math.sqrt(v / bc2) + eps);
  }
}
