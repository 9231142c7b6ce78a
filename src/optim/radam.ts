/**
 * RAdam: Adam whose adaptive step is switched on, and rectified, once the variance of the
 * adaptive learning rate is tractable (Liu et al., 2020); before that, momentum SGD.
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps)
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), ρ∞ ← 2 / (1 − β₂) − 1
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← mₜ / (1 − β₁ᵗ)
 *     ρₜ ← ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
 *     if ρₜ > 5:
 *         lₜ ← √(1 − β₂ᵗ) / (√vₜ + ε)
 *         rₜ ← √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
 *         θₜ ← θₜ₋₁ − γ m̂ₜ rₜ lₜ
 *     else:
 *         θₜ ← θₜ₋₁ − γ m̂ₜ
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.RAdam` (threshold ρₜ > 5; state `step` a 0-d
 * tensor; no `maximize` or decoupled decay, which came in 2.0). The paper's threshold is ρₜ > 4;
 * optax's `radam` uses ρₜ ≥ 5 (`threshold=5.0`) and puts ε differently.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type RadamHyper } from './kernels/index.js';
import { radamScalars } from './kernels/scalars.js';
import { radamStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBetas, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface RAdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
}

export const RADAM_DEFAULTS: Readonly<RAdamOptions> = Object.freeze({ lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0 });

/** PyTorch 1.13 rectifies when ρₜ > 5 (the per-step numbers are in kernels/scalars.ts). */
export { RADAM_RECTIFICATION_THRESHOLD } from './kernels/scalars.js';

export interface RAdamState {
  [key: string]: number | Tensor;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export class RAdam extends KernelOptimizer<RAdamOptions, RAdamState> {
  private readonly hyper: RadamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, adaptiveStep: 0, plainStep: 0 };

  constructor(params: ParamsInput<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super(params, RADAM_DEFAULTS, options, { name: 'RAdam', torchOnlyGroupKeys: { foreach: null } });
  }

  protected validateOptions(o: Readonly<RAdamOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBetas(this.name, o.betas);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count0d' }, exp_avg: { kind: 'param' }, exp_avg_sq: { kind: 'param' } };
  }

  protected initState(_group: Readonly<ParamGroup<RAdamOptions>>, p: Tensor): RAdamState {
    return { step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<RAdamOptions>>, _p: Tensor, state: RAdamState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('radam');
  }

  protected updateRun(group: ParamGroup<RAdamOptions>, run: Run<RAdamState>): void {
    const h = radamScalars(this.hyper, group, run.states[0]!.step);
    if (run.arena !== null) return radamStep(run.arena, run.indices, h);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      kernels.radamUpdate(p.data, (run.grads[k] as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, p.data.length, h);
    });
  }
}
