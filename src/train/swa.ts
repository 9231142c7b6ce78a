/**
 * Stochastic weight averaging (Izmailov et al. 2018): average the weights visited late in
 * training, with a constant or cyclic lr, and evaluate with the average.
 *
 * ```text
 * AveragedModel:  θ̄ ← a copy of θ;  n ← 0
 *   updateParameters(θ):  θ̄ ← θ                        if n = 0
 *                         θ̄ ← avgFn(θ̄, θ, n)           otherwise (default θ̄ + (θ − θ̄)/(n + 1))
 *                         n ← n + 1
 * SWALR:  lr(t) = swaLr·α(t) + lr₀·(1 − α(t)),  α(t) = anneal(min(1, t/annealEpochs))
 *         anneal = (1 − cos(πx))/2 ('cos') or x ('linear')
 * ```
 *
 * Compatibility: PyTorch 1.13's `torch.optim.swa_utils`. AveragedModel's state dict carries
 * `n_averaged` beside the averaged parameters (`module.` prefix), as PyTorch's does. SWALR is
 * recursive like PyTorch's: each step recovers lr₀ from the current lr and α(t − 1), so an lr
 * changed between steps is annealed from where it is. Batch-norm statistics (`update_bn`) have
 * no counterpart: descent has no batch norm.
 */
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { Module, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from '../nn/module.js';
import { Parameter } from '../nn/parameter.js';
import { LRScheduler, groupsOf, perGroup, type SchedulableOptimizer } from '../schedulers/scheduler.js';
import { optionNames, swaAlpha, swaAnnealing, type AnnealStrategy, type Schedule } from '../schedulers/schedules.js';
import { nonNegativeInteger, nonNegativeNumber, oneOf, ownOptions, required } from '../schedulers/validate.js';
import { checkSameShapes } from './params.js';

/** (averaged, current, number averaged so far) ↦ the new average. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: number) => Tensor;

/** The equal-weight running mean: θ̄ + (θ − θ̄)/(n + 1). */
export const meanAvgFn: AvgFn = (averaged, current, n) => averaged.add(current.sub(averaged).div(n + 1));

/** An exponential moving average as an AveragedModel avgFn: θ̄ + (1 − decay)(θ − θ̄). */
export function emaAvgFn(decay = 0.999): AvgFn {
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) throw new RangeError(`emaAvgFn: decay must be a number in [0, 1], got ${String(decay)}`);
  return (averaged, current) => averaged.add(current.sub(averaged).mul(1 - decay));
}

function copyValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (value instanceof Parameter) {
    const copy = new Parameter(new Tensor(value.data.slice(), [...value.shape]), { requiresGrad: value.requiresGrad });
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Tensor) {
    const copy = new Tensor(value.data.slice(), [...value.shape], { requiresGrad: value.requiresGrad });
    seen.set(value, copy);
    return copy;
  }
  // Random streams are shared, not forked: a copy would replay the original's numbers.
  if (value instanceof Generator) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(copyValue(item, seen));
    return copy;
  }
  const proto = Object.getPrototypeOf(value);
  if (value instanceof Module || proto === Object.prototype || proto === null) {
    const copy = Object.create(proto) as Record<string, unknown>;
    seen.set(value, copy);
    for (const key of Object.keys(value)) copy[key] = copyValue((value as Record<string, unknown>)[key], seen);
    return copy;
  }
  return value; // other objects (typed arrays in configs, functions' closures) are shared
}

/**
 * A deep copy of a module: same class, same fields, parameters with their own storage. Fields
 * kept in `#private` slots cannot be copied this way; pass `{ module }` to AveragedModel then.
 */
export function copyModule<M extends Module>(model: M): M {
  if (!(model instanceof Module)) throw new TypeError('copyModule: expected a Module');
  const copy = copyValue(model, new Map()) as M;
  checkSameShapes(model.parameters(), copy.parameters(), 'copyModule');
  return copy;
}

export interface AveragedModelOptions<M extends Module> {
  /** How to fold in a new model; default the equal-weight mean (SWA). */
  avgFn?: AvgFn;
  /** A module of the same architecture to hold the average; default a deep copy of the model. */
  module?: M;
}

export class AveragedModel<M extends Module = Module> extends Module {
  /** The module holding the averaged weights; `call` runs it. */
  readonly module: M;
  readonly avgFn: AvgFn;
  /** Models folded in so far (PyTorch's `n_averaged` buffer). */
  nAveraged = 0;

