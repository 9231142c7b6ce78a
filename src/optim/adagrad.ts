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
 * Compatibility: PyTorch 1.13's `torch.optim.Adagrad`: `step` is a 0-d tensor in the state dict,
 * weight decay with a sparse gradient is an error. One difference: PyTorch creates every
 * parameter's state in the constructor; here, as in every other optimizer, a parameter gets state
 * on its first step with a gradient, so one that never has a gradient has no entry in the state
 * dict. optax's `adagrad` starts the accumulator at 0.1, PyTorch (and descent) at 0, and optax
 * puts ε inside the square root.
 */
import type { Tensor } from '../tensor/tensor.js';
import { SparseRows, type Gradient } from '../tensor/sparse.js';
import { kernels, type AdagradHyper } from './kernels/index.js';
import { adagradScalars } from './kernels/scalars.js';
import { adagradStep, adagradRowsStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBoolean, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

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

export const ADAGRAD_DEFAULTS: Readonly<AdagradOptions> = Object.freeze({
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
});

export interface AdagradState {
  [key: string]: number | Tensor;
  step: number;
  sum: Tensor;
}

export class Adagrad extends KernelOptimizer<AdagradOptions, AdagradState> {
  private readonly hyper: AdagradHyper = { clr: 0, eps: 0, gradScale: 1, weightDecay: 0 };

  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, ADAGRAD_DEFAULTS, options, { name: 'Adagrad', torchOnlyGroupKeys: { foreach: null } });
  }

  protected validateOptions(o: Readonly<AdagradOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'lrDecay', o.lrDecay);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkNonNegative(this.name, 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count0d' }, sum: { kind: 'param' } };
  }

  protected override checkGradient(group: Readonly<ParamGroup<AdagradOptions>>, _param: Tensor, grad: Gradient): void {
    if (grad.isSparse && group.weightDecay !== 0) {
      throw new RangeError(`Adagrad: weightDecay (${group.weightDecay}) is not compatible with sparse gradients`);
    }
  }

  protected initState(group: Readonly<ParamGroup<AdagradOptions>>, p: Tensor): AdagradState {
    return { step: 0, sum: this.zerosLike(p, group.initialAccumulatorValue) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<AdagradOptions>>, _p: Tensor, state: AdagradState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('adagrad');
  }

  protected updateRun(group: ParamGroup<AdagradOptions>, run: Run<AdagradState>): void {
    const h = adagradScalars(this.hyper, group, run.states[0]!.step);
    if (run.arena !== null) {
      if (run.rows !== null) adagradRowsStep(run.arena, run.indices[0]!, run.rows, h);
      else adagradStep(run.arena, run.indices, h);
      return;
    }
    run.params.forEach((p, k) => {
      const grad = run.grads[k]!;
      const sum = run.states[k]!.sum.data;
      if (grad instanceof SparseRows) {
        const rows = grad.coalesce();
        kernels.adagradSparseUpdate(p.data, sum, rows.indices, rows.values.data, rows.rowSize, h);
      } else {
        kernels.adagradUpdate(p.data, grad.data, sum, p.data.length, h);
      }
    });
  }
}
