/**
 * Lookahead: the inner optimizer explores k steps ahead with fast weights; the slow weights
 * then move a fraction α of the way towards where it went, and exploration restarts there
 * (Zhang, Lucas, Hinton & Ba, 2019, Algorithm 1).
 *
 * ```text
 * input:  θ (params), an inner optimizer A, k (sync period), α (slow step size)
 * initialize:  φ ← θ                                (slow weights, when the wrapper is built)
 * for t = 1 to … do
 *     θ ← A.step(θ)                                  (fast weights: one inner step)
 *     if t mod k = 0:
 *         φ ← φ + α (θ − φ)
 *         θ ← φ
 * return θ
 * ```
 *
 * Compatibility: the paper's Algorithm 1, as the golden README defines it; PyTorch has no
 * Lookahead. Like timm's and torch-optimizer's, the wrapper counts inner steps and reads k
 * and α live; unlike them it starts the slow weights at construction (the paper's φ₀ = θ₀)
 * rather than at the first synchronization, which differs only when the params change between
 * the construction and the first step. A group added later starts its slow weights at the
 * first step after it is added. The state dict is the inner optimizer's under `base`, plus
 * `k`, `alpha`, `step` (inner steps taken) and `slow_weights` keyed by parameter index.
 * With k = 1 and α = 1 it is the inner optimizer itself.
 */
import { nestedDeeperThan, STATE_DICT_MAX_DEPTH } from '../util/nesting.js';
import { describeValue } from '../util/describe.js';
import { Tensor, allocate, type FloatArray } from '../tensor/tensor.js';
import { shapeString } from '../tensor/shape.js';
import type { ZeroGradOptions } from './optimizer.js';
import type { TensorJSON } from './state_dict.js';
import { requireOption } from './options.js';
import { lookaheadSync } from './kernels/lookahead.js';
import { defineWrapper } from './spec.js';
import { checkWrappable, loadFailure, parametersOf, type OptimizerLike } from './wrapper.js';

export interface LookaheadOptions {
  /** Inner steps between synchronizations (default 6). */
  k: number;
  /** How far the slow weights move towards the fast ones at a synchronization, in [0, 1] (default 0.5). */
  alpha: number;
}

export const LOOKAHEAD_DEFAULTS: Readonly<LookaheadOptions> = Object.freeze({ k: 6, alpha: 0.5 });

/** `lookahead.stateDict()`: the inner optimizer's state dict and the wrapper's own state. */
export interface LookaheadStateDict<B = unknown> {
  base: B;
  k: number;
  alpha: number;
  /** Inner steps taken so far; a synchronization follows every k-th. */
  step: number;
  /** The slow weights φ, keyed by parameter index as in the inner state dict. */
  slow_weights: Record<string, TensorJSON>;
}

function validateOptions(o: { k: unknown; alpha: unknown }): void {
  requireOption(typeof o.k === 'number' && Number.isInteger(o.k) && o.k > 0, 'Lookahead', 'k value (a positive integer)', o.k);
  requireOption(typeof o.alpha === 'number' && o.alpha >= 0 && o.alpha <= 1, 'Lookahead', 'alpha value (in [0, 1])', o.alpha);
}

export class Lookahead<I extends OptimizerLike = OptimizerLike> implements OptimizerLike {
  readonly name = 'Lookahead';
  /** The optimizer that takes the fast steps. */
  readonly inner: I;
  private options: LookaheadOptions;
  private stepCount = 0;
  private readonly slowWeights = new Map<Tensor, FloatArray>();

  constructor(inner: I, options: Partial<LookaheadOptions> = {}) {
    checkWrappable(inner, 'Lookahead');
    for (const key of Object.keys(options ?? {})) {
      if (!Object.hasOwn(LOOKAHEAD_DEFAULTS, key)) throw new TypeError(`Lookahead: unknown option '${key}' (known: k, alpha)`);
    }
    const resolved = { ...LOOKAHEAD_DEFAULTS, ...definedEntries(options) };
    validateOptions(resolved);
    this.inner = inner;
    this.options = resolved;
    this.trackNewParameters();
  }

  /** Inner steps between synchronizations. */
  get k(): number {
    return this.options.k;
  }

  /** The slow weights' step size towards the fast weights. */
  get alpha(): number {
    return this.options.alpha;
  }

  /** The inner optimizer's groups, the same objects: schedulers edit them through the wrapper. */
  get paramGroups(): I['paramGroups'] {
    return this.inner.paramGroups;
  }

  /** A copy of the slow weights φ of `param` (undefined for a parameter not optimized here). */
  slowWeightsOf(param: Tensor): Tensor | undefined {
    const slow = this.slowWeights.get(param);
    return slow === undefined ? undefined : new Tensor(slow.slice(), [...param.shape]);
  }

  /** One inner step; every k-th also pulls the slow weights towards the fast ones and resets the fast weights there. */
  step<L extends Tensor | number | void = Tensor | number>(closure?: () => L): L | undefined {
    this.trackNewParameters();
    const loss = this.inner.step(closure) as L | undefined;
    this.stepCount++;
    if (this.stepCount % this.options.k === 0) {
      const alpha = this.options.alpha;
      for (const p of parametersOf(this.inner)) {
        lookaheadSync(p.data, this.slowWeights.get(p)!, p.data.length, alpha);
      }
    }
    return loss;
  }

  zeroGrad(options?: ZeroGradOptions): void {
    this.inner.zeroGrad(options);
  }

