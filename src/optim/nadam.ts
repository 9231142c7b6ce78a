/**
 * NAdam: Adam with Nesterov momentum and a warming momentum schedule μₜ (Dozat, 2016).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ψ (momentumDecay), ε (eps), decoupledWeightDecay, maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:
 *         if decoupledWeightDecay:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
 *         else:                     gₜ ← gₜ + λ θₜ₋₁
 *     μₜ ← β₁ (1 − ½ · 0.96^(tψ))
 *     μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
 *     Πₜ ← Πₜ₋₁ μₜ
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)
 *     v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.NAdam` (state `step` and `mu_product` 0-d tensors).
 * PyTorch 1.13 had no `maximize` or `decoupled_weight_decay`, and took the momentum term's bias
 * correction as 1 − Πₜ μₜ μₜ₊₁, counting μₜ twice (2.0 fixed it, pytorch/pytorch#92699, to the
 * paper's 1 − ∏ᵢ≤ₜ₊₁ μᵢ): about 9e-4 relative in the first steps. PyTorch keeps Πₜ in float32,
 * and so does descent's step. optax's `nadam` uses a constant β₁ (no μ schedule).
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type NadamHyper } from './kernels/index.js';
import { nadamScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { decoupledWeightDecay, defineKernelOptimizer, invalid, maximize, type StateTable } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ψ (momentumDecay), ε (eps), decoupledWeightDecay, maximize
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:
        if decoupledWeightDecay:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
        else:                     gₜ ← gₜ + λ θₜ₋₁
    μₜ ← β₁ (1 − ½ · 0.96^(tψ))
    μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
    Πₜ ← Πₜ₋₁ μₜ
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)
    v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

export interface NAdamOptions {
  /** Learning rate γ (default 2e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** Weight decay λ: added to the gradient, or decoupled (default 0). */
  weightDecay: number;
  /** ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (default 4e-3). */
  momentumDecay: number;
  /** Decoupled weight decay, as AdamW (default false). */
  decoupledWeightDecay: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface NAdamState extends MomentState {
  mu_product: number;
  exp_avg_sq: Tensor;
}

/** The fused kernel over the listed params of an arena. */
export function nadamFused(arena: ParamArena, indices: readonly number[], h: NadamHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.nadam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), h.beta1, h.beta2, 1 / h.bc2, h.eps, h.weightDecay, h.gradScale, h.gradStep, h.momentumStep, h.paramDecay);
}

const state: StateTable<NAdamOptions> = { ...momentState<NAdamOptions>(), mu_product: { kind: 'number0d', initial: 1 } };

export const nadamSpec = defineKernelOptimizer<NAdamOptions, NAdamState, NadamHyper>({
  id: 'nadam',
  displayName: 'NAdam',
  torchName: 'NAdam',
  summary: 'Adam with Nesterov momentum and a warming momentum schedule.',
  algorithm: BOX,
  paper: { title: 'Incorporating Nesterov Momentum into Adam', authors: 'Dozat', year: 2016, url: 'https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ' },
  options: [
    ...momentOptions({ lr: 2e-3, eps: 1e-8 }, 'Weight decay λ: added to the gradient (L2), or decoupled with decoupledWeightDecay.'),
    { name: 'momentumDecay', type: 'number', default: 4e-3, min: 0, range: [0, 0.1], scale: 'linear', description: 'ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)).' },
    decoupledWeightDecay,
    { ...maximize, addedIn: '2.0' },
  ],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false },
  legacyTorchGroupKeys: ['foreach'],
  state,
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, bc2: 1, gradStep: 0, momentumStep: 0 }),
    // The μ product is in the maths too: it moves on with the step, in every state of the run.
    scalars: (h, o, run) => {
      const first = run.states[0]!;
      const muProduct = nadamScalars(h, o, first.step, first.mu_product);
      for (const s of run.states) s.mu_product = muProduct;
    },
    plain: (h, _o, p, grad, s) => kernels.nadamUpdate(p.data, (grad as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, p.data.length, h),
    fused: (h, _o, arena, run) => nadamFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.03 }, steps: 1000, below: 0.01 },
    invalid: [invalid.lr, invalid.eps, ...invalid.betas, invalid.weightDecay, { options: { momentumDecay: -1 }, error: /Invalid momentumDecay value: -1/ }, invalid.maximize, invalid.unknownOption],
  },
  create: (params: ParamsInput<NAdamOptions>, options?: Partial<NAdamOptions>) => new NAdam(params, options),
});

export const NADAM_DEFAULTS: Readonly<NAdamOptions> = nadamSpec.defaults;

export class NAdam extends KernelOptimizer<NAdamOptions, NAdamState, NadamHyper> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, nadamSpec, options);
  }
}
