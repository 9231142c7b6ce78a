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
import { lambGradScale, lambScalars, lambTrustRatio } from './kernels/scalars.js';
import { lambStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBetas, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

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

export class LAMB extends KernelOptimizer<LAMBOptions, LAMBState> {
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
    for (const group of this.paramGroups) sumSq += this.gradSumOfSquares(group);
    this.globalGradNorm = Math.sqrt(sumSq);
    super.update();
  }

  protected initState(_group: Readonly<ParamGroup<LAMBOptions>>, p: Tensor): LAMBState {
    return { step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<LAMBOptions>>, _p: Tensor, state: LAMBState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('lamb');
  }

  protected updateRun(group: ParamGroup<LAMBOptions>, run: Run<LAMBState>): void {
    const h = lambScalars(this.hyper, group, run.states[0]!.step, lambGradScale(this.globalGradNorm, group.maxGradNorm));
    if (run.arena !== null) return void lambStep(run.arena, run.indices, h, group);
    const { lr, weightDecay } = group;
    const invBc1 = h.stepSize;
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      const grad = (run.grads[k] as Tensor).data;
      const n = p.data.length;
      // Pass 1: ‖u‖ with γ = 1 (u = m̂ / (√v̂ + ε) + λθ), moments not yet stored.
      h.stepSize = invBc1;
      h.paramDecay = 1;
      const updateNorm = Math.sqrt(kernels.adamDirectionSumOfSquares(p.data, grad, s.exp_avg.data, s.exp_avg_sq.data, n, h, weightDecay));
      const trust = lambTrustRatio(Math.sqrt(kernels.sumOfSquares(p.data, n)), updateNorm, group.trustClip);
      // Pass 2: AdamW's update with γ·r (θ ← θ(1 − γrλ) − γr m̂ / (√v̂ + ε)); stores the moments.
      h.stepSize = lr * trust * invBc1;
      h.paramDecay = 1 - lr * trust * weightDecay;
      kernels.adamUpdate(p.data, grad, s.exp_avg.data, s.exp_avg_sq.data, null, n, h);
    });
  }
}
