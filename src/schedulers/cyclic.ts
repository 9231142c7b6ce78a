/**
 * Schedulers that cycle the lr and, against it, the momentum (SGD's `momentum`, or Adam's
 * `betas[0]`, whichever the optimizer's groups have).
 *
 * Compatibility: PyTorch 1.13. CyclicLR there cycles SGD-style `momentum` only; here it also
 * cycles `betas[0]` as OneCycleLR does (PyTorch ≥ 2.0 does the same). Both write the closed
 * form of their schedule; neither is chainable.
 */
import {
  cyclicFall,
  cyclicRise,
  cyclicWave,
  oneCycleLevels,
  oneCycleLrCurve,
  oneCycleMomentumCurve,
  oneCyclePlan,
  optionNames,
  type CyclicWaveOptions,
  type OneCyclePhasesOptions,
  type Schedule,
} from './schedules.js';
import {
  ScheduledLR,
  groupsOf,
  momentumFieldOf,
  perGroup,
  writeMomentum,
  type JsonObject,
  type MomentumField,
  type SchedulableGroup,
  type SchedulableOptimizer,
} from './scheduler.js';
import { finiteNumber, flag, nonNegativeNumber, ownOptions, positiveNumber, required } from './validate.js';

export interface CyclicLROptions extends CyclicWaveOptions {
  /** Low end of the lr cycle (one value, or one per group). Also the lr right after construction. */
  baseLr: number | readonly number[];
  /** High end of the lr cycle. */
  maxLr: number | readonly number[];
  /** Cycle momentum inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak. Default 0.8. */
  baseMomentum?: number | readonly number[];
  /** Momentum at the lr's low end. Default 0.9. */
  maxMomentum?: number | readonly number[];
}

/**
 * What CyclicLR and OneCycleLR share: the momentum (SGD's `momentum` or Adam's `betas[0]`)
 * cycled against the lr, one schedule per group.
 */
abstract class MomentumCyclingLR extends ScheduledLR {
  protected momentumField: MomentumField | null = null;
  protected momentumSchedules: Schedule[] = [];

  protected override computeMomenta(epoch: number): number[] | null {
    return this.momentumField ? this.momentumSchedules.map((schedule) => schedule(epoch)) : null;
  }

  protected override writeMomentum(group: SchedulableGroup, value: number): void {
    writeMomentum(group, this.momentumField!, value);
  }

  /** The momentum schedule of one param group (null when momentum is not cycled). */
  momentumSchedule(groupIndex = 0): Schedule | null {
    return this.momentumField ? this.momentumSchedules[groupIndex]! : null;
  }
}

interface MomentumCycleOptions {
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
}

/** Validates the momentum options (all before any group changes); empty when momentum is not cycled. */
function momentumRanges(groups: readonly SchedulableGroup[], where: string, o: MomentumCycleOptions, defaults: { base: number; max: number }) {
  const cycleMomentum = flag(where, 'cycleMomentum', o.cycleMomentum ?? true);
  if (!cycleMomentum) return { cycleMomentum, field: null, baseMomenta: [] as number[], maxMomenta: [] as number[] };
  return {
    cycleMomentum,
    field: momentumFieldOf(groups, where),
    baseMomenta: perGroup(where, 'baseMomentum', o.baseMomentum ?? defaults.base, groups.length, finiteNumber),
    maxMomenta: perGroup(where, 'maxMomentum', o.maxMomentum ?? defaults.max, groups.length, finiteNumber),
  };
}

/** Smith's cyclical learning rates: triangular, triangular2, exp_range or a custom scaleFn. */
export class CyclicLR extends MomentumCyclingLR {

