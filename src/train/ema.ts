/**
 * Exponential moving average of the weights (Polyak averaging with exponential forgetting).
 *
 * ```text
 * input:  θ (the live parameters), β (decay), warmup
 * initialize:  θ̄ ← θ,  t ← 0
 * each update():
 *     βₜ ← min(β, (1 + t)/(10 + t))   if warmup    (so early averages are not stuck at θ₀)
 *     βₜ ← β                           otherwise
 *     θ̄ ← θ̄ + (1 − βₜ)(θ − θ̄)
 *     t ← t + 1
 * evaluate with θ̄: withAveraged(fn) swaps θ̄ in, runs fn, swaps θ back
 * ```
 *
 * Compatibility: the update is PyTorch's EMA `avg_fn` (`lerp` toward the live weights); the
 * warmup is TensorFlow's `ExponentialMovingAverage(num_updates=t)`. The average is kept in the
 * parameters' own dtype, as both do.
 */
import { allocate, dtypeOf, type FloatArray, type Tensor } from '../tensor/tensor.js';
import { checkSameShapes, parametersOf, type ParameterSource } from './params.js';

export interface EMAOptions {
  /** β: the weight of the old average. Default 0.999. */
  decay?: number;
  /** Use βₜ = min(β, (1 + t)/(10 + t)). Default false. */
  warmup?: boolean;
}

export interface EMAStateDict {
  kind: 'EMA';
  decay: number;
  warmup: boolean;
  numUpdates: number;
  shadow: { shape: number[]; data: number[] }[];
}

/** Runs `after` once `result` has settled (a promise) or right away (anything else). */
export function afterSettled<T>(result: T, after: () => void): T {
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    return (result as unknown as Promise<unknown>).finally(after) as T;
  }
  after();
  return result;
}

export class EMA {
  readonly decay: number;
  readonly warmup: boolean;
  /** The live parameters being averaged. */
  readonly params: readonly Tensor[];
  /** Updates so far (t). */
  numUpdates = 0;
  private shadow: FloatArray[];
  private stored: FloatArray[] | null = null;

  constructor(source: ParameterSource, options: EMAOptions = {}) {
    const { decay = 0.999, warmup = false } = options;
    if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) throw new RangeError(`EMA: decay must be a number in [0, 1], got ${String(decay)}`);
    if (typeof warmup !== 'boolean') throw new TypeError(`EMA: warmup must be a boolean, got ${String(warmup)}`);
    this.params = parametersOf(source, 'EMA');
    this.decay = decay;
    this.warmup = warmup;
    this.shadow = this.params.map((p) => p.data.slice());
  }

  /** βₜ, the decay the next `update()` uses. */
  currentDecay(): number {
    const t = this.numUpdates;
    return this.warmup ? Math.min(this.decay, (1 + t) / (10 + t)) : this.decay;
  }

  /** Moves the average toward the live parameters (call after each optimizer step). */
  update(): void {
    const weight = 1 - this.currentDecay();
    this.params.forEach((p, i) => {
      const average = this.shadow[i]!;
      const live = p.data; // read fresh: a fused optimizer may have moved the storage
      for (let j = 0; j < average.length; j++) average[j] = average[j]! + weight * (live[j]! - average[j]!);
    });
    this.numUpdates += 1;
  }

  /** The averaged values, as tensors of the parameters' shapes (copies). */
  averaged(): Tensor[] {
    return this.params.map((p, i) => {
      const copy = p.detach();
      copy.data = this.shadow[i]!.slice();
      return copy;
    });
  }

  /** Writes the averages into `target` (default: the live parameters). */
  copyTo(target: ParameterSource = this.params): void {
    const params = parametersOf(target, 'EMA.copyTo');
    checkSameShapes(this.params, params, 'EMA.copyTo');
    params.forEach((p, i) => p.data.set(this.shadow[i]!));
  }

  /** Saves the live values so that `restore()` can put them back after `copyTo()`. */
  store(): void {
    this.stored = this.params.map((p) => p.data.slice());
  }

  restore(): void {
    const stored = this.stored;
    if (stored === null) throw new Error('EMA.restore: nothing stored; call store() first');
    this.params.forEach((p, i) => p.data.set(stored[i]!));
    this.stored = null;
  }

  /** Runs `fn` with the averaged weights in place, then puts the live ones back (also after a throw or a rejected promise). */
  withAveraged<T>(fn: () => T): T {
    this.store();
    this.copyTo();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.restore();
      throw error;
    }
    return afterSettled(result, () => this.restore());
  }

  stateDict(): EMAStateDict {
    return {
      kind: 'EMA',
      decay: this.decay,
      warmup: this.warmup,
      numUpdates: this.numUpdates,
      shadow: this.params.map((p, i) => ({ shape: [...p.shape], data: Array.from(this.shadow[i]!) })),
    };
  }

  /** Restores `stateDict()`; a state for other shapes or options is refused and nothing changes. */
  loadStateDict(state: EMAStateDict): void {
    const where = 'EMA.loadStateDict';
    if (state?.kind !== 'EMA') throw new TypeError(`${where}: not an EMA state (kind ${String(state?.kind)})`);
    if (state.decay !== this.decay || state.warmup !== this.warmup) {
      throw new RangeError(`${where}: the state has decay ${state.decay}, warmup ${state.warmup}; this EMA has decay ${this.decay}, warmup ${this.warmup}`);
    }
    if (!Number.isInteger(state.numUpdates) || state.numUpdates < 0) throw new RangeError(`${where}: numUpdates must be an integer ≥ 0, got ${String(state.numUpdates)}`);
    if (!Array.isArray(state.shadow)) throw new TypeError(`${where}: shadow must be an array`);
    checkSameShapes(this.params, state.shadow, where);
    const shadow = state.shadow.map((s, i) => {
      const p = this.params[i]!;
      if (!Array.isArray(s.data) || s.data.length !== p.data.length) throw new RangeError(`${where}: shadow ${i} has ${s.data?.length} values, expected ${p.data.length}`);
      const data = allocate(p.data.length, dtypeOf(p.data));
      data.set(s.data);
      return data;
    });
    this.shadow = shadow;
    this.numUpdates = state.numUpdates;
  }
}
