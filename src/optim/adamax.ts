/**
 * Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm
 * (Kingma & Ba, 2015, section 7).
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay), ε (eps), maximize
 * initialize:  m₀ ← 0 (exp_avg), u₀ ← 0 (exp_inf)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     uₜ ← max(β₂ uₜ₋₁, |gₜ| + ε)
 *     θₜ ← θₜ₋₁ − γ mₜ / ((1 − β₁ᵗ) uₜ)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.Adamax` (state `step` a 0-d tensor). ε sits inside
 * the maximum, as in PyTorch; the paper has none, and optax's `adamax` adds ε to uₜ afterwards.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamaxHyper } from './kernels/index.js';
import { adamaxScalars } from './kernels/scalars.js';
import { adamaxStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBetas, checkBoolean, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface AdamaxOptions {
  /** Learning rate γ (default 2e-3). */
  lr: number;
  /** Decay rates (β₁, β₂) of the first moment and the infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** Floor added to |g| (default 1e-8). */
  eps: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export const ADAMAX_DEFAULTS: Readonly<AdamaxOptions> = Object.freeze({ lr: 2e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, maximize: false });

export interface AdamaxState {
  [key: string]: number | Tensor;
  step: number;
  exp_avg: Tensor;
  exp_inf: Tensor;
}

export class Adamax extends KernelOptimizer<AdamaxOptions, AdamaxState> {
  private readonly hyper: AdamaxHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, stepSize: 0 };

  constructor(params: ParamsInput<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, ADAMAX_DEFAULTS, options, { name: 'Adamax', torchOnlyGroupKeys: { foreach: null } });
  }

  protected validateOptions(o: Readonly<AdamaxOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBetas(this.name, o.betas);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(): StateLayout {
    return { step: { kind: 'count0d' }, exp_avg: { kind: 'param' }, exp_inf: { kind: 'param' } };
  }

  protected initState(_group: Readonly<ParamGroup<AdamaxOptions>>, p: Tensor): AdamaxState {
    return { step: 0, exp_avg: this.zerosLike(p), exp_inf: this.zerosLike(p) };
  }

  protected override advanceState(_group: Readonly<ParamGroup<AdamaxOptions>>, _p: Tensor, state: AdamaxState): void {
    state.step += 1;
  }

  protected override fusedArrays(): readonly string[] {
    return fusedStateArrays('adamax');
  }

  protected updateRun(group: ParamGroup<AdamaxOptions>, run: Run<AdamaxState>): void {
    const h = adamaxScalars(this.hyper, group, run.states[0]!.step);
    if (run.arena !== null) return adamaxStep(run.arena, run.indices, h);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      kernels.adamaxUpdate(p.data, (run.grads[k] as Tensor).data, s.exp_avg.data, s.exp_inf.data, p.data.length, h);
    });
  }
}
