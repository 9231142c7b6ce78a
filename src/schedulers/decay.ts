/**
 * PyTorch's decaying schedulers as thin adapters over `schedules.ts`.
 *
 * The chainable ones (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
 * CosineAnnealingLR, MultiplicativeLR) rescale the group's current lr each step, so they
 * compose in a ChainedScheduler and respect an lr edited between steps, as PyTorch's do.
 * LambdaLR, CosineAnnealingWarmRestarts and WarmupCosineLR write their closed form.
 */
import {
  constantShape,
  cosineAnnealingWarmRestarts,
  cosineShape,
  exponentialShape,
  linearShape,
  multiStepShape,
  polynomialShape,
  stepShape,
  warmupCosinePlan,
  warmRestartsPosition,
  optionNames,
  type ConstantFactorOptions,
  type CosineAnnealingOptions,
  type ExponentialDecayOptions,
  type LinearRampOptions,
  type MultiStepDecayOptions,
  type PolynomialDecayOptions,
  type StepDecayOptions,
  type WarmRestartsOptions,
  type WarmupCosineOptions,
} from './schedules.js';
import { ChainableLR, LRScheduler, ScheduledLR, groupsOf, type SchedulableOptimizer } from './scheduler.js';
import { callable, finiteNumber, ownOptions } from './validate.js';

/** lr ← lr·γ every `stepSize` epochs. */
export class StepLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: StepDecayOptions) {
    const o = ownOptions('StepLR', options, optionNames.stepDecay);
    const shape = stepShape(o, 'StepLR');
    super(optimizer, 'StepLR', { stepSize: o.stepSize, gamma: o.gamma ?? 0.1 }, shape);
    this.initialStep();
  }
}

/** lr ← lr·γ at each milestone. */
export class MultiStepLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: MultiStepDecayOptions) {
    const o = ownOptions('MultiStepLR', options, optionNames.multiStepDecay);
    const shape = multiStepShape(o, 'MultiStepLR');
    super(optimizer, 'MultiStepLR', { milestones: [...o.milestones], gamma: o.gamma ?? 0.1 }, shape);
    this.initialStep();
  }
}

/** lr·factor for `totalIters` epochs, then lr. */
export class ConstantLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: ConstantFactorOptions = {}) {
    const o = ownOptions('ConstantLR', options, optionNames.constantFactor);
    const shape = constantShape(o, 'ConstantLR');
    super(optimizer, 'ConstantLR', { factor: o.factor ?? 1 / 3, totalIters: o.totalIters ?? 5 }, shape);
    this.initialStep();
  }
}

/** The lr multiplier moves linearly from startFactor to endFactor over `totalIters` epochs. */
export class LinearLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: LinearRampOptions = {}) {
    const o = ownOptions('LinearLR', options, optionNames.linearRamp);
    const shape = linearShape(o, 'LinearLR');
    super(
      optimizer,
      'LinearLR',
      { startFactor: o.startFactor ?? 1 / 3, endFactor: o.endFactor ?? 1, totalIters: o.totalIters ?? 5 },
      shape,
    );
    this.initialStep();
  }
}

/** lr ← lr·γ every epoch. */
export class ExponentialLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: ExponentialDecayOptions) {
    const o = ownOptions('ExponentialLR', options, optionNames.exponentialDecay);
    const shape = exponentialShape(o, 'ExponentialLR');
    super(optimizer, 'ExponentialLR', { gamma: o.gamma }, shape);
    this.initialStep();
  }
}

/** lr₀·(1 − t/totalIters)^power, then 0. */
export class PolynomialLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: PolynomialDecayOptions = {}) {
    const o = ownOptions('PolynomialLR', options, optionNames.polynomialDecay);
    const shape = polynomialShape(o, 'PolynomialLR');
    super(optimizer, 'PolynomialLR', { totalIters: o.totalIters ?? 5, power: o.power ?? 1 }, shape);
    this.initialStep();
  }
}

