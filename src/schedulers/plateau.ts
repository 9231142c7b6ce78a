/**
 * ReduceLROnPlateau: multiply the lr by `factor` once a monitored metric has not improved for
 * more than `patience` steps.
 *
 *   improved(a)  =  a < best·(1 − threshold)   (min, rel)     a < best − threshold   (min, abs)
 *                   a > best·(1 + threshold)   (max, rel)     a > best + threshold   (max, abs)
 *   each step(metric):
 *     if improved(metric): best ← metric, bad ← 0   else bad ← bad + 1
 *     if cooling down: cooldown ← cooldown − 1, bad ← 0
 *     if bad > patience: lr ← max(lr·factor, minLr) unless that moves it by ≤ eps;
 *                        cooldown ← cooldown steps, bad ← 0
 *
 * Compatibility: PyTorch 1.13. Its state holds `best = ±inf` before the first metric; here
 * that is `null`, so the state stays plain JSON.
 */
import { checkCommonState, groupsOf, perGroup, type JsonObject, type SchedulableOptimizer, type Scheduler, type SchedulerStateDict } from './scheduler.js';
import { describe, nonNegativeInteger, nonNegativeNumber, numberIn, oneOf, ownOptions } from './validate.js';

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** lr ← lr·factor on a plateau, 0 ≤ factor < 1. Default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** How much better counts as better. Default 1e-4. */
  threshold?: number;
  /** Whether threshold is relative to best or absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. Default 0. */
  cooldown?: number;
  /** Lower bound on the lr (one value, or one per group). Default 0. */
  minLr?: number | readonly number[];
  /** Reductions smaller than eps are skipped. Default 1e-8. */
  eps?: number;
}

export class ReduceLROnPlateau implements Scheduler {
  readonly kind = 'ReduceLROnPlateau';
  readonly needsMetric = true;
  readonly optimizer: SchedulableOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  /** The best metric seen (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLrs: number[];

  constructor(optimizer: SchedulableOptimizer, givenOptions: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    const options = ownOptions(where, givenOptions, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const groups = groupsOf(optimizer, where);
    this.mode = oneOf(where, 'mode', options.mode ?? 'min', ['min', 'max'] as const);
    this.factor = numberIn(where, 'factor', options.factor ?? 0.1, 0, 1);
    if (this.factor === 1) throw new RangeError(`${where}: factor must be < 1, got 1`);
    this.patience = nonNegativeInteger(where, 'patience', options.patience ?? 10);
    this.threshold = nonNegativeNumber(where, 'threshold', options.threshold ?? 1e-4);
    this.thresholdMode = oneOf(where, 'thresholdMode', options.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
    this.cooldown = nonNegativeInteger(where, 'cooldown', options.cooldown ?? 0);
    this.minLrs = perGroup(where, 'minLr', options.minLr ?? 0, groups.length, nonNegativeNumber);
    this.eps = nonNegativeNumber(where, 'eps', options.eps ?? 1e-8);
    this.optimizer = optimizer;
    this.best = this.worst;
    this.lastLrs = groups.map((g) => g.lr);
  }

  private get worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private get options(): JsonObject {
    return {
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      thresholdMode: this.thresholdMode,
      cooldown: this.cooldown,
      minLr: this.minLrs,
      eps: this.eps,
    };
  }

  /** Whether `value` beats `best` by more than the threshold. */
  isBetter(value: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? value < best * (1 - this.threshold) : value < best - this.threshold;
    return this.thresholdMode === 'rel' ? value > best * (this.threshold + 1) : value > best + this.threshold;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records this step's metric (a number, or a one-element tensor) and reduces the lr on a plateau. */
  step(metric?: number | { item(): number }): void {
    const current = typeof metric === 'number' ? metric : typeof metric?.item === 'function' ? metric.item() : undefined;
    if (typeof current !== 'number') {
      throw new TypeError(`ReduceLROnPlateau.step: needs the monitored metric (a number), got ${describe(metric)}`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad steps during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  stateDict(): SchedulerStateDict {
    return {
      kind: this.kind,
      options: this.options,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLrs],
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    this.prepareStateDict(state)();
  }

  prepareStateDict(state: SchedulerStateDict): () => void {
    const where = 'ReduceLROnPlateau';
    checkCommonState(state, this.kind, this.options, this.optimizer.paramGroups.length, where);
    const { best, numBadEpochs, cooldownCounter } = state;
    if (best !== null && (typeof best !== 'number' || Number.isNaN(best))) {
      throw new TypeError(`${where}.loadStateDict: best must be a number or null, got ${describe(best)}`);
    }
    nonNegativeInteger(`${where}.loadStateDict`, 'numBadEpochs', numBadEpochs);
    nonNegativeInteger(`${where}.loadStateDict`, 'cooldownCounter', cooldownCounter);
    return () => {
      this.lastEpoch = state.lastEpoch;
      this.lastLrs = [...state.lastLr];
      this.best = best === null ? this.worst : best;
      this.numBadEpochs = numBadEpochs as number;
      this.cooldownCounter = cooldownCounter as number;
    };
  }
}