  /** Adds a group to the inner optimizer; its slow weights start at its current values. */
  addParamGroup(group: Parameters<NonNullable<I['addParamGroup']>>[0]): void {
    if (typeof this.inner.addParamGroup !== 'function') throw new TypeError(`Lookahead: the wrapped ${this.inner.name} cannot add param groups`);
    this.inner.addParamGroup(group as never);
    this.trackNewParameters();
  }

  stateDict(): LookaheadStateDict<ReturnType<I['stateDict']>> {
    const slow: Record<string, TensorJSON> = {};
    parametersOf(this.inner).forEach((p, i) => {
      slow[String(i)] = { shape: [...p.shape], data: Array.from(this.slowWeights.get(p) ?? p.data) };
    });
    return {
      base: this.inner.stateDict() as ReturnType<I['stateDict']>,
      k: this.options.k,
      alpha: this.options.alpha,
      step: this.stepCount,
      slow_weights: slow,
    };
  }

  /**
   * Restores the inner optimizer's state and the wrapper's. Everything of the wrapper's is
   * checked before the inner optimizer loads (which checks its own before changing anything);
   * on any error nothing has changed.
   */
  loadStateDict(stateDict: LookaheadStateDict): void {
    const fail = loadFailure('Lookahead');
    if (nestedDeeperThan(stateDict, STATE_DICT_MAX_DEPTH)) fail(`values are nested more than ${STATE_DICT_MAX_DEPTH} levels deep, which no state dict is`);
    if (stateDict === null || typeof stateDict !== 'object') fail('expected an object { base, k, alpha, step, slow_weights }');
    const { base, k, alpha, step, slow_weights: slow } = stateDict;
    if (base === undefined) fail(`missing 'base' (the wrapped optimizer's state dict)`);
    try {
      validateOptions({ k, alpha });
    } catch (e) {
      fail((e as Error).message);
    }
    if (!(typeof step === 'number' && Number.isInteger(step) && step >= 0)) fail(`'step' must be a non-negative integer, got ${String(step)}`);
    if (slow === null || typeof slow !== 'object' || Array.isArray(slow)) fail(`'slow_weights' must be an object keyed by parameter index`);
    const params = parametersOf(this.inner);
    const keys = Object.keys(slow);
    // One spelling per index, PyTorch's: '1', not '01' or '0x1' (which would silently shadow it).
    const unknown = keys.filter((key) => !(Number.isInteger(Number(key)) && Number(key) >= 0 && Number(key) < params.length && String(Number(key)) === key));
    if (unknown.length > 0) fail(`'slow_weights' has entries for no parameter: ${unknown.map((key) => `'${key}'`).join(', ')} (${params.length} parameters)`);
    const restored = new Map<Tensor, FloatArray>();
    params.forEach((p, i) => {
      const saved = slow[String(i)];
      if (saved === undefined) fail(`'slow_weights' lacks parameter ${i}`);
      if (saved === null || typeof saved !== 'object') fail(`slow_weights['${i}'] must be a tensor { shape, data }, got ${describeValue(saved)}`);
      const shape = saved!.shape;
      if (!Array.isArray(shape) || shape.length !== p.shape.length || shape.some((d, j) => d !== p.shape[j])) {
        fail(`slow_weights['${i}'] has shape ${Array.isArray(shape) && shape.every((d) => typeof d === 'number') ? shapeString(shape) : describeValue(shape)} but the parameter has shape ${shapeString(p.shape)}`);
      }
      const data = saved!.data;
      const representable = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(p.dtype === 'float32' ? Math.fround(v) : v);
      if (!Array.isArray(data) || data.length !== p.data.length || !data.every(representable)) {
        fail(`slow_weights['${i}'] must hold ${p.data.length} finite numbers (within float32's range for a float32 parameter)`);
      }
      const values = allocate(p.data.length, p.dtype);
      values.set(data);
      restored.set(p, values);
    });

    this.inner.loadStateDict(base as never);
    this.options = { k, alpha };
    this.stepCount = step;
    this.slowWeights.clear();
    for (const [p, values] of restored) this.slowWeights.set(p, values);
  }

  /** Slow weights start as the parameters' current values, for any parameter not yet tracked. */
  private trackNewParameters(): void {
    for (const p of parametersOf(this.inner)) {
      if (!this.slowWeights.has(p)) this.slowWeights.set(p, p.data.slice());
    }
  }
}

function definedEntries<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The box above, for `descent describe` and the registry (a test keeps the two the same). */
const BOX = `
input:  θ (params), an inner optimizer A, k (sync period), α (slow step size)
initialize:  φ ← θ                                (slow weights, when the wrapper is built)
for t = 1 to … do
    θ ← A.step(θ)                                  (fast weights: one inner step)
    if t mod k = 0:
        φ ← φ + α (θ − φ)
        θ ← φ
return θ
`.trim();

export const lookaheadSpec = defineWrapper<LookaheadOptions>({
  id: 'lookahead',
  displayName: 'Lookahead',
  summary: 'k fast steps of any optimizer, then the slow weights move a fraction α towards them.',
  create: (inner, options) => new Lookahead(inner, options),
  options: [
    { name: 'k', type: 'number', default: 6, min: 1, range: [1, 20], scale: 'linear', description: 'Inner steps between synchronizations (an integer).' },
    { name: 'alpha', type: 'number', default: 0.5, min: 0, max: 1, range: [0, 1], scale: 'linear', description: 'How far the slow weights move towards the fast ones.' },
  ],
  algorithm: BOX,
  paper: { title: 'Lookahead Optimizer: k steps forward, 1 step back', authors: 'Zhang, Lucas, Hinton, Ba', year: 2019, url: 'https://arxiv.org/abs/1907.08610' },
  extraBytesPerParam: 4,
  needsClosure: false,
});