/** Cosine from lr₀ to ηmin over TMax epochs (and back up over the next TMax, as PyTorch does). */
export class CosineAnnealingLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingOptions) {
    const o = ownOptions('CosineAnnealingLR', options, optionNames.cosineAnnealing);
    const shape = cosineShape(o, 'CosineAnnealingLR');
    super(optimizer, 'CosineAnnealingLR', { TMax: o.TMax, etaMin: o.etaMin ?? 0 }, shape);
    this.initialStep();
  }
}

type LrLambda = (epoch: number) => number;

function lambdasFor(where: string, lrLambda: LrLambda | readonly LrLambda[], groupCount: number): LrLambda[] {
  if (Array.isArray(lrLambda)) {
    if (lrLambda.length !== groupCount) {
      throw new RangeError(`${where}: lrLambda has ${lrLambda.length} functions but the optimizer has ${groupCount} param groups`);
    }
    return lrLambda.map((fn, i) => callable<LrLambda>(where, `lrLambda[${i}]`, fn));
  }
  return new Array<LrLambda>(groupCount).fill(callable<LrLambda>(where, 'lrLambda', lrLambda));
}

export interface LambdaLROptions {
  /** epoch ↦ multiplier of the base lr; one function, or one per param group. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/** lr = lr₀·lrLambda(epoch). The lambdas are code, so state dicts leave them out (as PyTorch does). */
export class LambdaLR extends ScheduledLR {
  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    const lambdas = lambdasFor('LambdaLR', ownOptions('LambdaLR', options, ['lrLambda']).lrLambda, groupsOf(optimizer, 'LambdaLR').length);
    super(optimizer, 'LambdaLR', {});
    this.schedules = this.baseLrs.map((baseLr, i) => (epoch: number) => baseLr * lambdas[i]!(epoch));
    this.initialStep();
  }
}

/** lr ← lr·lrLambda(epoch) for every epoch after the first. */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    const lambdas = lambdasFor('MultiplicativeLR', ownOptions('MultiplicativeLR', options, ['lrLambda']).lrLambda, groupsOf(optimizer, 'MultiplicativeLR').length);
    super(optimizer, 'MultiplicativeLR', {});
    this.lambdas = lambdas;
    this.initialStep();
  }

  protected computeLrs(epoch: number): number[] {
    return this.groups.map((group, i) => (epoch > 0 ? group.lr * this.lambdas[i]!(epoch) : group.lr));
  }
}

/** SGDR: cosine from lr₀ to ηmin, restarting after T0, T0·TMult, T0·TMult², … epochs. */
export class CosineAnnealingWarmRestarts extends ScheduledLR {
  constructor(optimizer: SchedulableOptimizer, options: WarmRestartsOptions) {
    const where = 'CosineAnnealingWarmRestarts';
    const o = ownOptions(where, options, optionNames.warmRestarts);
    warmRestartsPosition(o, where);
    const etaMin = finiteNumber(where, 'etaMin', o.etaMin ?? 0);
    super(optimizer, where, { T0: o.T0, TMult: o.TMult ?? 1, etaMin });
    this.schedules = this.baseLrs.map((baseLr) => cosineAnnealingWarmRestarts({ ...o, baseLr }));
    this.initialStep();
  }
}

/** {@link warmupCosine} per param group, with each group's initial lr as baseLr. */
export class WarmupCosineLR extends ScheduledLR {
  constructor(optimizer: SchedulableOptimizer, options: Omit<WarmupCosineOptions, 'baseLr'>) {
    const o = ownOptions('WarmupCosineLR', options, optionNames.warmupCosine);
    const plan = warmupCosinePlan(o, 'WarmupCosineLR');
    super(optimizer, 'WarmupCosineLR', {
      warmupSteps: o.warmupSteps,
      totalSteps: o.totalSteps,
      minLr: o.minLr ?? 0,
      warmupStartFactor: o.warmupStartFactor ?? 0,
    });
    this.schedules = this.baseLrs.map(plan);
    this.initialStep();
  }
}
