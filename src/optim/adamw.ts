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
 * One row differs from Adam's box, so AdamW is Adam's class and kernel with the decay moved:
 * with λ = 0 the two are the same computation, bit for bit.
 *
 * Compatibility: PyTorch 1.13's `torch.optim.AdamW` (default λ = 1e-2; decay scaled by γ, so a
 * schedule on γ also schedules the decay). The paper scales the decay by the schedule multiplier
 * only (λ not multiplied by γ); optax's `adamw` multiplies by γ, as PyTorch.
 */
import { AdamFamily, ADAM_DEFAULTS, type AdamOptions, type AdamState } from './adam.js';
import type { ParamsInput } from './optimizer.js';

export type AdamWOptions = AdamOptions;
export type AdamWState = AdamState;

export const ADAMW_DEFAULTS: Readonly<AdamWOptions> = Object.freeze({ ...ADAM_DEFAULTS, betas: [0.9, 0.999] as [number, number], weightDecay: 1e-2 });

export class AdamW extends AdamFamily {
  protected readonly decoupledWeightDecay = true;

  constructor(params: ParamsInput<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, ADAMW_DEFAULTS, options, { name: 'AdamW', torchOnlyGroupKeys: { foreach: null, capturable: false } });
  }
}
