/**
 * Adadelta: steps in the units of the parameter, the RMS of past updates over the RMS of past
 * gradients (Zeiler, 2012).
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), ρ (rho), λ (weightDecay), ε (eps), maximize
 * initialize:  v₀ ← 0 (square_avg), u₀ ← 0 (acc_delta)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
 *     Δxₜ ← (√(uₜ₋₁ + ε) / √(vₜ + ε)) gₜ
 *     uₜ ← ρ uₜ₋₁ + (1 − ρ) Δxₜ²
 *     θₜ ← θₜ₋₁ − γ Δxₜ
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Adadelta` (state `step` a 0-d tensor; 1.13 wrote a
 * plain number, which loads). The
 * paper has no learning rate (γ = 1, PyTorch's default); optax's `adadelta` matches PyTorch.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdadeltaHyper } from './kernels/index.js';
import { adadeltaScalars } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, eps, invalid, lr, maximize, weightDecay } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), ρ (rho), λ (weightDecay), ε (eps), maximize
initialize:  v₀ ← 0 (square_avg), u₀ ← 0 (acc_delta)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
    Δxₜ ← (√(uₜ₋₁ + ε) / √(vₜ + ε)) gₜ
    uₜ ← ρ uₜ₋₁ + (1 − ρ) Δxₜ²
    θₜ ← θₜ₋₁ − γ Δxₜ
return θₜ
`.trim();

export interface AdadeltaOptions {
  /** Scale γ of the step (default 1.0). */
  lr: number;
  /** Decay ρ of both running averages (default 0.9). */
  rho: number;
  /** Added inside both square roots (default 1e-6). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface AdadeltaState {
  [key: string]: number | Tensor;
  step: number;
  square_avg: Tensor;
  acc_delta: Tensor;
}

/** The fused kernel over the listed params of an arena. */
export function adadeltaFused(arena: ParamArena, indices: readonly number[], h: AdadeltaHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adadelta(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('square_avg'), arena.stateOffset('acc_delta'), h.lr, h.rho, h.eps, h.weightDecay, h.gradScale);
}

export const adadeltaSpec = defineKernelOptimizer<AdadeltaOptions, AdadeltaState, AdadeltaHyper>({
  id: 'adadelta',
  displayName: 'Adadelta',
  torchName: 'Adadelta',
  summary: 'Steps sized by the RMS of past updates over the RMS of past gradients.',
  algorithm: BOX,
  paper: { title: 'ADADELTA: An Adaptive Learning Rate Method', authors: 'Zeiler', year: 2012, url: 'https://arxiv.org/abs/1212.5701' },
  options: [
    lr(1.0, 'Scale of the step (the paper has none: 1).'),
    { name: 'rho', type: 'number', default: 0.9, min: 0, max: 1, range: [0.5, 0.999], scale: 'linear', description: 'Decay ρ of both running averages.' },
    eps(1e-6, 'Added inside both square roots; sets the size of the first steps.'),
    weightDecay(),
    maximize,
  ],
  torchGroupKeys: { foreach: null, capturable: false, differentiable: false },
  legacyTorchGroupKeys: ['foreach'],
  state: { step: { kind: 'count0d' }, square_avg: { kind: 'param', nonNegative: true }, acc_delta: { kind: 'param', nonNegative: true } },
  kernels: {
    hyper: () => ({ lr: 0, rho: 0, eps: 0, gradScale: 1, weightDecay: 0 }),
    scalars: (h, o) => adadeltaScalars(h, o),
    // The step count is not in the maths: every parameter takes the same call.
    sameRun: () => true,
    plain: (h, _o, p, grad, s) => kernels.adadeltaUpdate(p.data, (grad as Tensor).data, s.square_avg.data, s.acc_delta.data, p.data.length, h),
    fused: (h, _o, arena, run) => adadeltaFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 1, eps: 1e-2 }, steps: 200 },
    rosenbrock: { options: {}, steps: 1000, below: 0.05 },
    invalid: [
      invalid.lr,
      { options: { rho: 1.5 }, error: /Invalid rho value: 1\.5/ },
      invalid.eps,
      invalid.weightDecay,
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<AdadeltaOptions>, options?: Partial<AdadeltaOptions>) => new Adadelta(params, options),
});

export const ADADELTA_DEFAULTS: Readonly<AdadeltaOptions> = adadeltaSpec.defaults;

export class Adadelta extends KernelOptimizer<AdadeltaOptions, AdadeltaState, AdadeltaHyper> {
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, adadeltaSpec, options);
  }
}
