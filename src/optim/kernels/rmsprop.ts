/**
 * RMSprop's per-element update (conventions: see ./sgd.ts). PyTorch keeps `grad_avg` only when
 * centered and `momentum_buffer` only with momentum, so the four combinations are four loops;
 * `rmspropUpdate` picks one per call, outside any loop.
 */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface RmspropHyper {
  lr: number;
  alpha: number;
  eps: number;
  momentum: number;
  /** −1 to maximize. */
  gradScale: number;
  weightDecay: number;
}

/**
 * g = s·g + λ·w;  v ← α·v + (1 − α)·g²;  centered: ḡ ← α·ḡ + (1 − α)·g, v̄ = v − ḡ², else v̄ = v;
 * momentum: buf ← μ·buf + g / (√v̄ + ε), w ← w − lr·buf;  else w ← w − lr·g / (√v̄ + ε).
 */
export function rmspropUpdate(
  param: FloatArray,
  grad: FloatArray,
  squareAvg: FloatArray,
  gradAvg: FloatArray | null,
  momentumBuffer: FloatArray | null,
  n: number,
  h: RmspropHyper,
): void {
  if (gradAvg === null && momentumBuffer === null) plain(param, grad, squareAvg, n, h);
  else if (gradAvg === null) withMomentum(param, grad, squareAvg, momentumBuffer!, n, h);
  else if (momentumBuffer === null) centered(param, grad, squareAvg, gradAvg, n, h);
  else centeredWithMomentum(param, grad, squareAvg, gradAvg, momentumBuffer, n, h);
}

function plain(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, n: number, h: RmspropHyper): void {
  const { lr, alpha, eps, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const v = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    squareAvg[i] = v;
    param[i] = w - (lr * g) / (Math.sqrt(v) + eps);
  }
}

function withMomentum(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, buffer: FloatArray, n: number, h: RmspropHyper): void {
  const { lr, alpha, eps, momentum, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const v = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    squareAvg[i] = v;
    const b = momentum * buffer[i]! + g / (Math.sqrt(v) + eps);
    buffer[i] = b;
    param[i] = w - lr * b;
  }
}

function centered(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, gradAvg: FloatArray, n: number, h: RmspropHyper): void {
  const { lr, alpha, eps, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const v = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    const a = alpha * gradAvg[i]! + (1 - alpha) * g;
    squareAvg[i] = v;
    gradAvg[i] = a;
    // v − a² ≥ 0 exactly; v stored in float32 may have underflowed to 0 where a² did not.
    param[i] = w - (lr * g) / (Math.sqrt(Math.max(v - a * a, 0)) + eps);
  }
}

function centeredWithMomentum(param: FloatArray, grad: FloatArray, squareAvg: FloatArray, gradAvg: FloatArray, buffer: FloatArray, n: number, h: RmspropHyper): void {
  const { lr, alpha, eps, momentum, gradScale, weightDecay } = h;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const v = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    const a = alpha * gradAvg[i]! + (1 - alpha) * g;
    squareAvg[i] = v;
    gradAvg[i] = a;
    const b = momentum * buffer[i]! + g / (Math.sqrt(Math.max(v - a * a, 0)) + eps);
    buffer[i] = b;
    param[i] = w - lr * b;
  }
}
