/**
 * Rprop: every weight keeps its own step size, which grows while its gradient keeps its sign
 * and shrinks when the sign flips; only the gradient's sign moves the weight (Riedmiller &
 * Braun, 1993).
 *
 * ```text
 * input:  γ (lr), θ₀ (params), f(θ) (objective), η₋, η₊ (etas), Γmin, Γmax (stepSizes), maximize
 * initialize:  g_prev ← 0 (prev), η₀ ← γ for every element (step_size)
 * for t = 1 to … do
 *     gₜ ← ∇θ fₜ(θₜ₋₁)
 *     if maximize:  gₜ ← −gₜ
 *     for each element i:
 *         if g_prev gₜ > 0:    ηₜ ← min(ηₜ₋₁ η₊, Γmax)
 *         elif g_prev gₜ < 0:  ηₜ ← max(ηₜ₋₁ η₋, Γmin);  gₜ ← 0
 *         else:                ηₜ ← ηₜ₋₁
 *     θₜ ← θₜ₋₁ − ηₜ sign(gₜ)
 *     g_prev ← gₜ
 * return θₜ
 * ```
 *
 * Compatibility: PyTorch 2.14's `torch.optim.Rprop`, the variant the paper's authors later
 * called Rprop⁻ (no weight backtracking): names, defaults, a 0-d tensor `step`, and `prev`
 * holding the gradient after `maximize`'s negation with the flipped elements zeroed. PyTorch
 * multiplies the float32 step sizes by η₋ and η₊ rounded to float32, and so does descent. A NaN
 * gradient element has sign 0 in PyTorch's vectorized `sign`, so its weight stays where it was:
 * the same here. PyTorch does not check `step_sizes`; descent refuses a negative Γmin and
 * Γmin > Γmax, which would clamp every step size to Γmax. optax has no Rprop.
 */
import type { FloatArray, Tensor } from '../tensor/tensor.js';
import { gradientSign } from './kernels/scalars.js';
import type { ParamArena } from './wasm/arena.js';
import { KernelOptimizer } from './runner.js';
import type { ParamsInput } from './optimizer.js';
import { defineKernelOptimizer, invalid, lr, maximize } from './spec.js';

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  γ (lr), θ₀ (params), f(θ) (objective), η₋, η₊ (etas), Γmin, Γmax (stepSizes), maximize
initialize:  g_prev ← 0 (prev), η₀ ← γ for every element (step_size)
for t = 1 to … do
    gₜ ← ∇θ fₜ(θₜ₋₁)
    if maximize:  gₜ ← −gₜ
    for each element i:
        if g_prev gₜ > 0:    ηₜ ← min(ηₜ₋₁ η₊, Γmax)
        elif g_prev gₜ < 0:  ηₜ ← max(ηₜ₋₁ η₋, Γmin);  gₜ ← 0
        else:                ηₜ ← ηₜ₋₁
    θₜ ← θₜ₋₁ − ηₜ sign(gₜ)
    g_prev ← gₜ
