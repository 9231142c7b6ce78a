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
import { callable, finiteNumber } from './validate.js';

/** lr ← lr·γ every `stepSize` epochs. */
export class StepLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: StepDecayOptions) {
    const shape = stepShape(options, 'StepLR');
    super(optimizer, 'StepLR', { stepSize: options.stepSize, gamma: options.gamma ?? 0.1 }, shape);
    this.initialStep();
  }
}

/** lr ← lr·γ at each milestone. */
export class MultiStepLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: MultiStepDecayOptions) {
    const shape = multiStepShape(options, 'MultiStepLR');
    super(optimizer, 'MultiStepLR', { milestones: [...options.milestones], gamma: options.gamma ?? 0.1 }, shape);
    this.initialStep();
  }
}

/** lr·factor for `totalIters` epochs, then lr. */
export class ConstantLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: ConstantFactorOptions = {}) {
    const shape = constantShape(options, 'ConstantLR');
    super(optimizer, 'ConstantLR', { factor: options.factor ?? 1 / 3, totalIters: options.totalIters ?? 5 }, shape);
    this.initialStep();
  }
}

/** The lr multiplier moves linearly from startFactor to endFactor over `totalIters` epochs. */
export class LinearLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: LinearRampOptions = {}) {
    const shape = linearShape(options, 'LinearLR');
    super(
      optimizer,
      'LinearLR',
      { startFactor: options.startFactor ?? 1 / 3, endFactor: options.endFactor ?? 1, totalIters: options.totalIters ?? 5 },
      shape,
    );
    this.initialStep();
  }
}

/** lr ← lr·γ every epoch. */
export class ExponentialLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: ExponentialDecayOptions) {
    const shape = exponentialShape(options ?? ({} as ExponentialDecayOptions), 'ExponentialLR');
    super(optimizer, 'ExponentialLR', { gamma: options.gamma }, shape);
    this.initialStep();
  }
}

/** lr₀·(1 − t/totalIters)^power, then 0. */
export class PolynomialLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: PolynomialDecayOptions = {}) {
    const shape = polynomialShape(options, 'PolynomialLR');
    super(optimizer, 'PolynomialLR', { totalIters: options.totalIters ?? 5, power: options.power ?? 1 }, shape);
    this.initialStep();
  }
}

/** Cosine from lr₀ to ηmin over TMax epochs (and back up over the next TMax, as PyTorch does). */
export class CosineAnnealingLR extends ChainableLR {
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingOptions) {
    const shape = cosineShape(options ?? ({} as CosineAnnealingOptions), 'CosineAnnealingLR');
    super(optimizer, 'CosineAnnealingLR', { TMax: options.TMax, etaMin: options.etaMin ?? 0 }, shape);
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
    const lambdas = lambdasFor('LambdaLR', options?.lrLambda, groupsOf(optimizer, 'LambdaLR').length);
    super(optimizer, 'LambdaLR', {});
    this.schedules = this.baseLrs.map((baseLr, i) => (epoch: number) => baseLr * lambdas[i]!(epoch));
    this.initialStep();
  }
}

/** lr ← lr·lrLambda(epoch) for every epoch after the first. */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    const lambdas = lambdasFor('MultiplicativeLR', options?.lrLambda, groupsOf(optimizer, 'MultiplicativeLR').length);
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
    warmRestartsPosition(options ?? ({} as WarmRestartsOptions), where);
    const etaMin = finiteNumber(where, 'etaMin', options.etaMin ?? 0);
    super(optimizer, where, { T0: options.T0, TMult: options.TMult ?? 1, etaMin });
    this.schedules = this.baseLrs.map((baseLr) => cosineAnnealingWarmRestarts({ ...options, baseLr }));
    this.initialStep();
  }
}

/** {@link warmupCosine} per param group, with each group's initial lr as baseLr. */
export class WarmupCosineLR extends ScheduledLR {
  constructor(optimizer: SchedulableOptimizer, options: Omit<WarmupCosineOptions, 'baseLr'>) {
    const plan = warmupCosinePlan(options ?? ({} as WarmupCosineOptions), 'WarmupCosineLR');
    super(optimizer, 'WarmupCosineLR', {
      warmupSteps: options.warmupSteps,
      totalSteps: options.totalSteps,
      minLr: options.minLr ?? 0,
      warmupStartFactor: options.warmupStartFactor ?? 0,
    });
    this.schedules = this.baseLrs.map(plan);
    this.initialStep();
  }
}
