/**
 * SparseAdam: Adam for row-sparse gradients (embeddings) that updates only the rows a step's
 * gradient names, moments included ("lazy" Adam).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), ε (eps), maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq)
 * for t = 1 to … do                          (t counts this parameter's steps)
 *     gₜ ← ∇θ fₜ(θₜ₋₁), rows R (repeated rows summed)
 *     if maximize:  gₜ ← −gₜ
 *     for each row r ∈ R:
 *         mₜ[r] ← β₁ mₜ₋₁[r] + (1 − β₁) gₜ[r]
 *         vₜ[r] ← β₂ vₜ₋₁[r] + (1 − β₂) gₜ[r]²
 *         θₜ[r] ← θₜ₋₁[r] − γ (√(1 − β₂ᵗ) / (1 − β₁ᵗ)) mₜ[r] / (√vₜ[r] + ε)
 *     rows ∉ R keep θ, m and v
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.SparseAdam` (state `step` a plain number; a dense
 * gradient is an error; ε added before the bias correction, unlike Adam; lr and ε must be > 0).
 * TensorFlow's `LazyAdamOptimizer` is the same idea; optax has none.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { SparseRows, Gradient } from '../tensor/sparse.js';
import { kernels, type SparseAdamHyper } from './kernels/index.js';
import { sparseAdamScalars } from './kernels/scalars.js';
import { sparseAdamRowsStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkBetas, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface SparseAdamOptions {
  /** Learning rate γ, > 0 (default 1e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the moments (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator for stability, > 0 (default 1e-8). */
  eps: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export const SPARSE_ADAM_DEFAULTS: Readonly<SparseAdamOptions> = Object.freeze({ lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, maximize: false });

export interface SparseAdamState {
  [key: string]: number | Tensor;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export class SparseAdam extends KernelOptimizer<SparseAdamOptions, SparseAdamState> {
  private readonly hyper: SparseAdamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, stepSize: 0 };

  constructor(params: ParamsInput<SparseAdamOptions>, options: Partial<SparseAdamOptions> = {}) {
    super(params, SPARSE_ADAM_DEFAULTS, options, { name: 'SparseAdam' });
  }

  protected validateOptions(o: Readonly<SparseAdamOptions>): void {
    requireOption(typeof o.lr === 'number' && o.lr > 0 && o.lr < Infinity, this.name, 'learning rate', o.lr);
    requireOption(typeof o.eps === 'number' && o.eps > 0 && o.eps < Infinity, this.name, 'eps value', o.eps);
    checkBetas(this.name, o.betas);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count' }, exp_avg: { kind: 'param' }, exp_avg_sq: { kind: 'param' } };
  }

  protected override checkGradient(_group: Readonly<ParamGroup<SparseAdamOptions>>, _param: Tensor, grad: Gradient): void {
    if (!grad.isSparse) {
      throw new TypeError('SparseAdam does not support dense gradients, please consider Adam instead');
    }
  }

  protected initState(_group: Readonly<ParamGroup<SparseAdamOptions>>, p: Tensor): SparseAdamState {
    return { step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<SparseAdamOptions>>, _p: Tensor, state: SparseAdamState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('sparseadam');
  }

  /** Every gradient is row-sparse: on the fused path each parameter's rows take their own call. */
  protected updateRun(group: ParamGroup<SparseAdamOptions>, run: Run<SparseAdamState>): void {
    const h = sparseAdamScalars(this.hyper, group, run.states[0]!.step);
    if (run.arena !== null) return sparseAdamRowsStep(run.arena, run.indices[0]!, run.rows!, h);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      const rows = (run.grads[k] as SparseRows).coalesce();
      kernels.sparseAdamUpdate(p.data, s.exp_avg.data, s.exp_avg_sq.data, rows.indices, rows.values.data, rows.rowSize, h);
    });
  }
}
