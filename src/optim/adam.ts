/**
 * Adam: momentum on the gradient, steps scaled per coordinate by a running RMS of the gradient,
 * both bias-corrected (Kingma & Ba, 2015); AMSGrad's running maximum as an option.
 *
 * ```text
 * input:  γ (lr), β₁, β₂ (betas), θ₀ (params), f(θ) (objective), λ (weightDecay),
 *         ε (eps), amsgrad, maximize
 * initialize:  m₀ ← 0 (exp_avg), v₀ ← 0 (exp_avg_sq), v̂₀ᵐᵃˣ ← 0 (max_exp_avg_sq)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:
 *         Adam:   gₜ ← gₜ + λ θₜ₋₁                 (L2, through the moments)
 *         AdamW:  θₜ₋₁ ← θₜ₋₁ (1 − γλ)               (decoupled, see adamw.ts)
 *     mₜ ← β₁ mₜ₋₁ + (1 − β₁) gₜ
 *     vₜ ← β₂ vₜ₋₁ + (1 − β₂) gₜ²
 *     m̂ₜ ← mₜ / (1 − β₁ᵗ)
 *     if amsgrad:  v̂ₜᵐᵃˣ ← max(v̂ₜ₋₁ᵐᵃˣ, vₜ);  v̂ₜ ← v̂ₜᵐᵃˣ / (1 − β₂ᵗ)
 *     else:        v̂ₜ ← vₜ / (1 − β₂ᵗ)
 *     θₜ ← θₜ₋₁ − γ m̂ₜ / (√v̂ₜ + ε)
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.Adam` (state `step` is a 0-d tensor; the AMSGrad
 * maximum is kept of the raw vₜ and bias-corrected afterwards, as PyTorch does). optax's `adam`
 * adds ε the same way (outside the root, after bias correction) and has `eps_root` inside;
 * optax's `amsgrad` takes the maximum of the bias-corrected v̂ instead.
 */
import type { Tensor } from '../tensor/tensor.js';
import { kernels, type AdamHyper } from './kernels/index.js';
import { adamScalars } from './kernels/scalars.js';
import { adamStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBetas, checkBoolean, type ParamGroup, type ParamsInput, type Run, type StateLayout, type OptimizerDescription } from './optimizer.js';

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
}

export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
});

export interface AdamState {
  [key: string]: number | Tensor | undefined;
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
}

/**
 * Everything Adam and AdamW share: they differ in one row of the box (where weight decay goes),
 * which `decoupledWeightDecay` selects; both run the same kernels.
 */
export abstract class AdamFamily extends KernelOptimizer<AdamOptions, AdamState> {
  /** AdamW: decay θ by (1 − γλ) before the step; Adam: add λθ to the gradient. */
  protected abstract readonly decoupledWeightDecay: boolean;
  private readonly hyper: AdamHyper = { beta1: 0, beta2: 0, eps: 0, gradScale: 1, weightDecay: 0, paramDecay: 1, stepSize: 0, bc2Sqrt: 1 };

  protected constructor(params: ParamsInput<AdamOptions>, defaults: AdamOptions, options: Partial<AdamOptions>, description: OptimizerDescription) {
    super(params, defaults, options, description);
  }

  protected validateOptions(o: Readonly<AdamOptions>): void {
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'eps', o.eps);
    checkBetas(this.name, o.betas);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkBoolean(this.name, 'amsgrad', o.amsgrad);
    checkBoolean(this.name, 'maximize', o.maximize);
  }

  protected stateLayout(group: Readonly<ParamGroup<AdamOptions>>): StateLayout {
    return {
      step: { kind: 'count0d' },
      exp_avg: { kind: 'param' },
      exp_avg_sq: { kind: 'param' },
      max_exp_avg_sq: { kind: 'param', required: group.amsgrad },
    };
  }

  protected override sparseHint(): string {
    return ', please consider SparseAdam instead';
  }

  protected initState(_group: Readonly<ParamGroup<AdamOptions>>, p: Tensor): AdamState {
    return { step: 0, exp_avg: this.zerosLike(p), exp_avg_sq: this.zerosLike(p) };
  }

  protected override advanceState(group: Readonly<ParamGroup<AdamOptions>>, p: Tensor, state: AdamState): void {
    if (group.amsgrad) state.max_exp_avg_sq ??= this.zerosLike(p);
    state.step += 1;
  }

  protected override fusedArrays(group: Readonly<ParamGroup<AdamOptions>>): readonly string[] {
    return fusedStateArrays('adam', group);
  }

  protected updateRun(group: ParamGroup<AdamOptions>, run: Run<AdamState>): void {
    const h = adamScalars(this.hyper, group, this.decoupledWeightDecay, run.states[0]!.step);
    if (run.arena !== null) return adamStep(run.arena, run.indices, h, group.amsgrad);
    run.params.forEach((p, k) => {
      const s = run.states[k]!;
      kernels.adamUpdate(p.data, (run.grads[k] as Tensor).data, s.exp_avg.data, s.exp_avg_sq.data, group.amsgrad ? s.max_exp_avg_sq!.data : null, p.data.length, h);
    });
  }
}

export class Adam extends AdamFamily {
  protected readonly decoupledWeightDecay = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, ADAM_DEFAULTS, options, {
      name: 'Adam',
      torchOnlyGroupKeys: { foreach: null, capturable: false, differentiable: false, fused: false },
    });
  }
}
