/**
 * SAM, sharpness-aware minimization: step with the gradient taken at the worst point of a
 * small ball around the weights, which favours flat minima (Foret, Kleiner, Mobahi &
 * Neyshabur, 2021); ASAM scales the ball by the weights' magnitudes so the measure of
 * sharpness does not change when a layer is rescaled (Kwon et al., 2021).
 *
 * ```text
 * input:  w (params), an inner optimizer A, ρ (rho, the ball's radius), adaptive
 * each step(closure):
 *     L, g ← closure() at w                            (L is what step returns)
 *     if adaptive:  N ← ‖ |w| ⊙ g ‖₂,   e ← ρ · w² ⊙ g / (N + 10⁻¹²)
 *     else:         N ← ‖ g ‖₂,         e ← ρ · g / (N + 10⁻¹²)
 *     w ← w + e                                        (ascend to the ball's worst point)
 *     g ← ∇L(w)  (closure() again)
 *     w ← w − e   (restored exactly: the saved values, not a subtraction)
 *     A.step() with g
 * ```
 * N runs over every parameter of every group at once (one global norm).
 *
 * Compatibility: the golden README's definition, which is the reference implementation of
 * the paper (davda54/sam) with the single-`step(closure)` interface; PyTorch has no SAM.
 * Parameters without a gradient at w are not perturbed. Row-sparse gradients count by their
 * summed rows, and only those rows move. The inner optimizer must step without a closure
 * (LBFGS cannot be wrapped). The state dict is the inner optimizer's under `base`, plus
 * `rho` and `adaptive`. With ρ = 0 it is the inner optimizer itself (at the cost of a second
 * closure evaluation).
 */
import { nestedDeeperThan, STATE_DICT_MAX_DEPTH } from '../util/nesting.js';
import { Tensor, type FloatArray } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { enableGrad } from '../autograd/engine.js';
import type { ZeroGradOptions } from './optimizer.js';
import { requireOption } from './options.js';
import { kernels } from './kernels/index.js';
import { asamPerturb, samPerturb, weightedSumOfSquares } from './kernels/sam.js';
import { defineWrapper } from './spec.js';
import { checkWrappable, loadFailure, parametersOf, type OptimizerLike } from './wrapper.js';

export interface SAMOptions {
  /** Radius ρ of the neighbourhood searched for the worst point, ≥ 0 (default 0.05). */
  rho: number;
  /** ASAM: measure the neighbourhood in the weights' own scale (default false). */
  adaptive: boolean;
}

export const SAM_DEFAULTS: Readonly<SAMOptions> = Object.freeze({ rho: 0.05, adaptive: false });

/** `sam.stateDict()`: the inner optimizer's state dict and SAM's options (SAM keeps no other state). */
export interface SAMStateDict<B = unknown> {
  base: B;
  rho: number;
  adaptive: boolean;
}

function validateOptions(o: { rho: unknown; adaptive: unknown }): void {
  requireOption(typeof o.rho === 'number' && o.rho >= 0 && o.rho !== Infinity, 'SAM', 'rho value (a non-negative number)', o.rho);
  requireOption(typeof o.adaptive === 'boolean', 'SAM', 'adaptive value (true or false)', o.adaptive);
}

/** One parameter's gradient as (weights, gradient) pairs of equal length: the whole tensor, or its rows. */
function gradientSegments(param: Tensor): Array<[FloatArray, FloatArray]> {
  const grad = param.grad;
  if (grad === null) return [];
  if (!(grad instanceof SparseRows)) return [[param.data, grad.data]];
  const rows = grad.coalesce();
  const width = rows.rowSize;
  return Array.from(rows.indices, (row, r) => [param.data.subarray(row * width, (row + 1) * width), rows.values.data.subarray(r * width, (r + 1) * width)]);
}

export class SAM<I extends OptimizerLike = OptimizerLike> implements OptimizerLike {
  readonly name = 'SAM';
  /** The optimizer that takes the step with the gradient from the perturbed point. */
  readonly inner: I;
  private options: SAMOptions;
  /** The weights at w while the closure runs at w + e, one buffer per parameter, reused. */
  private readonly saved = new Map<Tensor, FloatArray>();

