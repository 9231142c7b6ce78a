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
import { larsTrustRatio } from './kernels/scalars.js';
import { larsStep, fusedStateArrays } from './wasm/fused.js';
import { sgdParamStep, settleFusedBuffers } from './sgd.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

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

export class LARS extends KernelOptimizer<LARSOptions, LARSState> {
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

  protected initState(): LARSState {
    return { momentum_buffer: null };
  }

  protected override fusedArrays(group: Readonly<ParamGroup<LARSOptions>>): readonly string[] {
    return fusedStateArrays('lars', group);
  }

  /** A buffer's first step copies the gradient in: params with and without buffers take separate calls. */
  protected override sameRun(a: LARSState, b: LARSState): boolean {
    return (a.momentum_buffer === null) === (b.momentum_buffer === null);
  }

  protected updateRun(group: ParamGroup<LARSOptions>, run: Run<LARSState>): void {
    if (run.arena !== null) {
      const firstStep = run.states[0]!.momentum_buffer === null;
      larsStep(run.arena, run.indices, group, firstStep);
      settleFusedBuffers(run, group.momentum, firstStep);
      return;
    }
    run.params.forEach((p, k) => {
      const grad = run.grads[k] as Tensor;
      const n = p.data.length;
      const trust = larsTrustRatio(Math.sqrt(kernels.sumOfSquares(p.data, n)), Math.sqrt(kernels.sumOfSquares(grad.data, n)), group);
      sgdParamStep(p, grad, run.states[k]!, () => this.zerosLike(p), group, trust, group.weightDecay * trust, this.hyper);
    });
  }
}
