/** Adadelta's per-element update (conventions: see ./sgd.ts). */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface AdadeltaHyper {
  lr: number;
  rho: number;
  eps: number;
  /** −1 to maximize. */
  gradScale: number;
  weightDecay: number;
}

/**
 * g = s·g + λ·w;  v ← ρv + (1 − ρ)g²;  Δ = √(u + ε) / √(v + ε) · g;  u ← ρu + (1 − ρ)Δ²;  w ← w − lr·Δ.
 */
export function adadeltaUpdate(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, accDelta: FloatArray, n: number, h: AdadeltaHyper): void {
  const { lr, rho, eps, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const v = rho * squareAvg[i]! + (1 - rho) * g * g;
    squareAvg[i] = v;
    const delta = (Math.sqrt(accDelta[i]! + eps) / Math.sqrt(v + eps)) * g;
    accDelta[i] = rho * accDelta[i]! + (1 - rho) * delta * delta;
    param[i] = w - lr * delta;
  }
}
