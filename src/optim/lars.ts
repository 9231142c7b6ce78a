/**
 * LARS: SGD with momentum whose gradient is rescaled per parameter tensor by a layer-wise trust
 * ratio η‖θ‖ / (‖g‖ + λ‖θ‖ + ε) (You et al., 2017).
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), η (trustCoefficient), λ (weightDecay),
 *         μ (momentum), τ (dampening), ε (eps), nesterov, trustClip
 * for t = 1 to … do
 *     for each parameter tensor θ:
 *         gₜ ← ∇θ fₜ(θₜ₋₁)
 *         rₜ ← η ‖θₜ₋₁‖ / (‖gₜ‖ + λ ‖θₜ₋₁‖ + ε)     (1 where ‖θₜ₋₁‖ or ‖gₜ‖ is 0)
 *         if trustClip:  rₜ ← min(rₜ / γ, 1)
 *         gₜ ← (gₜ + λ θₜ₋₁) rₜ
 *         then SGD's rows (sgd.ts):
 *         if μ ≠ 0:
 *             if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
 *             else:      bₜ ← gₜ
 *             if nesterov:  gₜ ← gₜ + μ bₜ
 *             else:         gₜ ← bₜ
 *         θₜ ← θₜ₋₁ − γ gₜ
 * return θₜ
 * ```
 * The trust ratio folds into SGD's kernel as numbers: gradient scale rₜ and weight decay λrₜ.
 *
 * Compatibility: not a PyTorch class; follows test/fixtures/golden/README.md (timm's `Lars`
 * with the ratio always applied; the clip applies after the norm-0 rule). optax's `lars` puts
 * weight decay before the trust ratio too, but computes the ratio from the decayed gradient.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type SgdMomentumHyper } from './kernels/index.js';
import { sgdParamStep } from './sgd.js';
import { Optimizer, checkLearningRate, checkNonNegative, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type StateLayout } from './optimizer.js';

export interface LARSOptions {
  /** Learning rate γ (default 1.0). */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ of the momentum's gradient term (default 0). */
  dampening: number;
  /** L2 penalty λ, added before the trust ratio scales the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov: boolean;
  /** η in the trust ratio (default 1e-3). */
  trustCoefficient: number;
  /** Added to the trust ratio's denominator (default 1e-8). */
  eps: number;
  /** Clip the ratio to min(r / γ, 1) (default false). */
  trustClip: boolean;
}

export const LARS_DEFAULTS: Readonly<LARSOptions> = Object.freeze({
  lr: 1.0,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  trustCoefficient: 0.001,
  eps: 1e-8,
  trustClip: false,
});

export interface LARSState {
  [key: string]: Tensor | null;
  momentum_buffer: Tensor | null;
}

export class LARS extends Optimizer<LARSOptions, LARSState> {
  private readonly hyper: SgdMomentumHyper = { lr: 0, gradScale: 1, weightDecay: 0, bufferDecay: 0, bufferGradScale: 1, directGradWeight: 0, bufferWeight: 1 };

  constructor(params: ParamsInput<LARSOptions>, options: Partial<LARSOptions> = {}) {
    super(params, LARS_DEFAULTS, options, { name: 'LARS' });
  }

  protected validateOptions(o: Readonly<LARSOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'momentum', o.momentum);
    requireOption(typeof o.dampening === 'number' && Number.isFinite(o.dampening), this.name, 'dampening value', o.dampening);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkBoolean(this.name, 'nesterov', o.nesterov);
    checkNonNegative(this.name, 'trustCoefficient', o.trustCoefficient);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBoolean(this.name, 'trustClip', o.trustClip);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`LARS: Nesterov momentum requires a momentum and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected stateLayout(): StateLayout {
    return { momentum_buffer: { kind: 'param', nullable: true } };
  }

  protected updateGroup(group: ParamGroup<LARSOptions>): void {
    const { lr, weightDecay, trustCoefficient, eps } = group;
    for (const p of group.params) {
      const grad = this.gradOf(p);
      if (grad === null) continue;
      const n = p.data.length;
      const paramNorm = Math.sqrt(kernels.sumOfSquares(p.data, n));
      const gradNorm = Math.sqrt(kernels.sumOfSquares(grad.data, n));
      let trust = paramNorm === 0 || gradNorm === 0 ? 1 : (trustCoefficient * paramNorm) / (gradNorm + weightDecay * paramNorm + eps);
      if (group.trustClip) trust = Math.min(trust / lr, 1);
      const state = this.stateOf(p, () => ({ momentum_buffer: null }));
      sgdParamStep(p, grad, state, () => this.zerosLike(p), group, trust, weightDecay * trust, this.hyper);
    }
  }
}
