/**
 * Adagrad: per-coordinate steps shrinking with the sum of squared gradients seen so far.
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), τ (initialAccumulatorValue),
 *         η (lrDecay), ε (eps), maximize
 * initialize:  state_sum₀ ← τ
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     γ̃ ← γ / (1 + (t − 1) η)
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     state_sumₜ ← state_sumₜ₋₁ + gₜ²
 *     θₜ ← θₜ₋₁ − γ̃ gₜ / (√state_sumₜ + ε)
 * return θₜ
 * ```
 * A row-sparse gradient (an embedding's) is summed per row first (repeated rows add up, as
 * PyTorch's `coalesce()`), then only the rows it names are updated, their sums included.
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Adagrad`: `step` is a 0-d tensor in the state dict,
 * weight decay with a sparse gradient is an error. One difference: PyTorch creates every
 * parameter's state in the constructor; here, as in every other optimizer, a parameter gets state
 * on its first step with a gradient, so one that never has a gradient has no entry in the state
 * dict. optax's `adagrad` starts the accumulator at 0.1, PyTorch (and descent) at 0, and optax
 * puts ε inside the square root.
 */
import type { Tensor } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { kernels, type AdagradHyper } from './kernels/index.js';
import { adagradScalars } from './kernels/scalars.js';
import type { ParamArena, StagedRows } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, eps, invalid, lr, maximize, weightDecay } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), τ (initialAccumulatorValue),
        η (lrDecay), ε (eps), maximize
initialize:  state_sum₀ ← τ
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    γ̃ ← γ / (1 + (t − 1) η)
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    state_sumₜ ← state_sumₜ₋₁ + gₜ²
    θₜ ← θₜ₋₁ − γ̃ gₜ / (√state_sumₜ + ε)
return θₜ
`.trim();

export interface AdagradOptions {
  /** Learning rate γ (default 1e-2). */
  lr: number;
  /** Learning-rate decay η: step t uses γ / (1 + (t − 1)η) (default 0). */
  lrDecay: number;
  /** L2 penalty λ added to the gradient; dense gradients only (default 0). */
  weightDecay: number;
  /** Starting value τ of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability (default 1e-10). */
  eps: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface AdagradState {
  [key: string]: number | Tensor;
  step: number;
  sum: Tensor;
}

/** The fused kernel over the listed params of an arena, dense gradients. */
export function adagradFused(arena: ParamArena, indices: readonly number[], h: AdagradHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.adagrad(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('sum'), h.clr, h.weightDecay, h.gradScale, h.eps);
}

/** The fused kernel on param i's staged row-sparse gradient (PyTorch refuses weight decay here). */
export function adagradFusedRows(arena: ParamArena, i: number, rows: StagedRows, h: AdagradHyper): void {
  if (h.weightDecay !== 0) throw new Error(`Adagrad: weight_decay (${h.weightDecay}) is not supported with sparse gradients`);
  const param = arena.address(i);
  arena.kernels.adagradRows(param, param + arena.stateOffset('sum'), rows.valuesAddress, rows.indicesAddress, rows.rows, rows.width, h.clr, h.gradScale, h.eps);
}

export const adagradSpec = defineKernelOptimizer<AdagradOptions, AdagradState, AdagradHyper>({
  id: 'adagrad',
  displayName: 'Adagrad',
  torchName: 'Adagrad',
  summary: 'Per-coordinate steps that shrink with the sum of all squared gradients so far.',
  algorithm: BOX,
  paper: { title: 'Adaptive Subgradient Methods for Online Learning and Stochastic Optimization', authors: 'Duchi, Hazan, Singer', year: 2011, url: 'https://jmlr.org/papers/v12/duchi11a.html' },
  options: [
    lr(1e-2),
    { name: 'lrDecay', type: 'number', default: 0, min: 0, range: [0, 0.1], scale: 'linear', description: 'Step t uses lr / (1 + (t − 1)·lrDecay).' },
    weightDecay(0, 'L2 penalty λ added to the gradient (dense gradients only).'),
    { name: 'initialAccumulatorValue', type: 'number', default: 0, min: 0, range: [0, 1], scale: 'linear', description: 'Starting value of the sum of squared gradients.' },
    eps(1e-10),
    maximize,
  ],
  torchGroupKeys: { foreach: null, differentiable: false, fused: null },
  legacyTorchGroupKeys: ['foreach'],
  state: { step: { kind: 'count0d' }, sum: { kind: 'param', nonNegative: true, initial: (o) => o.initialAccumulatorValue } },
  kernels: {
    hyper: () => ({ clr: 0, eps: 0, gradScale: 1, weightDecay: 0 }),
    scalars: (h, o, run) => adagradScalars(h, o, run.states[0]!.step),
    checkGradient: (o, grad) => (grad.isSparse && o.weightDecay !== 0 ? `weightDecay (${o.weightDecay}) is not compatible with sparse gradients` : null),
    plain: (h, _o, p, grad, s) => {
      if (grad instanceof SparseRows) {
        const rows = grad.coalesce();
        kernels.adagradSparseUpdate(p.data, s.sum.data, rows.indices, rows.values.data, rows.rowSize, h);
      } else {
        kernels.adagradUpdate(p.data, grad.data, s.sum.data, p.data.length, h);
      }
    },
    fused: (h, _o, arena, run) => adagradFused(arena, run.indices, h),
    fusedRows: (h, _o, arena, run) => adagradFusedRows(arena, run.indices[0]!, run.rows!, h),
  },
  gradients: 'dense-or-sparse',
  testConfigs: {
    quadratic: { options: { lr: 0.5 }, steps: 100 },
    rosenbrock: { options: { lr: 1 }, steps: 1000, below: 0.01 },
    invalid: [
      invalid.lr,
      { options: { lrDecay: -1 }, error: /Invalid lrDecay value: -1/ },
      invalid.weightDecay,
      { options: { initialAccumulatorValue: -0.1 }, error: /Invalid initialAccumulatorValue value: -0\.1/ },
      invalid.eps,
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<AdagradOptions>, options?: Partial<AdagradOptions>) => new Adagrad(params, options),
});

export const ADAGRAD_DEFAULTS: Readonly<AdagradOptions> = adagradSpec.defaults;

export class Adagrad extends KernelOptimizer<AdagradOptions, AdagradState, AdagradHyper> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, adagradSpec, options);
  }
}
