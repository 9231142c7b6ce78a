/**
 * Stochastic gradient descent, with momentum, dampening, Nesterov momentum and L2 weight decay.
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), μ (momentum),
 *         τ (dampening), nesterov, maximize
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
 *     if μ ≠ 0:
 *         if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
 *         else:      bₜ ← gₜ
 *         if nesterov:  gₜ ← gₜ + μ bₜ
 *         else:         gₜ ← bₜ
 *     θₜ ← θₜ₋₁ − γ gₜ
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.SGD` (names, checks, state dict with
 * `momentum_buffer`, `null` without momentum). `lr` has no default, as in PyTorch 1.13 (2.x
 * defaults it to 1e-3): a missing `lr` is an error rather than a silently slow run. optax's
 * `sgd` has no dampening and applies weight decay as a separate transform.
 */
import { Tensor } from '../tensor/tensor.js';
import { kernels, type SgdHyper, type SgdMomentumHyper } from './kernels/index.js';
import { sgdStep, fusedStateArrays } from './wasm/fused.js';
import { KernelOptimizer, checkLearningRate, checkNonNegative, checkBoolean, requireOption, type ParamGroup, type ParamsInput, type Run, type StateLayout } from './optimizer.js';

export interface SGDOptions {
  /** Learning rate γ; required (no default in PyTorch 1.13). */
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ of the momentum's gradient term (default 0). */
  dampening: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0 (default false). */
  nesterov: boolean;
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export const SGD_DEFAULTS: Readonly<SGDOptions> = Object.freeze({
  lr: undefined as unknown as number,
  momentum: 0,
  dampening: 0,
  weightDecay: 0,
  nesterov: false,
  maximize: false,
});

export interface SGDState {
  [key: string]: Tensor | null;
  momentum_buffer: Tensor | null;
}

export class SGD extends KernelOptimizer<SGDOptions, SGDState> {
  private readonly hyper: SgdMomentumHyper = { lr: 0, gradScale: 1, weightDecay: 0, bufferDecay: 0, bufferGradScale: 1, directGradWeight: 0, bufferWeight: 1 };

  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, SGD_DEFAULTS, options, { name: 'SGD', torchOnlyGroupKeys: { foreach: null, differentiable: false } });
  }

  protected validateOptions(o: Readonly<SGDOptions>): void {
    if (o.lr === undefined) throw new RangeError(`SGD: lr is required (PyTorch 1.13's SGD has no default learning rate)`);
    checkLearningRate(this.name, o.lr);
    checkNonNegative(this.name, 'momentum', o.momentum);
    requireOption(typeof o.dampening === 'number' && Number.isFinite(o.dampening), this.name, 'dampening value', o.dampening);
    checkNonNegative(this.name, 'weightDecay', o.weightDecay);
    checkBoolean(this.name, 'nesterov', o.nesterov);
    checkBoolean(this.name, 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`SGD: Nesterov momentum requires a momentum and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected stateLayout(): StateLayout {
    return { momentum_buffer: { kind: 'param', nullable: true } };
  }

  protected initState(): SGDState {
    return { momentum_buffer: null };
  }

  protected override fusedArrays(group: Readonly<ParamGroup<SGDOptions>>): readonly string[] {
    return fusedStateArrays('sgd', group);
  }

  /** A buffer's first step copies the gradient in: params with and without buffers take separate calls. */
  protected override sameRun(a: SGDState, b: SGDState): boolean {
    return (a.momentum_buffer === null) === (b.momentum_buffer === null);
  }

  protected updateRun(group: ParamGroup<SGDOptions>, run: Run<SGDState>): void {
    const sign = group.maximize ? -1 : 1;
    if (run.arena === null) {
      run.params.forEach((p, k) => sgdParamStep(p, run.grads[k] as Tensor, run.states[k]!, () => this.zerosLike(p), group, sign, group.weightDecay, this.hyper));
      return;
    }
    const firstStep = run.states[0]!.momentum_buffer === null;
    sgdStep(run.arena, run.indices, group, firstStep);
    settleFusedBuffers(run, group.momentum, firstStep);
  }
}

/**
 * After a fused SGD or LARS step: on a first step the kernel wrote each buffer into the arena,
 * so the state gets a tensor over it; without momentum there is no buffer (PyTorch's `None`,
 * also after momentum was set to 0 live). The run's states all agree on which case holds.
 */
export function settleFusedBuffers(run: Run<{ momentum_buffer: Tensor | null }>, momentum: number, firstStep: boolean): void {
  const arena = run.arena!;
  if (momentum === 0 && !firstStep) run.states.forEach((s) => (s.momentum_buffer = null));
  if (momentum !== 0 && firstStep) {
    run.states.forEach((s, k) => (s.momentum_buffer = new Tensor(arena.state('momentum_buffer', run.indices[k]!), [...run.params[k]!.shape])));
  }
}

/**
 * One SGD step of a parameter: `d = gradScale·g + weightDecay·w`, then the momentum buffer and the
 * update. LARS calls it with its trust ratio folded into `gradScale` and `weightDecay`.
 */
export function sgdParamStep(
  param: Tensor,
  grad: Tensor,
  state: { momentum_buffer: Tensor | null },
  newBuffer: () => Tensor,
  options: Readonly<Pick<SGDOptions, 'lr' | 'momentum' | 'dampening' | 'nesterov'>>,
  gradScale: number,
  weightDecay: number,
  h: SgdMomentumHyper,
): void {
  const n = param.data.length;
  h.lr = options.lr;
  h.gradScale = gradScale;
  h.weightDecay = weightDecay;
  if (options.momentum === 0) {
    state.momentum_buffer = null;
    kernels.sgdUpdate(param.data, grad.data, n, h as SgdHyper);
    return;
  }
  const first = state.momentum_buffer === null;
  const buffer = state.momentum_buffer ?? newBuffer();
  state.momentum_buffer = buffer;
  // The first step copies d into the fresh (zero) buffer: b = 0·0 + 1·d.
  h.bufferDecay = first ? 0 : options.momentum;
  h.bufferGradScale = first ? 1 : 1 - options.dampening;
  h.directGradWeight = options.nesterov ? 1 : 0;
  h.bufferWeight = options.nesterov ? options.momentum : 1;
  kernels.sgdMomentumUpdate(param.data, grad.data, buffer.data, n, h);
}
