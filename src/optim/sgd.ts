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
 * Compatibility: PyTorch 2.14's `torch.optim.SGD` (names, checks, `lr` 1e-3 by default, a
 * state dict with `momentum_buffer` only with momentum; 1.13 had no default `lr` and wrote
 * `momentum_buffer: None` without momentum, which loads). optax's
 * `sgd` has no dampening and applies weight decay as a separate transform.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { kernels, type SgdHyper, type SgdMomentumHyper } from './kernels/index.js';
import { gradientSign } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { trustBuffers } from './wasm/fused.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, invalid, lr, maximize, momentum, weightDecay, flag, type KernelSpec, type OptionSpec, type Run, type StateTable } from './spec.js';


/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), λ (weightDecay), μ (momentum),
        τ (dampening), nesterov, maximize
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    if λ ≠ 0:     gₜ ← gₜ + λ θₜ₋₁
    if μ ≠ 0:
        if t > 1:  bₜ ← μ bₜ₋₁ + (1 − τ) gₜ
        else:      bₜ ← gₜ
        if nesterov:  gₜ ← gₜ + μ bₜ
        else:         gₜ ← bₜ
    θₜ ← θₜ₋₁ − γ gₜ
return θₜ
`.trim();

export interface SGDOptions {
  /** Learning rate γ (default 1e-3, PyTorch 2.x's; 1.13 had none). */
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

export interface SGDState {
  [key: string]: Tensor | null | undefined;
  momentum_buffer?: Tensor | null;
}

/** The options the momentum-SGD kernels read (SGD's, LARS's). */
export interface MomentumSgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize?: boolean;
}

/**
 * The trust ratio of a parameter tensor from ‖θ‖ and ‖g‖ (LARS); it scales the gradient and the
 * weight decay before the momentum rows.
 */
export type TrustRatio<O> = (paramNorm: number, gradNorm: number, options: Readonly<O>) => number;

/**
 * The buffer, with momentum only: `null` until the first step writes the gradient into it (PyTorch
 * 2.x keeps no state without momentum; 1.13's state dicts hold `momentum_buffer: None` there).
 */
export const momentumState: StateTable<MomentumSgdOptions> = {
  momentum_buffer: { kind: 'param', initial: null, when: (o) => o.momentum !== 0 },
};

export const momentumRows = (): OptionSpec[] => [
  momentum(),
  { name: 'dampening', type: 'number', default: 0, range: [0, 1], scale: 'linear', description: 'Dampening τ: the new gradient enters the momentum with weight 1 − τ.' },
];

/** Nesterov needs momentum and no dampening. */
export function nesterovConstraint(o: Readonly<MomentumSgdOptions>): string | null {
  return o.nesterov && (o.momentum <= 0 || o.dampening !== 0) ? `Nesterov momentum requires a momentum and zero dampening (momentum ${o.momentum}, dampening ${o.dampening})` : null;
}

/**
 * Momentum SGD's kernels, with an optional per-tensor trust ratio: without one this is SGD, with
 * LARS's it is LARS. SGD has no per-step number but the buffer's first step, which the run's
 * states tell (a buffer's first step copies the gradient in: params with and without buffers take
 * separate calls).
 */
export function momentumSgdKernels<O extends MomentumSgdOptions>(trust: TrustRatio<O> | null): KernelSpec<O, SGDState, SgdMomentumHyper> {
  return {
    hyper: () => ({ lr: 0, gradScale: 1, weightDecay: 0, bufferDecay: 0, bufferGradScale: 1, directGradWeight: 0, bufferWeight: 1 }),
    scalars: () => {},
    sameRun: (a, b) => (a.momentum_buffer == null) === (b.momentum_buffer == null),
    plain: (h, o, p, grad, s) => {
      const g = grad as Tensor;
      const n = p.data.length;
      const r = trust === null ? 1 : trust(Math.sqrt(kernels.sumOfSquares(p.data, n)), Math.sqrt(kernels.sumOfSquares(g.data, n)), o);
      sgdParamStep(p, g, s, o, gradientSign(o) * r, o.weightDecay * r, h);
    },
    fused: (_h, o, arena, run) => {
      const firstStep = run.states[0]!.momentum_buffer == null;
      momentumSgdFused(arena, run.indices, o, firstStep, trust);
      settleFusedBuffers(run, o.momentum, firstStep);
    },
  };
}

/**
 * The fused step over the listed params of an arena. With a trust ratio, one table entry per
 * param serves both norm passes and the update, and the ratios go in as the entries' scales.
 * `firstStep`: the momentum buffers do not exist yet, so they start as the gradient (PyTorch's
 * `buf = clone(d_p)`), not as a decayed zero. Returns the ratios with a trust ratio (entry k for
 * `indices[k]`; reused by the next call), else null.
 */
export function momentumSgdFused<O extends MomentumSgdOptions>(arena: ParamArena, indices: readonly number[], o: Readonly<O>, firstStep: boolean, trust: TrustRatio<O> | null): Float64Array | null {
  const segments = arena.writeSegments(indices, trust !== null);
  let ratios: Float64Array | null = null;
  if (trust !== null) {
    arena.kernels.sumSquares(arena.tableAddress, segments, 0, arena.normsAddress);
    arena.kernels.sumSquares(arena.tableAddress, segments, arena.gradOffset, arena.normsAddress + 8 * segments);
    const norms = arena.norms;
    ratios = trustBuffers(arena).ratios;
    for (let k = 0; k < segments; k++) ratios[k] = trust(Math.sqrt(norms[k]!), Math.sqrt(norms[segments + k]!), o);
    arena.setSegmentScales(ratios, segments);
  }
  const bufOff = o.momentum !== 0 ? arena.stateOffset('momentum_buffer') : 0;
  arena.kernels.sgd(arena.tableAddress, segments, arena.gradOffset, bufOff, o.lr, o.weightDecay, gradientSign(o), o.momentum, o.dampening, o.nesterov ? 1 : 0, firstStep ? 1 : 0);
  return ratios;
}

/**
 * After a fused step: on a first step the kernel wrote each buffer into the arena, so the state
 * gets a tensor over it. Without momentum the state is left as it is (PyTorch 2.x touches none).
 * The run's states all agree on which case holds.
 */
function settleFusedBuffers(run: Run<SGDState>, momentum: number, firstStep: boolean): void {
  const arena = run.arena!;
  if (momentum !== 0 && firstStep) {
    run.states.forEach((s, k) => (s.momentum_buffer = new Tensor(arena.state('momentum_buffer', run.indices[k]!), [...run.params[k]!.shape])));
  }
}

/**
 * One momentum-SGD step of a parameter: `d = gradScale·g + weightDecay·w`, then the momentum
 * buffer and the update. LARS passes its trust ratio folded into `gradScale` and `weightDecay`.
 */
function sgdParamStep(param: Tensor, grad: Tensor, state: SGDState, options: Readonly<MomentumSgdOptions>, gradScale: number, weightDecay: number, h: SgdMomentumHyper): void {
  const n = param.data.length;
  h.lr = options.lr;
  h.gradScale = gradScale;
  h.weightDecay = weightDecay;
  if (options.momentum === 0) {
    kernels.sgdUpdate(param.data, grad.data, n, h as SgdHyper);
    return;
  }
  const first = state.momentum_buffer == null;
  const buffer = state.momentum_buffer ?? new Tensor(allocate(n, param.dtype), [...param.shape]);
  state.momentum_buffer = buffer;
  // The first step copies d into the fresh (zero) buffer: b = 0·0 + 1·d.
  h.bufferDecay = first ? 0 : options.momentum;
  h.bufferGradScale = first ? 1 : 1 - options.dampening;
  h.directGradWeight = options.nesterov ? 1 : 0;
  h.bufferWeight = options.nesterov ? options.momentum : 1;
  kernels.sgdMomentumUpdate(param.data, grad.data, buffer.data, n, h);
}

export const sgdSpec = defineKernelOptimizer<SGDOptions, SGDState, SgdMomentumHyper>({
  id: 'sgd',
  displayName: 'SGD',
  torchName: 'SGD',
  summary: 'Stochastic gradient descent with optional (Nesterov) momentum.',
  algorithm: BOX,
  paper: { title: 'On the importance of initialization and momentum in deep learning', authors: 'Sutskever, Martens, Dahl, Hinton', year: 2013, url: 'https://proceedings.mlr.press/v28/sutskever13.html' },
  options: [
    lr(1e-3),
    ...momentumRows(),
    weightDecay(),
    flag('nesterov', 'Nesterov momentum: step along g + μ·buf (needs momentum > 0, dampening 0).'),
    maximize,
  ],
  constraint: nesterovConstraint,
  torchGroupKeys: { foreach: null, differentiable: false, fused: null },
  legacyTorchGroupKeys: ['foreach', 'differentiable'],
  state: momentumState,
  kernels: momentumSgdKernels<SGDOptions>(null),
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.1, momentum: 0.9 }, steps: 100 },
    rosenbrock: { options: { lr: 1e-3, momentum: 0.9 }, steps: 1000, below: 0.01 },
    invalid: [
      invalid.lr,
      { options: { lr: 0.1, momentum: -0.5 }, error: /Invalid momentum value: -0\.5/ },
      { options: { lr: 0.1, weightDecay: -0.1 }, error: /Invalid weightDecay value: -0\.1/ },
      { options: { lr: 0.1, nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }, error: /Nesterov momentum requires a momentum and zero dampening/ },
      { options: { lr: 0.1, maximize: 'yes' }, error: /Invalid maximize value: "yes"/ },
      { options: { lr: 0.1, learningRate: 0.1 }, error: /unknown option 'learningRate'/ },
    ],
  },
  create: (params: ParamsInput<SGDOptions>, options?: Partial<SGDOptions>) => new SGD(params, options),
});

export const SGD_DEFAULTS: Readonly<SGDOptions> = sgdSpec.defaults;

export class SGD extends KernelOptimizer<SGDOptions, SGDState, SgdMomentumHyper> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, sgdSpec, options);
  }
}
