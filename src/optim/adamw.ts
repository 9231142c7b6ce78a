/**
 * AdamW: Adam with weight decay decoupled from the gradient (Loshchilov & Hutter, 2019).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ε (eps), amsgrad, maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     θₜ ← θₜ₋₁ − γλ θₜ₋₁
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← mₜ / (1 − β₁ᵗ)
 *     if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
 *     else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 * One row differs from Adam's box, so AdamW is Adam's spec and kernel with the decay moved:
 * with λ = 0 the two are the same computation, bit for bit.
 *
 * Compatibility: PyTorch 2.14's `torch.optim.AdamW`, Adam with `decoupled_weight_decay` fixed to
 * true, which its state dicts say (default λ = 1e-2; decay scaled by γ, so a
 * schedule on γ also schedules the decay). The paper scales the decay by the schedule multiplier
 * only (λ not multiplied by γ); optax's `adamw` multiplies by γ, as PyTorch.
 */
import type { AdamHyper } from './kernels/index.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { adamInvalid, adamKernels, adamState, type AdamState, type AdamWOptions } from './adam.js';
import { momentOptions } from './moments.js';
import { defineKernelOptimizer, flag, maximize } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ε (eps), amsgrad, maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    θₜ ← θₜ₋₁ − γλ θₜ₋₁
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
    else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

export type { AdamWOptions };
export type AdamWState = AdamState;

export const adamwSpec = defineKernelOptimizer<AdamWOptions, AdamWState, AdamHyper>({
  id: 'adamw',
  displayName: 'AdamW',
  torchName: 'AdamW',
  summary: 'Adam with weight decay decoupled from the gradient.',
  algorithm: BOX,
  paper: { title: 'Decoupled Weight Decay Regularization', authors: 'Loshchilov, Hutter', year: 2019, url: 'https://arxiv.org/abs/1711.05101' },
  options: [...momentOptions({ lr: 1e-3, eps: 1e-8, weightDecay: 1e-2 }, 'Decoupled weight decay λ: each step shrinks θ by γλθ.'), flag('amsgrad', 'AMSGrad: divide by the running maximum of the second moment.'), maximize],
  // PyTorch 2.x's AdamW is Adam with this key fixed to true.
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false, fused: null, decoupled_weight_decay: true },
  legacyTorchGroupKeys: ['foreach', 'capturable'],
  state: adamState,
  kernels: adamKernels<AdamWOptions>(() => true),
  gradients: 'dense',
  gradientHint: ', please consider SparseAdam instead',
  testConfigs: {
    quadratic: { options: { lr: 0.1, weightDecay: 1e-4 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1, weightDecay: 1e-4 }, steps: 1000, below: 0.01 },
    invalid: adamInvalid,
  },
  create: (params: ParamsInput<AdamWOptions>, options?: Partial<AdamWOptions>) => new AdamW(params, options),
});

export const ADAMW_DEFAULTS: Readonly<AdamWOptions> = adamwSpec.defaults;

export class AdamW extends KernelOptimizer<AdamWOptions, AdamWState, AdamHyper> {
  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, adamwSpec, options);
  }
}
