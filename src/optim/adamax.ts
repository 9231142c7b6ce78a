/**
 * Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm
 * (Kingma & Ba, 2015, section 7).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps), maximize
 * initialize:  m₀ ← 0 (exp_avg), u₀ ← 0 (exp_inf)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     uₜ ← max(β₂ uₜ₋₁, |gₜ| + ε)
 *     θₜ ← θₜ₋₁ − γ mₜ / ((1 − β₁ᵗ) uₜ)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Adamax` (state `step` a 0-d tensor). ε sits inside
 * the maximum, as in PyTorch; the paper has none, and optax's `adamax` adds ε to uₜ afterwards.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamaxHyper } from './kernels/index.js';
import { adamaxScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { defineKernelOptimizer, invalid, maximize } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps), maximize
initialize:  m₀ ← 0 (exp_avg), u₀ ← 0 (exp_inf)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    uₜ ← max(β₂ uₜ₋₁, |gₜ| + ε)
    θₜ ← θₜ₋₁ − γ mₜ / ((1 − β₁ᵗ) uₜ)
return θₜ
`.trim();

export interface AdamaxOptions {
  /** Learning rate γ (default 2e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the first moment and the infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** Floor added to |g| (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface AdamaxState extends MomentState {
  exp_inf: Tensor;
}

/** The fused kernel over the listed params of an arena. */
export function adamaxFused(arena: ParamArena, indices: readonly number[], h: AdamaxHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adamax(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_inf'), h.beta1, h.beta2, h.eps, h.weightDecay, h.gradScale, h.stepSize);
}

export const adamaxSpec = defineKernelOptimizer<AdamaxOptions, AdamaxState, AdamaxHyper>({
  id: 'adamax',
  displayName: 'Adamax',
  torchName: 'Adamax',
  summary: 'Adam with an exponentially weighted infinity norm in place of the RMS.',
  algorithm: BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization (section 7.1, AdaMax)', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  options: [...momentOptions({ lr: 2e-3, eps: 1e-8 }, undefined, 'Decay rates (β₁, β₂) of the first moment and of the infinity norm.'), maximize],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false },
  legacyTorchGroupKeys: ['foreach'],
  state: momentState<AdamaxOptions>('count0d', 'exp_inf'),
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, stepSize: 0 }),
    scalars: (h, o, run) => adamaxScalars(h, o, run.states[0]!.step),
    plain: (h, _o, p, grad, s) => kernels.adamaxUpdate(p.data, (grad as Tensor).data, s.exp_avg.data, s.exp_inf.data, p.data.length, h),
    fused: (h, _o, arena, run) => adamaxFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.3 }, steps: 1000, below: 0.01 },
    invalid: [invalid.lr, invalid.eps, ...invalid.betas, invalid.weightDecay, invalid.maximize, invalid.unknownOption],
  },
  create: (params: ParamsInput<AdamaxOptions>, options?: Partial<AdamaxOptions>) => new Adamax(params, options),
});

export const ADAMAX_DEFAULTS: Readonly<AdamaxOptions> = adamaxSpec.defaults;

export class Adamax extends KernelOptimizer<AdamaxOptions, AdamaxState, AdamaxHyper> {
  constructor(params: ParamsInput<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, adamaxSpec, options);
  }
}
