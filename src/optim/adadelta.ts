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
 * Compatibility: PyTorch 1.13's `torch.optim.Adadelta` (state `step` is a plain number). The
 * paper has no learning rate (γ = 1, PyTorch's default); optax's `adadelta` matches PyTorch.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdadeltaHyper } from './kernels/index.js';
import { adadeltaScalars } from './kernels/scalars.js';
import { adadeltaStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkInRange, checkBoolean, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

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

export const ADADELTA_DEFAULTS: Readonly<AdadeltaOptions> = Object.freeze({ lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });

export interface AdadeltaState {
  [key: string]: number | Tensor;
  step: number;
  square_avg: Tensor;
  acc_delta: Tensor;
}

export class Adadelta extends KernelOptimizer<AdadeltaOptions, AdadeltaState> {
  private readonly hyper: AdadeltaHyper = { lr: 0, rho: 0, eps: 0, gradScale: 1, weightDecay: 0 };

  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, ADADELTA_DEFAULTS, options, { name: 'Adadelta', torchOnlyGroupKeys: { foreach: null } });
  }

  protected validateOptions(o: Readonly<AdadeltaOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkInRange(this.name, 'rho', o.rho, 0, 1);
    checkNonNegative(this.name, 'eps', o.eps);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count' }, square_avg: { kind: 'param' }, acc_delta: { kind: 'param' } };
  }

  protected initState(_group: Readonly<ParamGroup<AdadeltaOptions>>, p: Tensor): AdadeltaState {
    return { step: 0, square_avg: this.zerosLike(p), acc_delta: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<AdadeltaOptions>>, _p: Tensor, state: AdadeltaState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('adadelta');
  }

  /** The step count is not in the maths: every parameter takes the same call. */
  protected override sameRun(): boolean {
    return true;
  }

  protected updateRun(group: ParamGroup<AdadeltaOptions>, run: Run<AdadeltaState>): void {
    const h = adadeltaScalars(this.hyper, group);
    if (run.arena !== null) return adadeltaStep(run.arena, run.indices, h);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      kernels.adadeltaUpdate(p.data, (run.grads[k] as Tensor).data, s.square_avg.data, s.acc_delta.data, p.data.length, h);
    });
  }
}
