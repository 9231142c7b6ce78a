/**
 * NAdam: Adam with Nesterov momentum and a warming momentum schedule μₜ (Dozat, 2016).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ψ (momentumDecay), ε (eps)
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
 *     μₜ ← β₁ (1 − ½ · 0.96^(tψ))
 *     μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
 *     Πₜ ← Πₜ₋₁ μₜ
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)     (PyTorch 1.13; see below)
 *     v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.NAdam` (state `step` and `mu_product` 0-d tensors;
 * no `maximize`, which PyTorch added in 2.0). That includes 1.13's bias correction of the momentum
 * term, 1 − Πₜ μₜ μₜ₊₁, where Dozat's paper (and PyTorch ≥ 2.0, pytorch/pytorch#92699) has
 * 1 − Πₜ μₜ₊₁ = 1 − ∏ᵢ≤ₜ₊₁ μᵢ: Πₜ already holds μₜ, so 1.13 counts it twice. The two differ only
 * while Πₜ is not yet negligible (about 7e-5 relative on the parameters in the first steps of the
 * golden cases), and the golden data are 1.13's. PyTorch keeps Πₜ in float32; here it is a
 * double, a difference below 1e-7 relative. optax's `nadam` uses a constant β₁ (no μ schedule).
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type NadamHyper } from './kernels/index.js';
import { nadamScalars } from './kernels/scalars.js';
import { nadamStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBetas, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface NAdamOptions {
  /** Learning rate γ (default 2e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (default 4e-3). */
  momentumDecay: number;
}

export const NADAM_DEFAULTS: Readonly<NAdamOptions> = Object.freeze({ lr: 2e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 });

export interface NAdamState {
  [key: string]: number | Tensor;
  step: number;
  mu_product: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export class NAdam extends KernelOptimizer<NAdamOptions, NAdamState> {
  private readonly hyper: NadamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, bc2: 1, gradStep: 0, momentumStep: 0 };

  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, NADAM_DEFAULTS, options, { name: 'NAdam', torchOnlyGroupKeys: { foreach: null } });
  }

  protected validateOptions(o: Readonly<NAdamOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBetas(this.name, o.betas);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkNonNegative(this.name, 'momentumDecay', o.momentumDecay);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count0d' }, mu_product: { kind: 'number0d' }, exp_avg: { kind: 'param' }, exp_avg_sq: { kind: 'param' } };
  }

  protected initState(_group: Readonly<ParamGroup<NAdamOptions>>, p: Tensor): NAdamState {
    return { step: 0, mu_product: 1, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<NAdamOptions>>, _p: Tensor, state: NAdamState): void {
    state.step += 1;
  }

  /** The μ product is in the maths too (it can differ at the same step after a live change of momentumDecay). */
  protected override sameRun(a: NAdamState, b: NAdamState): boolean {
    return a.step === b.step && a.mu_product === b.mu_product;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('nadam');
  }

  protected updateRun(group: ParamGroup<NAdamOptions>, run: Run<NAdamState>): void {
    const first = run.states[0]!;
    const muProduct = nadamScalars(this.hyper, group, first.step, first.mu_product);
    for (const s of run.states) s.mu_product = muProduct;
    if (run.arena !== null) return nadamStep(run.arena, run.indices, this.hyper);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      kernels.nadamUpdate(p.data, (run.grads[k] as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, p.data.length, this.hyper);
    });
  }
}
