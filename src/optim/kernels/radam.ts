/** RAdam's per-element update (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface RadamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** Multiplies the gradient (1; −1 would maximize). */
  gradScale: number;
  weightDecay: number;
  /** Decoupled decay, applied to w before the step: 1 − lr·λ (1 without it). */
  paramDecay: number;
  /** Rectified steps: lr·r·√(1 − β₂ᵗ) / (1 − β₁ᵗ); 0 while the variance is not tractable. */
  adaptiveStep: number;
  /** Unrectified steps (plain momentum SGD): lr / (1 − β₁ᵗ); 0 once rectified. */
  plainStep: number;
}

/** g = s·g + λ·w;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w·decay − m·(adaptiveStep / (√v + ε) + plainStep). */
export function radamUpdate(param: FloatArray, grad: FloatArray, expAvg: FloatArray, expAvgSq: FloatArray, n: number, h: RadamHyper): void {
  const { beta1, beta2, eps, gradScale, weightDecay, paramDecay, adaptiveStep, plainStep } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const m = beta1 * expAvg[i]! + (1 - beta1) * g;
    const v = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = w * paramDecay - m * (adaptiveStep / (Math.sqrt(v) + eps) + plainStep);
  }
}
