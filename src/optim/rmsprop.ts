/**
 * RMSprop: steps divided by a running root-mean-square of the gradients (Hinton's lecture 6e).
 *
 * ```text
 * input:  α (lr), θ₀ (params), f(θ) (objective), ρ (alpha), ε (eps), λ (weightDecay),
 *         μ (momentum), centered, maximize
 * initialize:  v₀ ← 0 (square_avg), b₀ ← 0 (momentum_buffer), g₀ᵃᵛᵍ ← 0 (grad_avg)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
 *     ṽₜ ← vₜ
 *     if centered:
 *         gₜᵃᵛᵍ ← ρ gₜ₋₁ᵃᵛᵍ + (1 − ρ) gₜ
 *         ṽₜ ← ṽₜ − (gₜᵃᵛᵍ)²
 *     if μ > 0:
 *         bₜ ← μ bₜ₋₁ + gₜ / (√ṽₜ + ε)
 *         θₜ ← θₜ₋₁ − α bₜ
 *     else:
 *         θₜ ← θₜ₋₁ − α gₜ / (√ṽₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.RMSprop` (state `step` a 0-d tensor, a plain number
 * in 1.13;
 * `momentum_buffer` only with momentum, `grad_avg` only when centered). optax's `rmsprop`
 * defaults to decay 0.9 (PyTorch 0.99) and puts ε inside the square root; TensorFlow's too.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type RmspropHyper } from './kernels/index.js';
import { rmspropScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, eps, flag, invalid, lr, maximize, momentum, weightDecay } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  α (lr), θ₀ (params), f(θ) (objective), ρ (alpha), ε (eps), λ (weightDecay),
        μ (momentum), centered, maximize
initialize:  v₀ ← 0 (square_avg), b₀ ← 0 (momentum_buffer), g₀ᵃᵛᵍ ← 0 (grad_avg)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
    ṽₜ ← vₜ
    if centered:
        gₜᵃᵛᵍ ← ρ gₜ₋₁ᵃᵛᵍ + (1 − ρ) gₜ
        ṽₜ ← ṽₜ − (gₜᵃᵛᵍ)²
    if μ > 0:
        bₜ ← μ bₜ₋₁ + gₜ / (√ṽₜ + ε)
        θₜ ← θₜ₋₁ − α bₜ
    else:
        θₜ ← θₜ₋₁ − α gₜ / (√ṽₜ + ε)
return θₜ
`.trim();

export interface RMSpropOptions {
  /** Learning rate α (default 1e-2). */
  lr: number;
  /** Smoothing constant ρ of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Divide by the variance estimate v − (E g)² instead of v (default false). */
  centered: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface RMSpropState {
  [key: string]: number | Tensor | undefined;
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
}

/** The fused kernel over the listed params of an arena (its momentum buffer starts at zero, so no first-step case). */
export function rmspropFused(arena: ParamArena, indices: readonly number[], h: RmspropHyper, centered: boolean): void {
  const segments = arena.writeSegments(indices);
  const gradAvgOff = centered ? arena.stateOffset('grad_avg') : 0;
  const bufOff = h.momentum > 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.rmsprop(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), gradAvgOff, bufOff, h.lr, h.alpha, h.eps, h.weightDecay, h.gradScale, h.momentum, centered ? 1 : 0);
}

export const rmspropSpec = defineKernelOptimizer<RMSpropOptions, RMSpropState, RmspropHyper>({
  id: 'rmsprop',
  displayName: 'RMSprop',
  torchName: 'RMSprop',
  summary: 'Steps divided by a running root-mean-square of recent gradients.',
  algorithm: BOX,
  paper: { title: 'Neural Networks for Machine Learning, Lecture 6e: rmsprop', authors: 'Hinton, Srivastava, Swersky', year: 2012, url: 'https://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf' },
  options: [
    lr(1e-2),
    { name: 'alpha', type: 'number', default: 0.99, min: 0, range: [0.5, 0.999], scale: 'linear', description: 'Smoothing constant ρ of the squared-gradient average.' },
    eps(1e-8),
    weightDecay(),
    momentum(),
    flag('centered', 'Divide by the estimated variance v − (E g)² instead of v.'),
    maximize,
  ],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false },
  legacyTorchGroupKeys: ['foreach', 'differentiable'],
  // Buffers appear when the option that needs them does (also after a live change).
  state: {
    step: { kind: 'count0d' },
    square_avg: { kind: 'param', nonNegative: true },
    momentum_buffer: { kind: 'param', when: (o) => o.momentum > 0 },
    grad_avg: { kind: 'param', when: (o) => o.centered },
  },
  kernels: {
    hyper: () => ({ lr: 0, alpha: 0, eps: 0, momentum: 0, gradScale: 1, weightDecay: 0 }),
    scalars: (h, o) => rmspropScalars(h, o),
    // The step count is not in the maths: every parameter takes the same call.
    sameRun: () => true,
    plain: (h, o, p, grad, s) => kernels.rmspropUpdate(p.data, (grad as Tensor).data, s.square_avg.data, o.centered ? s.grad_avg!.data : null, o.momentum > 0 ? s.momentum_buffer!.data : null, p.data.length, h),
    fused: (h, o, arena, run) => rmspropFused(arena, run.indices, h, o.centered),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.02 }, steps: 200 },
    rosenbrock: { options: { lr: 0.01 }, steps: 1000, below: 0.01 },
    invalid: [
      invalid.lr,
      { options: { alpha: -0.5 }, error: /Invalid alpha value: -0\.5/ },
      invalid.eps,
      invalid.weightDecay,
      { options: { momentum: -0.9 }, error: /Invalid momentum value: -0\.9/ },
      { options: { centered: 1 }, error: /Invalid centered value: 1/ },
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<RMSpropOptions>, options?: Partial<RMSpropOptions>) => new RMSprop(params, options),
});

export const RMSPROP_DEFAULTS: Readonly<RMSpropOptions> = rmspropSpec.defaults;

export class RMSprop extends KernelOptimizer<RMSpropOptions, RMSpropState, RmspropHyper> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, rmspropSpec, options);
  }
}
