/**
 * RMSprop: steps divided by a running root-mean-square of the gradients (Hinton's lecture 6e).
 *
 * ```text
 * input:  α (lr), θ₀ (params), f(θ) (objective), ρ (alpha), ε (eps), λ (weightDecay),
 *         μ (momentum), centered, maximize
 * initialize:  v₀ ← 0 (square_avg), b₀ ← 0 (momentum_buffer), g₀ᵃᵛᵍ ← 0 (grad_avg)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     vₜ ← ρ vₜ₋₁ + (1 − ρ) gₜ²
 *     ṽₜ ← vₜ
 *     if centered:
 *         gₜᵃᵛᵍ ← ρ gₜ₋₁ᵃᵛᵍ + (1 − ρ) gₜ
 *         ṽₜ ← ṽₜ − (gₜᵃᵛᵍ)²
 *     if μ > 0:
 *         bₜ ← μ bₜ₋₁ + gₜ / (√ṽₜ + ε)
 *         θₜ ← θₜ₋₁ − α bₜ
 *     else:
 *         θₜ ← θₜ₋₁ − α gₜ / (√ṽₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.RMSprop` (state `step` is a plain number;
 * `momentum_buffer` only with momentum, `grad_avg` only when centered). optax's `rmsprop`
 * defaults to decay 0.9 (PyTorch 0.99) and puts ε inside the square root; TensorFlow's too.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type RmspropHyper } from './kernels/index.js';
import { rmspropScalars } from './kernels/scalars.js';
import { rmspropStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBoolean, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate α (default 1e-2). */
  lr: number;
  /** Smoothing constant ρ of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Divide by the variance estimate v − (E g)² instead of v (default false). */
  centered: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export const RMSPROP_DEFAULTS: Readonly<RMSpropOptions> = Object.freeze({
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
});

export interface RMSpropState {
  [key: string]: number | Tensor | undefined;
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
}

export class RMSprop extends KernelOptimizer<RMSpropOptions, RMSpropState> {
  private readonly hyper: RmspropHyper = { lr: 0, alpha: 0, eps: 0, momentum: 0, gradScale: 1, weightDecay: 0 };

  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, RMSPROP_DEFAULTS, options, { name: 'RMSprop', torchOnlyGroupKeys: { foreach: null, differentiable: false } });
  }

  protected validateOptions(o: Readonly<RMSpropOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkNonNegative(this.name, 'momentum', o.momentum);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkNonNegative(this.name, 'alpha', o.alpha);
    checkBoolean(this.name, 'centered', o.centered);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(group: Readonly<ParamGroup<RMSpropOptions>>): StateLayout {
    return {
      step: { kind: 'count' },
      square_avg: { kind: 'param' },
      momentum_buffer: { kind: 'param', required: group.momentum > 0 },
      grad_avg: { kind: 'param', required: group.centered },
    };
  }

  protected initState(_group: Readonly<ParamGroup<RMSpropOptions>>, p: Tensor): RMSpropState {
    return { step: 0, square_avg: this.zerosLike(p) };
  }

  protected override advanceState(group: Readonly<ParamGroup<RMSpropOptions>>, p: Tensor, state: RMSpropState): void {
    // Buffers appear when the option that needs them does (also after a live change).
    if (group.momentum > 0) state.momentum_buffer ??= this.zerosLike(p);
    if (group.centered) state.grad_avg ??= this.zerosLike(p);
    state.step += 1;
  }

  protected override fusedArrays(group: Readonly<ParamGroup<RMSpropOptions>>): readonly string[] {
    return fusedStateArrays('rmsprop', group);
  }

  /** The step count is not in the maths: every parameter takes the same call. */
  protected override sameRun(): boolean {
    return true;
  }

  protected updateRun(group: ParamGroup<RMSpropOptions>, run: Run<RMSpropState>): void {
    const h = rmspropScalars(this.hyper, group);
    if (run.arena !== null) return rmspropStep(run.arena, run.indices, h, group.centered);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      const gradAvg = group.centered ? s.grad_avg!.data : null;
      const buffer = group.momentum > 0 ? s.momentum_buffer!.data : null;
      kernels.rmspropUpdate(p.data, (run.grads[k] as Tensor).data, s.square_avg.data, gradAvg, buffer, p.data.length, h);
    });
  }
}
