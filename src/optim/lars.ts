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
import type { SgdMomentumHyper } from './kernels/index.js';
import { larsTrustRatio } from './kernels/scalars.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentumRows, momentumSgdKernels, momentumState, nesterovConstraint, type SGDState } from './sgd.js';
import { defineKernelOptimizer, eps, flag, invalid, lr, weightDecay } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), η (trustCoefficient), λ (weightDecay),
        μ (momentum), τ (dampening), ε (eps), nesterov, trustClip
for t = 1 to … do
    for each parameter tensor θ:
        gₜ ← ∇θ fₜ(θₜ₋₁)
        rₜ ← η ‖θₜ₋₁‖ / (‖gₜ‖ + λ ‖θₜ₋₁‖ + ε)     (1 where ‖θₜ₋₁‖ or ‖gₜ‖ is 0)
        if trustClip:  rₜ ← min(rₜ / γ, 1)
        gₜ ← (gₜ + λ θₜ₋₁) rₜ
        then SGD's rows (sgd.ts):
        if μ ≠ 0:
            if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
            else:      bₜ ← gₜ
            if nesterov:  gₜ ← gₜ + μ bₜ
            else:         gₜ ← bₜ
        θₜ ← θₜ₋₁ − γ gₜ
return θₜ
`.trim();

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

export type LARSState = SGDState;

export const larsSpec = defineKernelOptimizer<LARSOptions, LARSState, SgdMomentumHyper>({
  id: 'lars',
  displayName: 'LARS',
  torchName: null,
  summary: 'Momentum SGD with a layer-wise trust ratio η‖θ‖/(‖g‖ + λ‖θ‖), for large batches.',
  algorithm: BOX,
  paper: { title: 'Large Batch Training of Convolutional Networks', authors: 'You, Gitman, Ginsburg', year: 2017, url: 'https://arxiv.org/abs/1708.03888' },
  options: [
    lr(1.0),
    ...momentumRows(),
    weightDecay(0, 'L2 penalty λ, added before the trust ratio scales the gradient.'),
    flag('nesterov', 'Nesterov momentum (needs momentum > 0, dampening 0).'),
    { name: 'trustCoefficient', type: 'number', default: 1e-3, min: 0, range: [1e-4, 1e-1], scale: 'log', description: 'η in the trust ratio η‖θ‖/(‖g‖ + λ‖θ‖ + ε).' },
    eps(1e-8, "Added to the trust ratio's denominator."),
    flag('trustClip', 'Clip the ratio to min(r / lr, 1).'),
  ],
  constraint: nesterovConstraint,
  state: momentumState,
  // SGD's kernels with the trust ratio in.
  kernels: momentumSgdKernels<LARSOptions>(larsTrustRatio),
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 10, momentum: 0.9, trustCoefficient: 0.01 }, steps: 200 },
    rosenbrock: { options: { lr: 3, momentum: 0.9 }, steps: 1000, below: 0.01 },
    invalid: [
      invalid.lr,
      { options: { momentum: -0.9 }, error: /Invalid momentum value: -0\.9/ },
      invalid.weightDecay,
      { options: { nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: { trustCoefficient: -1 }, error: /Invalid trustCoefficient value: -1/ },
      invalid.eps,
      { options: { trustClip: 1 }, error: /Invalid trustClip value: 1/ },
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<LARSOptions>, options?: Partial<LARSOptions>) => new LARS(params, options),
});

export const LARS_DEFAULTS: Readonly<LARSOptions> = larsSpec.defaults;

export class LARS extends KernelOptimizer<LARSOptions, LARSState, SgdMomentumHyper> {
  constructor(params: ParamsInput<LARSOptions>, options: Partial<LARSOptions> = {}) {
    super(params, larsSpec, options);
  }
}