return θₜ
`.trim();

export interface RpropOptions {
  /** Initial step size η₀ of every element (default 1e-2). */
  lr: number;
  /** (η₋, η₊): the factors that shrink and grow a step size, 0 < η₋ < 1 < η₊ (default [0.5, 1.2]). */
  etas: [number, number];
  /** (Γmin, Γmax): the bounds of every step size (default [1e-6, 50]). */
  stepSizes: [number, number];
  /** Climb the objective instead of descending (default false). */
  maximize: boolean;
}

export interface RpropState {
  [key: string]: number | Tensor;
  step: number;
  prev: Tensor;
  step_size: Tensor;
}

export interface RpropHyper {
  /** −1 to maximize. */
  gradScale: number;
  /** η₋ and η₊ rounded to float32, as PyTorch multiplies the float32 step sizes by them. */
  etaMinus: number;
  etaPlus: number;
  stepSizeMin: number;
  stepSizeMax: number;
}

/**
 * g = s·g;  a = g·g_prev;  η ← clamp(η·(a > 0 ? η₊ : a < 0 ? η₋ : 1), Γmin, Γmax);
 * g ← 0 where a < 0;  w ← w − η·sign(g);  g_prev ← g.
 * sign is PyTorch's (g > 0) − (g < 0): 0 for NaN.
 */
export function rpropUpdate(param: FloatArray, grad: FloatArray, prev: FloatArray, stepSize: FloatArray, n: number, h: RpropHyper): void {
  const { gradScale, stepSizeMin, stepSizeMax } = h;
  const grow = h.etaPlus - 1;
  const shrink = h.etaMinus - 1;
  for (let i = 0; i < n; i++) {
    const g = gradScale * grad[i]!;
    // Rounded to float32 as PyTorch's (and the fused kernel's) product is: the product of two tiny
    // gradients underflows to 0 there, and its sign must then be 0 here too.
    const agreement = Math.fround(g * prev[i]!);
    const eta = Math.min(Math.max(stepSize[i]! * (1 + grow * +(agreement > 0) + shrink * +(agreement < 0)), stepSizeMin), stepSizeMax);
    stepSize[i] = eta;
    const kept = agreement < 0 ? 0 : g;
    prev[i] = kept;
    param[i] = param[i]! - eta * (+(kept > 0) - +(kept < 0));
  }
}

/** The fused kernel over the listed params of an arena. */
export function rpropFused(arena: ParamArena, indices: readonly number[], h: RpropHyper): void {
  const segments = arena.writeSegments(indices);
  arena.kernels.rprop(arena.tableAddress, segments, arena.gradOffset, arena.stateOffset('prev'), arena.stateOffset('step_size'), h.gradScale, h.etaMinus, h.etaPlus, h.stepSizeMin, h.stepSizeMax);
}

function rpropScalars(h: RpropHyper, o: Readonly<RpropOptions>): void {
  h.gradScale = gradientSign(o);
  h.etaMinus = Math.fround(o.etas[0]);
  h.etaPlus = Math.fround(o.etas[1]);
  h.stepSizeMin = Math.fround(o.stepSizes[0]);
  h.stepSizeMax = Math.fround(o.stepSizes[1]);
}

export const rpropSpec = defineKernelOptimizer<RpropOptions, RpropState, RpropHyper>({
  id: 'rprop',
  displayName: 'Rprop',
  torchName: 'Rprop',
  summary: 'A step size per weight that grows while the gradient keeps its sign and shrinks when it flips.',
  algorithm: BOX,
  paper: { title: 'A direct adaptive method for faster backpropagation learning: the RPROP algorithm', authors: 'Riedmiller, Braun', year: 1993, url: 'https://doi.org/10.1109/ICNN.1993.298623' },
  options: [
    lr(1e-2, 'Initial step size η₀ of every element (only the gradient’s sign is used).'),
    { name: 'etas', type: 'tuple', length: 2, default: [0.5, 1.2], min: 0, range: [0.1, 2], scale: 'linear', description: 'Factors (η₋, η₊) that shrink a step size on a sign flip and grow it otherwise; 0 < η₋ < 1 < η₊.' },
    { name: 'stepSizes', type: 'tuple', length: 2, default: [1e-6, 50], min: 0, range: [1e-8, 100], scale: 'log', description: 'Bounds (Γmin, Γmax) of every step size.' },
    maximize,
  ],
  constraint: (o) => {
    if (!(0 < o.etas[0] && o.etas[0] < 1 && 1 < o.etas[1])) return `Invalid eta values: ${o.etas[0]}, ${o.etas[1]}`;
    return o.stepSizes[0] <= o.stepSizes[1] ? null : `Invalid stepSizes value: [${o.stepSizes.join(', ')}] (the smallest step size exceeds the largest)`;
  },
  torchGroupKeys: { foreach: null, differentiable: false, capturable: false },
  lrSeedsState: 'lr is each step size’s first value; later edits reach only parameters that have no state yet',
  state: { step: { kind: 'count0d' }, prev: { kind: 'param' }, step_size: { kind: 'param', initial: (o) => o.lr } },
  kernels: {
    hyper: () => ({ gradScale: 1, etaMinus: 0.5, etaPlus: 1.2, stepSizeMin: 0, stepSizeMax: 0 }),
    scalars: (h, o) => rpropScalars(h, o),
    // The step count is not in the maths: every parameter takes the same call.
    sameRun: () => true,
    plain: (h, _o, p, grad, s) => rpropUpdate(p.data, (grad as Tensor).data, s.prev.data, s.step_size.data, p.data.length, h),
    fused: (h, _o, arena, run) => rpropFused(arena, run.indices, h),
  },
  gradients: 'dense',
  testConfigs: {
    quadratic: { options: { lr: 0.05 }, steps: 100 },
    rosenbrock: { options: { lr: 1e-3 }, steps: 1000, below: 0.05 },
    invalid: [
      invalid.lr,
      { options: { etas: [1.5, 1.2] }, error: /Invalid eta values: 1\.5, 1\.2/ },
      { options: { stepSizes: [1, 0.5] }, error: /Invalid stepSizes value: \[1, 0\.5\]/ },
      invalid.maximize,
      invalid.unknownOption,
    ],
  },
  create: (params: ParamsInput<RpropOptions>, options?: Partial<RpropOptions>) => new Rprop(params, options),
});

export const RPROP_DEFAULTS: Readonly<RpropOptions> = rpropSpec.defaults;

export class Rprop extends KernelOptimizer<RpropOptions, RpropState, RpropHyper> {
  constructor(params: ParamsInput<RpropOptions>, options: Partial<RpropOptions> = {}) {
    super(params, rpropSpec, options);
  }
}
