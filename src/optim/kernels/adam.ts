/**
 * Adam's per-element update, shared by Adam (L2 weight decay), AdamW (decoupled decay) and LAMB
 * (which scales the step by its trust ratio after measuring the update with
 * `adamDirectionSumOfSquares`). Conventions: see ./sgd.ts.
 */
import type { FloatArray } from '../../tensor/tensor.js';
import { decayTerm } from './sgd.js';

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  /** Multiplies the gradient: −1 to maximize; LAMB's global-norm clip factor. */
  gradScale: number;
  /** Adam's L2 term, added to the gradient: g = s·g + λ·w (0 for AdamW and LAMB). */
  weightDecay: number;
  /** Decoupled decay, applied to w before the step: 1 − lr·λ for AdamW (1 for Adam). */
  paramDecay: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
  /** √(1 − β₂ᵗ). */
  bc2Sqrt: number;
}

/**
 * g = s·g + λ·w;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (AMSGrad: v̂max ← max(v̂max, v))
 * w ← w·decay − stepSize · m / (√v̂ / √bc₂ + ε),  v̂ = v̂max with AMSGrad, else v.
 *
 * Without AMSGrad pass `null` for `maxExpAvgSq`. Two loops rather than one loop that, without
 * AMSGrad, takes the maximum of v with itself by passing `expAvgSq` twice: reading back the
 * element just stored stalls every iteration (measured here: 14 ns per element against 5).
 */
/**
 * The moments as their state array holds them: the step is taken from the stored (float32)
 * values, as the fused kernel and PyTorch take it, so a moment that underflows to 0 in storage
 * moves nothing on either path (LAMB's trust ratio would magnify the difference).
 */
function asStoredIn(state: FloatArray): (x: number) => number {
  return state instanceof Float32Array ? Math.fround : (x) => x;
}

export function adamUpdate(
  param: FloatArray,
  grad: FloatArray,
  expAvg: FloatArray,
  expAvgSq: FloatArray,
  maxExpAvgSq: FloatArray | null,
  n: number,
  h: AdamHyper,
): void {
  const { beta1, beta2, eps, gradScale, weightDecay, paramDecay, stepSize, bc2Sqrt } = h;
  const stored = asStoredIn(expAvg);
  if (maxExpAvgSq === null) {
    for (let i = 0; i < n; i++) {
      const w = param[i]!;
      const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
      const m = stored(beta1 * expAvg[i]! + (1 - beta1) * g);
      const v = stored(beta2 * expAvgSq[i]! + (1 - beta2) * g * g);
      expAvg[i] = m;
      expAvgSq[i] = v;
      param[i] = w * paramDecay - (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const m = stored(beta1 * expAvg[i]! + (1 - beta1) * g);
    const v = stored(beta2 * expAvgSq[i]! + (1 - beta2) * g * g);
    expAvg[i] = m;
    expAvgSq[i] = v;
    const vMax = Math.max(maxExpAvgSq[i]!, v);
    maxExpAvgSq[i] = vMax;
    param[i] = w * paramDecay - (stepSize * m) / (Math.sqrt(vMax) / bc2Sqrt + eps);
  }
}

/**
 * ‖u‖² for LAMB's trust ratio, where u = m̂ / (√v̂ + ε) + λ·w is the Adam direction this step
 * would take (m, v advanced by this gradient but not stored: `adamUpdate` stores them next, from
 * the same doubles). `h.stepSize` is read as 1 / (1 − β₁ᵗ) here, i.e. with lr = 1.
 */
export function adamDirectionSumOfSquares(
  param: FloatArray,
  grad: FloatArray,
  expAvg: FloatArray,
  expAvgSq: FloatArray,
  n: number,
  h: AdamHyper,
  decoupledWeightDecay: number,
): number {
  const { beta1, beta2, eps, gradScale, weightDecay, stepSize, bc2Sqrt } = h;
  const stored = asStoredIn(expAvg);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = gradScale * grad[i]! + decayTerm(weightDecay, w);
    const m = stored(beta1 * expAvg[i]! + (1 - beta1) * g);
    const v = stored(beta2 * expAvgSq[i]! + (1 - beta2) * g * g);
    const u = (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps) + decayTerm(decoupledWeightDecay, w);
    total += u * u;
  }
  return total;
}