  constructor(inner: I, options: Partial<SAMOptions> = {}) {
    checkWrappable(inner, 'SAM');
    for (const key of Object.keys(options ?? {})) {
      if (!Object.hasOwn(SAM_DEFAULTS, key)) throw new TypeError(`SAM: unknown option '${key}' (known: rho, adaptive)`);
    }
    const resolved = { ...SAM_DEFAULTS, ...Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) } as SAMOptions;
    validateOptions(resolved);
    this.inner = inner;
    this.options = resolved;
  }

  get rho(): number {
    return this.options.rho;
  }

  get adaptive(): boolean {
    return this.options.adaptive;
  }

  /** The inner optimizer's groups, the same objects: schedulers edit them through the wrapper. */
  get paramGroups(): I['paramGroups'] {
    return this.inner.paramGroups;
  }

  /**
   * Evaluates the closure at w and at w + e, then lets the inner optimizer step from w with
   * the gradient of w + e. Returns the closure's result at w.
   */
  step<L extends Tensor | number | void = Tensor | number>(closure?: () => L): L | undefined {
    if (typeof closure !== 'function') {
      throw new TypeError('SAM: step() needs a closure that zeroes the gradients, computes the loss and calls backward(): SAM takes the gradient twice, at w and at the perturbed point');
    }
    const loss = enableGrad(closure);

    const { rho, adaptive } = this.options;
    const segmentsByParam = parametersOf(this.inner).map((p) => [p, gradientSegments(p)] as const);
    let squaredNorm = 0;
    for (const [, segments] of segmentsByParam) {
      for (const [w, g] of segments) squaredNorm += adaptive ? weightedSumOfSquares(w, g, g.length) : kernels.sumOfSquares(g, g.length);
    }
    const scale = rho / (Math.sqrt(squaredNorm) + 1e-12);
    const perturb = adaptive ? asamPerturb : samPerturb;

    const moved: Tensor[] = [];
    try {
      for (const [p, segments] of segmentsByParam) {
        if (segments.length === 0) continue;
        let copy = this.saved.get(p);
        if (copy === undefined || copy.length !== p.data.length || copy.constructor !== p.data.constructor) {
          copy = p.data.slice();
          this.saved.set(p, copy);
        } else {
          copy.set(p.data);
        }
        moved.push(p);
        for (const [w, g] of segments) perturb(w, g, g.length, scale);
      }
      enableGrad(closure);
    } finally {
      for (const p of moved) p.data.set(this.saved.get(p)!);
    }

    this.inner.step();
    return loss;
  }

  zeroGrad(options?: ZeroGradOptions): void {
    this.inner.zeroGrad(options);
  }

  addParamGroup(group: Parameters<NonNullable<I['addParamGroup']>>[0]): void {
    if (typeof this.inner.addParamGroup !== 'function') throw new TypeError(`SAM: the wrapped ${this.inner.name} cannot add param groups`);
    this.inner.addParamGroup(group as never);
  }

  stateDict(): SAMStateDict<ReturnType<I['stateDict']>> {
    return { base: this.inner.stateDict() as ReturnType<I['stateDict']>, rho: this.options.rho, adaptive: this.options.adaptive };
  }

  /** Restores the inner optimizer's state and SAM's options; on any error nothing has changed. */
  loadStateDict(stateDict: SAMStateDict): void {
    const fail = loadFailure('SAM');
    if (nestedDeeperThan(stateDict, STATE_DICT_MAX_DEPTH)) fail(`values are nested more than ${STATE_DICT_MAX_DEPTH} levels deep, which no state dict is`);
    if (stateDict === null || typeof stateDict !== 'object') fail('expected an object { base, rho, adaptive }');
    const { base, rho, adaptive } = stateDict;
    if (base === undefined) fail(`missing 'base' (the wrapped optimizer's state dict)`);
    try {
      validateOptions({ rho, adaptive });
    } catch (e) {
      fail((e as Error).message);
    }
    this.inner.loadStateDict(base as never);
    this.options = { rho, adaptive };
  }
}

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  w (params), an inner optimizer A, ρ (rho, the ball's radius), adaptive
each step(closure):
    L, g ← closure() at w                            (L is what step returns)
    if adaptive:  N ← ‖ |w| ⊙ g ‖₂,   e ← ρ · w² ⊙ g / (N + 10⁻¹²)
    else:         N ← ‖ g ‖₂,         e ← ρ · g / (N + 10⁻¹²)
    w ← w + e                                        (ascend to the ball's worst point)
    g ← ∇L(w)  (closure() again)
    w ← w − e   (restored exactly: the saved values, not a subtraction)
    A.step() with g
`.trim();

export const samSpec = defineWrapper<SAMOptions>({
  id: 'sam',
  displayName: 'SAM',
  summary: 'Steps with the gradient at the worst point of a ρ-ball around the weights (flat minima).',
  create: (inner, options) => new SAM(inner, options),
  options: [
    { name: 'rho', type: 'number', default: 0.05, min: 0, range: [0, 1], scale: 'linear', description: 'Radius ρ of the neighbourhood searched for the worst point.' },
    { name: 'adaptive', type: 'boolean', default: false, description: "ASAM: measure the neighbourhood in the weights' own scale." },
  ],
  algorithm: BOX,
  paper: { title: 'Sharpness-Aware Minimization for Efficiently Improving Generalization', authors: 'Foret, Kleiner, Mobahi, Neyshabur', year: 2021, url: 'https://arxiv.org/abs/2010.01412' },
  // The weights saved while the closure runs at the perturbed point.
  extraBytesPerParam: 4,
  needsClosure: true,
});
