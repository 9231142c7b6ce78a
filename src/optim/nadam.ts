/**
 * NAdam: Adam with Nesterov momentum and a warming momentum schedule μₜ (Dozat, 2016).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ψ (momentumDecay), ε (eps)
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
 *     μₜ ← β₁ (1 − ½ · 0.96^(tψ))
 *     μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
 *     Πₜ ← Πₜ₋₁ μₜ
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)     (PyTorch 1.13; see below)
 *     v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.NAdam` (state `step` and `mu_product` 0-d tensors;
 * no `maximize`, which PyTorch added in 2.0). That includes 1.13's bias correction of the momentum
 * term, 1 − Πₜ μₜ μₜ₊₁, where Dozat's paper (and PyTorch ≥ 2.0, pytorch/pytorch#92699) has
 * 1 − Πₜ μₜ₊₁ = 1 − ∏ᵢ≤ₜ₊₁ μᵢ: Πₜ already holds μₜ, so 1.13 counts it twice. The two differ only
 * while Πₜ is not yet negligible (about 7e-5 relative on the parameters in the first steps of the
 * golden cases), and the golden data are 1.13's. PyTorch keeps Πₜ in float32; here it is a
 * double, a difference below 1e-7 relative. optax's `nadam` uses a constant β₁ (no μ schedule).
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type NadamHyper } from './kernels/index.js';
import { nadamScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { defineKernelOptimizer, invalid, type StateTable } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ψ (momentumDecay), ε (eps)
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), Π₀ ← 1 (mu_product)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if λ ≠ 0:  gₜ ← gₜ + λ θₜ₋₁
    μₜ ← β₁ (1 − ½ · 0.96^(tψ))
    μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1)ψ))
    Πₜ ← Πₜ₋₁ μₜ
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← μₜ₊₁ mₜ / (1 − Πₜ μₜ μₜ₊₁) + (1 − μₜ) gₜ / (1 − Πₜ)     (PyTorch 1.13; see below)
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
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)) (default 4e-3). */
  momentumDecay: number;
}

export interface NAdamState extends MomentState {
  mu_product: number;
  exp_avg_sq: Tensor;
}

/** The fused kernel over the listed params of an arena. */
export function nadamFused(arena: ParamArena, indices: readonly number[], h: NadamHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.nadam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), h.beta1, h.beta2, 1 / h.bc2, h.eps, h.weightDecay, h.gradScale, h.gradStep, h.momentumStep);
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
    ...momentOptions({ lr: 2e-3, eps: 1e-8 }),
    { name: 'momentumDecay', type: 'number', default: 4e-3, min: 0, range: [0, 0.1], scale: 'linear', description: 'ψ in the momentum schedule μₜ = β₁(1 − ½·0.96^(tψ)).' },
  ],
  torchGroupKeys: { foreach: null },
  state,
  kernels: {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, bc2: 1, gradStep: 0, momentumStep: 0 }),
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
    invalid: [invalid.lr, invalid.eps, ...invalid.betas, invalid.weightDecay, { options: { momentumDecay: -1 }, error: /Invalid momentumDecay value: -1/ }, invalid.unknownOption],
  },
  create: (params: ParamsInput<NAdamOptions>, options?: Partial<NAdamOptions>) => new NAdam(params, options),
});

export const NADAM_DEFAULTS: Readonly<NAdamOptions> = nadamSpec.defaults;

export class NAdam extends KernelOptimizer<NAdamOptions, NAdamState, NadamHyper> {
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, nadamSpec, options);
  }
}