  constructor(optimizer: SchedulableOptimizer, options: CyclicLROptions) {
    const where = 'CyclicLR';
    const groups = groupsOf(optimizer, where);
    const o = ownOptions(where, options, [...optionNames.cyclicWave, ...optionNames.momentumRange, 'baseLr', 'maxLr', 'cycleMomentum']);
    const baseLrs = perGroup(where, 'baseLr', required(where, 'baseLr', o.baseLr), groups.length, nonNegativeNumber);
    const maxLrs = perGroup(where, 'maxLr', required(where, 'maxLr', o.maxLr), groups.length, nonNegativeNumber);
    const wave = cyclicWave(o, where);
    const { cycleMomentum, field, baseMomenta, maxMomenta } = momentumRanges(groups, where, o, { base: 0.8, max: 0.9 });
    // Every option is valid: now the groups may change (PyTorch sets lr and momentum to the low ends).
    groups.forEach((group, i) => {
      group.lr = baseLrs[i]!;
      if (field) writeMomentum(group, field, baseMomenta[i]!);
    });
    super(optimizer, where, {
      baseLr: baseLrs,
      maxLr: maxLrs,
      stepSizeUp: o.stepSizeUp ?? 2000,
      stepSizeDown: o.stepSizeDown ?? o.stepSizeUp ?? 2000,
      mode: o.scaleFn ? 'custom' : (o.mode ?? 'triangular'),
      gamma: o.gamma ?? 1,
      scaleMode: o.scaleFn ? (o.scaleMode ?? 'cycle') : null,
      cycleMomentum,
      baseMomentum: baseMomenta,
      maxMomentum: maxMomenta,
    } satisfies JsonObject);
    this.baseLrs = baseLrs;
    this.schedules = baseLrs.map((low, i) => cyclicRise(wave, low, maxLrs[i]!));
    this.momentumField = field;
    this.momentumSchedules = baseMomenta.map((low, i) => cyclicFall(wave, low, maxMomenta[i]!));
    this.initialStep();
  }

}

export interface OneCycleLROptions extends OneCyclePhasesOptions {
  /** Peak lr (one value, or one per group). */
  maxLr: number | readonly number[];
  /** The cycle starts at maxLr/divFactor. Default 25. */
  divFactor?: number;
  /** …and ends at maxLr/divFactor/finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** Default true. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak. Default 0.85. */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start and end. Default 0.95. */
  maxMomentum?: number | readonly number[];
}

/**
 * The 1cycle policy, stepped once per batch: `totalSteps` (or epochs·stepsPerEpoch) steps in
 * all; stepping past `totalSteps` throws and changes nothing.
 */
export class OneCycleLR extends MomentumCyclingLR {

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const where = 'OneCycleLR';
    const groups = groupsOf(optimizer, where);
    const o = ownOptions(where, options, [...optionNames.oneCyclePhases, ...optionNames.oneCycleLevels, ...optionNames.momentumRange, 'cycleMomentum']);
    const plan = oneCyclePlan(o, where);
    const maxLrs = perGroup(where, 'maxLr', required(where, 'maxLr', o.maxLr), groups.length, positiveNumber);
    const levels = maxLrs.map((maxLr) => oneCycleLevels({ maxLr, divFactor: o.divFactor, finalDivFactor: o.finalDivFactor }, where));
    const { cycleMomentum, field, baseMomenta, maxMomenta } = momentumRanges(groups, where, o, { base: 0.85, max: 0.95 });
    // PyTorch overwrites initial_lr with the cycle's start, and starts momentum at its max.
    groups.forEach((group, i) => {
      group.initialLr = levels[i]!.initial;
      if (field) writeMomentum(group, field, maxMomenta[i]!);
    });
    super(optimizer, where, {
      maxLr: maxLrs,
      totalSteps: plan.totalSteps,
      pctStart: o.pctStart ?? 0.3,
      annealStrategy: o.annealStrategy ?? 'cos',
      threePhase: o.threePhase ?? false,
      divFactor: o.divFactor ?? 25,
      finalDivFactor: o.finalDivFactor ?? 1e4,
      cycleMomentum,
      baseMomentum: baseMomenta,
      maxMomentum: maxMomenta,
    } satisfies JsonObject);
    this.schedules = levels.map((level) => oneCycleLrCurve(plan, level));
    this.momentumField = field;
    this.momentumSchedules = baseMomenta.map((base, i) => oneCycleMomentumCurve(plan, { base, max: maxMomenta[i]! }));
    this.initialStep();
  }

}
