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
import { Optimizer, checkLearningRate, checkNonNegative, checkBetas, type ParamGroup, type ParamsInput, type StateLayout } from './optimizer.js';

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

/** PyTorch 1.13 rectifies when ρₜ > 5. */
export const RADAM_RECTIFICATION_THRESHOLD = 5;

export interface RAdamState {
  [key: string]: number | Tensor;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export class RAdam extends Optimizer<RAdamOptions, RAdamState> {
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

  protected updateGroup(group: ParamGroup<RAdamOptions>): void {
    const [beta1, beta2] = group.betas;
    const h = this.hyper;
    h.beta1 = beta1;
    h.beta2 = beta2;
    h.eps = group.eps;
    h.weightDecay = group.weightDecay;
    const rhoInf = 2 / (1 - beta2) - 1;
    for (const p of group.params) {
      const grad = this.gradOf(p);
      if (grad === null) continue;
      const state = this.stateOf(p, () => ({ step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) }));
      const t = (state.step += 1);
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - beta2 ** t;
      const rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
      if (rhoT > RADAM_RECTIFICATION_THRESHOLD) {
        const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        h.adaptiveStep = (group.lr / bc1) * rect * Math.sqrt(bc2);
        h.plainStep = 0;
      } else {
        h.adaptiveStep = 0;
        h.plainStep = group.lr / bc1;
      }
      kernels.radamUpdate(p.data, grad.data, state.exp_avg.data, state.exp_avg_sq.data, p.data.length, h);
    }
  }
}
