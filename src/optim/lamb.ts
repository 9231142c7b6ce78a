/**
 * LAMB: Adam's direction, rescaled per parameter tensor by a trust ratio ‖θ‖ / ‖u‖, after
 * clipping all gradients together by their global norm (You et al., 2019).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps),
 *         c (maxGradNorm, or none), trustClip
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)                          (every tensor of every group)
 *     if c given:  G ← ‖gₜ‖ over all tensors;  gₜ ← gₜ / max(G / c, 1)
 *     for each parameter tensor θ:
 *         mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *         vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *         uₜ ← (mₜ / (1 − β₁ᵗ)) / (√(vₜ / (1 − β₂ᵗ)) + ε) + λ θₜ₋₁
 *         rₜ ← ‖θₜ₋₁‖ / ‖uₜ‖     (1 where either norm is 0)
 *         if trustClip:  rₜ ← min(rₜ, 1)
 *         θₜ ← θₜ₋₁ − γ rₜ uₜ
 * return θₜ
 * ```
 * The last row is AdamW's update with γ replaced by γ·rₜ, so the step runs Adam's kernel once
 * rₜ is known; a first pass over the same maths measures ‖uₜ‖ without storing anything.
 *
 * Compatibility: not a PyTorch class; follows test/fixtures/golden/README.md (timm's `Lamb`
 * with the trust ratio always applied). t counts each parameter's steps, which is the group's
 * step count whenever every parameter has a gradient at every step. The paper clips each
 * tensor's ‖θ‖ with a scaling function φ; optax's `lamb` has no gradient clipping and skips
 * nothing when a norm is 0 (it uses the same where-0-then-1 rule).
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamHyper } from './kernels/index.js';
import { Optimizer, checkLearningRate, checkNonNegative, checkBetas, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type StateLayout } from './optimizer.js';

export interface LAMBOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-6). */
  eps: number;
  /** Decoupled weight decay λ, part of the direction the trust ratio measures (default 0). */
  weightDecay: number;
  /** Global gradient-norm clip c; null disables (default 1.0). */
  maxGradNorm: number | null;
  /** Cap the trust ratio at 1 (default false). */
  trustClip: boolean;
}

export const LAMB_DEFAULTS: Readonly<LAMBOptions> = Object.freeze({ lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-6, weightDecay: 0, maxGradNorm: 1.0, trustClip: false });

export interface LAMBState {
  [key: string]: number | Tensor;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export class LAMB extends Optimizer<LAMBOptions, LAMBState> {
  private readonly hyper: AdamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1 };
  /** ‖g‖ over every gradient of every group, measured at the start of the step. */
  private globalGradNorm = 0;

  constructor(params: ParamsInput<LAMBOptions>, options: Partial<LAMBOptions> = {}) {
    super(params, LAMB_DEFAULTS, options, { name: 'LAMB' });
  }

  protected validateOptions(o: Readonly<LAMBOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBetas(this.name, o.betas);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    requireOption(o.maxGradNorm === null || (typeof o.maxGradNorm === 'number' && o.maxGradNorm > 0), this.name, 'maxGradNorm value', o.maxGradNorm);
    checkBoolean(this.name, 'trustClip', o.trustClip);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count' }, exp_avg: { kind: 'param' }, exp_avg_sq: { kind: 'param' } };
  }

  protected override update(): void {
    let sumSq = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = this.gradOf(p);
        if (grad !== null) sumSq += kernels.sumOfSquares(grad.data, grad.data.length);
      }
    }
    this.globalGradNorm = Math.sqrt(sumSq);
    super.update();
  }

  protected updateGroup(group: ParamGroup<LAMBOptions>): void {
    const [beta1, beta2] = group.betas;
    const { lr, weightDecay, maxGradNorm } = group;
    const h = this.hyper;
    h.beta1 = beta1;
    h.beta2 = beta2;
    h.eps = group.eps;
    h.gradScale = maxGradNorm === null ? 1 : 1 / Math.max(this.globalGradNorm / maxGradNorm, 1);
    h.weightDecay = 0;
    for (const p of group.params) {
      const grad = this.gradOf(p);
      if (grad === null) continue;
      const n = p.data.length;
      const state = this.stateOf(p, () => ({ step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) }));
      const t = (state.step += 1);
      const bc1 = 1 - beta1 ** t;
      h.bc2Sqrt = Math.sqrt(1 - beta2 ** t);

      // Pass 1: ‖u‖ with γ = 1 (u = m̂ / (√v̂ + ε) + λθ), moments not yet stored.
      h.stepSize = 1 / bc1;
      const updateNorm = Math.sqrt(kernels.adamDirectionSumOfSquares(p.data, grad.data, state.exp_avg.data, state.exp_avg_sq.data, n, h, weightDecay));
      const paramNorm = Math.sqrt(kernels.sumOfSquares(p.data, n));
      let trust = paramNorm === 0 || updateNorm === 0 ? 1 : paramNorm / updateNorm;
      if (group.trustClip) trust = Math.min(trust, 1);

      // Pass 2: AdamW's update with γ·r (θ ← θ(1 − γrλ) − γr m̂ / (√v̂ + ε)); stores the moments.
      h.stepSize = (lr * trust) / bc1;
      h.paramDecay = 1 - lr * trust * weightDecay;
      kernels.adamUpdate(p.data, grad.data, state.exp_avg.data, state.exp_avg_sq.data, state.exp_avg_sq.data, n, h);
    }
  }
}
