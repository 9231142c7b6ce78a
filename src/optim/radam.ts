/**
 * RAdam: Adam whose adaptive step is switched on, and rectified, once the variance of the
 * adaptive learning rate is tractable (Liu et al., 2020); before that, momentum SGD.
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps),
 *         decoupledWeightDecay, maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), ρ∞ ← 2 / (1 − β₂) − 1
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:
 *         if decoupledWeightDecay:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
 *         else:                     gₜ ← gₜ + λ θₜ₋₁
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
 * Compatibility: PyTorch 2.14's `torch.optim.RAdam` (threshold ρₜ > 5; state `step` a 0-d
 * tensor; `maximize` and decoupled decay came in 2.0). The paper's threshold is ρₜ > 4;
 * optax's `radam` uses ρₜ ≥ 5 (`threshold=5.0`) and puts ε differently.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type RadamHyper } from './kernels/index.js';
import { radamScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { decoupledWeightDecay, defineKernelOptimizer, invalid, maximize } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps),
        decoupledWeightDecay, maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), ρ∞ ← 2 / (1 − β₂) − 1
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:
        if decoupledWeightDecay:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
        else:                     gₜ ← gₜ + λ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    ρₜ ← ρ∞ − 2t β₂ᵗ / (1 − β₂ᵗ)
    if ρₜ > 5:
        lₜ ← √(1 − β₂ᵗ) / (√vₜ + ε)
        rₜ ← √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
        θₜ ← θₜ₋₁ − γ m̂ₜ rₜ lₜ
    else:
        θₜ ← θₜ₋₁ − γ m̂ₜ
return θₜ
`.trim();

export interface RAdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: added to the gradient, or decoupled (default 0). */
  weightDecay: number;
  /** Decoupled weight decay, as AdamW (default false). */
  decoupledWeightDecay: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

/** PyTorch rectifies when ρₜ > 5 (the per-step numbers are in kernels/scalars.ts). */
export { RADAM_RECTIFICATION_THRESHOLD } from './kernels/scalars.js';

export interface RAdamState extends MomentState {
  exp_avg_sq: Tensor;
}

/**
 * The fused kernel over the listed params of an arena. It computes p − scale·m·numer/(sqrtWeight·√v + floor),
 * which is the rectified step (scale = adaptiveStep, floor = ε) or the momentum-only one
 * (scale = plainStep, no √v) with the numbers below.
 */
export function radamFused(arena: ParamArena, indices: readonly number[], h: RadamHyper): void {
  const rectified = h.plainStep === 0;
  const segments = arena.writeSegments(indices);
  arena.kernels.radam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), h.beta1, h.beta2, h.weightDecay, h.gradScale, rectified ? h.adaptiveStep : h.plainStep, 1, rectified ? 1 : 0, rectified ? h.eps : 1, h.paramDecay);
}

export const radamSpec = defineKernelOptimizer<RAdamOptions, RAdamState, RadamHyper>({
  id: 'radam',
  displayName: 'RAdam',
  torchName: 'RAdam',
  summary: 'Adam whose adaptive step is rectified, and off until its variance is tractable.',
  algorithm: BOX,
  paper: { title: 'On the Variance of the Adaptive Learning Rate and Beyond', authors: 'Liu, Jiang, He, Chen, Liu, Gao, Han', year: 2020, url: 'https://arxiv.org/abs/1908.03265' },
  options: [...momentOptions({ lr: 1e-3, eps: 1e-8 }, 'Weight decay λ: added to the gradient (L2), or decoupled with decoupledWeightDecay.'), decoupledWeightDecay, { ...maximize, addedIn: '2.0' }],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false },
  legacyTorchGroupKeys: ['foreach'],
  state: momentState<RAdamOptions>(),
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, adaptiveStep: 0, plainStep: 0 }),
    scalars: (h, o, run) => radamScalars(h, o, run.states[0]!.step),
    plain: (h, _o, p, grad, s) => kernels.radamUpdate(p.data, (grad as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, p.data.length, h),
    fused: (h, _o, arena, run) => radamFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    // RAdam's first five steps are plain momentum SGD, which needs a small lr on Rosenbrock's steep
    // walls; β₂ = 0.99 then lets the rectified steps grow fast enough along the valley.
    rosenbrock: { options: { lr: 3e-3, betas: [0.9, 0.99] }, steps: 3000, below: 0.01 },
    invalid: [invalid.lr, invalid.eps, ...invalid.betas, invalid.weightDecay, invalid.maximize, invalid.unknownOption],
  },
  create: (params: ParamsInput<RAdamOptions>, options?: Partial<RAdamOptions>) => new RAdam(params, options),
});

export const RADAM_DEFAULTS: Readonly<RAdamOptions> = radamSpec.defaults;

export class RAdam extends KernelOptimizer<RAdamOptions, RAdamState, RadamHyper> {
  constructor(params: ParamsInput<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super(params, radamSpec, options);
  }
}