  constructor(model: M, options: AveragedModelOptions<M> = {}) {
    super();
    if (!(model instanceof Module)) throw new TypeError('AveragedModel: expected a Module');
    const avgFn = options.avgFn ?? meanAvgFn;
    if (typeof avgFn !== 'function') throw new TypeError(`AveragedModel: avgFn must be a function, got ${String(avgFn)}`);
    let module: M;
    if (options.module !== undefined) {
      if (!(options.module instanceof Module)) throw new TypeError('AveragedModel: module must be a Module');
      checkSameShapes(model.parameters(), options.module.parameters(), 'AveragedModel: module');
      module = options.module;
      module.loadStateDict(model.stateDict());
    } else {
      module = copyModule(model);
    }
    this.module = module;
    this.avgFn = avgFn;
  }

  forward(...inputs: unknown[]): unknown {
    return Reflect.apply(this.module.forward, this.module, inputs);
  }

  /** Folds the model's current weights into the average. */
  updateParameters(model: Module): void {
    const averaged = this.module.parameters();
    const current = model.parameters();
    checkSameShapes(averaged, current, 'AveragedModel.updateParameters');
    noGrad(() => {
      // Compute every new average before writing any, so a throwing avgFn changes nothing.
      const next = averaged.map((avg, i) => {
        if (this.nAveraged === 0) return current[i]!.data;
        const result = this.avgFn(avg.detach(), current[i]!.detach(), this.nAveraged);
        if (!(result instanceof Tensor) || result.data.length !== avg.data.length) {
          throw new TypeError(`AveragedModel.updateParameters: avgFn must return a tensor of shape [${avg.shape.join(', ')}]`);
        }
        return result.data;
      });
      averaged.forEach((avg, i) => avg.data.set(next[i]!));
    });
    this.nAveraged += 1;
  }

  /** Writes the averaged weights into `model` (to keep training from the average, or to export it). */
  copyTo(model: Module): void {
    model.loadStateDict(this.module.stateDict());
  }

  override stateDict(): StateDict {
    return { ...super.stateDict(), n_averaged: { shape: [], data: [this.nAveraged] } };
  }

  override loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const record = state?.n_averaged;
    const n = record?.data?.[0];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new RangeError(`AveragedModel.loadStateDict: n_averaged must be a record holding an integer ≥ 0, got ${JSON.stringify(record)}`);
    }
    const { n_averaged: _, ...weights } = state;
    const result = super.loadStateDict(weights, options);
    this.nAveraged = n;
    return result;
  }
}

export interface SWALROptions {
  /** The lr to anneal to (one value, or one per group). */
  swaLr: number | readonly number[];
  /** Epochs of annealing; 0 jumps to swaLr at once. Default 10. */
  annealEpochs?: number;
  annealStrategy?: AnnealStrategy;
}

/** Anneals each group's lr from its current value to swaLr, then holds it. */
export class SWALR extends LRScheduler {
  readonly swaLrs: number[];
  /** Each group's lr when annealing began. */
  readonly startLrs: number[];
  private readonly alpha: (step: number) => number;
  private readonly annealEpochs: number;
  private readonly strategy: AnnealStrategy;

  constructor(optimizer: SchedulableOptimizer, options: SWALROptions) {
    const where = 'SWALR';
    const o = ownOptions(where, options, optionNames.swaAnnealing);
    const groups = groupsOf(optimizer, where);
    const swaLrs = perGroup(where, 'swaLr', required(where, 'swaLr', o.swaLr), groups.length, nonNegativeNumber);
    const annealEpochs = nonNegativeInteger(where, 'annealEpochs', o.annealEpochs ?? 10);
    const strategy = oneOf(where, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
    const startLrs = groups.map((g) => g.lr);
    super(optimizer, where, { swaLr: swaLrs, annealEpochs, annealStrategy: strategy });
    this.swaLrs = swaLrs;
    this.startLrs = startLrs;
    this.annealEpochs = annealEpochs;
    this.strategy = strategy;
    this.alpha = swaAlpha(annealEpochs, strategy);
    this.initialStep();
  }

  protected computeLrs(epoch: number): number[] {
    const previousAlpha = this.alpha(epoch - 1);
    const alpha = this.alpha(epoch);
    return this.groups.map((group, i) => {
      const swaLr = this.swaLrs[i]!;
      // lr = swaLr·α' + lr₀·(1 − α') solved for lr₀, with α' the previous step's weight.
      const startLr = previousAlpha === 1 ? swaLr : (group.lr - previousAlpha * swaLr) / (1 - previousAlpha);
      return swaLr * alpha + startLr * (1 - alpha);
    });
  }

  /** The closed form this scheduler follows when nothing else edits the lr. */
  schedule(groupIndex = 0, startLr = this.startLrs[groupIndex]!): Schedule {
    return swaAnnealing({ startLr, swaLr: this.swaLrs[groupIndex]!, annealEpochs: this.annealEpochs, annealStrategy: this.strategy });
  }
}
