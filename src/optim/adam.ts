/**
 * Adam: momentum on the gradient, steps scaled per coordinate by a running RMS of the gradient,
 * both bias-corrected (Kingma & Ba, 2015); AMSGrad's running maximum as an option.
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ε (eps), amsgrad, maximize, decoupledWeightDecay
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:
 *         if decoupledWeightDecay (AdamW):  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
 *         else:                             gₜ ← gₜ + λ θₜ₋₁     (L2, through the moments)
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← mₜ / (1 − β₁ᵗ)
 *     if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
 *     else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Adam`, whose AdamW is this Adam with
 * `decoupled_weight_decay` (state `step` is a 0-d tensor; the AMSGrad
 * maximum is kept of the raw vₜ and bias-corrected afterwards, as PyTorch does). optax's `adam`
 * adds ε the same way (outside the root, after bias correction) and has `eps_root` inside;
 * optax's `amsgrad` takes the maximum of the bias-corrected v̂ instead.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamHyper } from './kernels/index.js';
import { adamScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { momentOptions, momentState, type MomentState } from './moments.js';
import { decoupledWeightDecay, defineKernelOptimizer, flag, invalid, maximize, type KernelSpec } from './spec.js';

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
        ε (eps), amsgrad, maximize, decoupledWeightDecay
initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:
        if decoupledWeightDecay (AdamW):  θₜ₋₁ ← θₜ₋₁ (1 − γλ)
        else:                             gₜ ← gₜ + λ θₜ₋₁     (L2, through the moments)
    mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
    vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
    m̂ₜ ← mₜ / (1 − β₁ᵗ)
    if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
    else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
    θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
return θₜ
`.trim();

export interface AdamOptions {
  /** Learning rate γ (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the first and second moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0; AdamW decouples it and defaults to 1e-2). */
  weightDecay: number;
  /** AMSGrad: divide by the running maximum of the second moment (default false). */
  amsgrad: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
  /** Decoupled weight decay, as AdamW (default false; PyTorch 2.x). */
  decoupledWeightDecay: boolean;
}

export interface AdamState extends MomentState {
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
}

/** Adam and AdamW: where the weight decay goes (`decoupled`) is their one difference. */
export function adamKernels<O extends AdamWOptions>(decoupled: (options: Readonly<O>) => boolean): KernelSpec<O, AdamState, AdamHyper> {
  return {
    hyper: () => ({ beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1 }),
    scalars: (h, o, run) => adamScalars(h, o, decoupled(o), run.states[0]!.step),
    plain: (h, o, p, grad, s) => kernels.adamUpdate(p.data, (grad as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, o.amsgrad ? s.max_exp_avg_sq!.data : null, p.data.length, h),
    fused: (h, o, arena, run) => adamFused(arena, run.indices, h, o.amsgrad),
  };
}

/** The fused kernel over the listed params of an arena (`h.paramDecay` is AdamW's decay, `h.weightDecay` Adam's L2 term). */
export function adamFused(arena: ParamArena, indices: readonly number[], h: AdamHyper, amsgrad: boolean): void {
  const segments = arena.writeSegments(indices);
  const vMaxOff = amsgrad ? arena.stateOffset('max_exp_avg_sq') : 0;
  arena.kernels.adam(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('exp_avg'), arena.stateOffset('exp_avg_sq'), vMaxOff, h.beta1, h.beta2, h.stepSize, 1 / h.bc2Sqrt, h.eps, h.weightDecay, h.paramDecay, h.gradScale, amsgrad ? 1 : 0);
}

/** Adam's and AdamW's state: the moments, and the AMSGrad maximum when asked for. */
export const adamState = { ...momentState<AdamWOptions>(), max_exp_avg_sq: { kind: 'param' as const, nonNegative: true, when: (o: Readonly<AdamWOptions>) => o.amsgrad } };

/** AdamW's options: Adam's, with the decay always decoupled (not an option). */
export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

export const adamInvalid = [invalid.lr, invalid.eps, ...invalid.betas, invalid.weightDecay, { options: { amsgrad: 'no' }, error: /Invalid amsgrad value: "no"/ }, invalid.maximize, invalid.unknownOption];

const amsgrad = flag('amsgrad', 'AMSGrad: divide by the running maximum of the second moment.');

export const adamSpec = defineKernelOptimizer<AdamOptions, AdamState, AdamHyper>({
  id: 'adam',
  displayName: 'Adam',
  torchName: 'Adam',
  summary: 'Momentum plus per-coordinate RMS scaling, both bias-corrected; AMSGrad as an option.',
  algorithm: BOX,
  paper: { title: 'Adam: A Method for Stochastic Optimization', authors: 'Kingma, Ba', year: 2015, url: 'https://arxiv.org/abs/1412.6980' },
  options: [...momentOptions({ lr: 1e-3, eps: 1e-8 }, 'Weight decay λ: added to the gradient (L2), or decoupled (AdamW) with decoupledWeightDecay.'), amsgrad, maximize, decoupledWeightDecay],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false, fused: null },
  legacyTorchGroupKeys: ['foreach', 'capturable', 'differentiable', 'fused'],
  state: adamState,
  kernels: adamKernels<AdamOptions>((o) => o.decoupledWeightDecay),
  gradients: 'dense',
  gradientHint: ', please consider SparseAdam instead',
  testConfigs: {
    quadratic: { options: { lr: 0.1 }, steps: 150 },
    rosenbrock: { options: { lr: 0.1 }, steps: 1000, below: 0.01 },
    invalid: adamInvalid,
  },
  create: (params: ParamsInput<AdamOptions>, options?: Partial<AdamOptions>) => new Adam(params, options),
});

export const ADAM_DEFAULTS: Readonly<AdamOptions> = adamSpec.defaults;

export class Adam extends KernelOptimizer<AdamOptions, AdamState, AdamHyper> {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, adamSpec, options);
  }
}
