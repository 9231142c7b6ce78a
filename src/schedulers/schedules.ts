/**
 * Learning-rate schedules as pure functions of the step: `(step) => value`.
 *
 * Each function checks its options when it is built (optax's `schedule.py` does the same), so
 * a bad option fails at the call that names it. The scheduler classes in this folder are thin
 * adapters that write these values into an optimizer's param groups; the report and the
 * playground plot the very same functions.
 *
 * Most of PyTorch's decays have the form
 *
 *   lr(t) = floor + (lr₀ − floor) · factor(t)
 *
 * with floor 0 except for cosine annealing (floor = ηmin). A {@link DecayShape} carries the
 * factor, and `advance` applies it the way PyTorch's chainable (recursive) schedulers do:
 * it rescales the *current* lr by factor(t)/factor(t−1), so decays compose (ChainedScheduler)
 * and respect an lr that was edited between steps.
 *
 * Compatibility: PyTorch 1.13's `torch.optim.lr_scheduler`. Where PyTorch computes a ratio in a
 * particular way (LinearLR, PolynomialLR, γ^Δk for the step decays) the shape supplies that
 * ratio, so the recursive numbers agree with PyTorch's to the last bit or two. Cosine annealing
 * past TMax keeps following the cosine (it rises again to lr₀ at 2·TMax), as PyTorch does;
 * optax's `cosine_decay_schedule` stays at its floor instead. Leaving a zero factor (LinearLR
 * with startFactor 0, which PyTorch 1.13 divides by zero on) adds (lr₀ − floor)·factor(t), as
 * PyTorch's cosine does at its troughs.
 */
import {
  callable,
  describe,
  finiteNumber,
  flag,
  nonNegativeInteger,
  nonNegativeNumber,
  numberIn,
  oneOf,
  positiveInteger,
  positiveNumber,
  ownOptions,
  required,
} from './validate.js';

/** A value (learning rate, momentum) as a function of the step count. */
export type Schedule = (step: number) => number;

/**
 * The option names each family of schedules reads. Every schedule function and scheduler class
 * refuses any other key, so a misspelt option cannot silently leave its default in force.
 */
export const optionNames = {
  stepDecay: ['stepSize', 'gamma'],
  multiStepDecay: ['milestones', 'gamma'],
  exponentialDecay: ['gamma'],
  constantFactor: ['factor', 'totalIters'],
  linearRamp: ['startFactor', 'endFactor', 'totalIters'],
  polynomialDecay: ['totalIters', 'power'],
  cosineAnnealing: ['TMax', 'etaMin'],
  warmRestarts: ['T0', 'TMult', 'etaMin'],
  cyclicWave: ['stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode'],
  momentumRange: ['baseMomentum', 'maxMomentum'],
  oneCyclePhases: ['totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'threePhase'],
  oneCycleLevels: ['maxLr', 'divFactor', 'finalDivFactor'],
  warmupCosine: ['warmupSteps', 'totalSteps', 'minLr', 'warmupStartFactor'],
  swaAnnealing: ['swaLr', 'annealEpochs', 'annealStrategy'],
} as const satisfies Record<string, readonly string[]>;

/** lr(t) = floor + (lr₀ − floor)·factor(t), for t ≥ 0. */
export interface DecayShape {
  readonly floor: number;
  factor(step: number): number;
  /**
   * factor(t)/factor(t−1) with factor(−1) = 1, when it can be written more exactly than the
   * division (γ^Δk is exactly γ for a one-milestone step).
   */
  ratio?(step: number): number;
}

/** The closed form of a decay shape for one base learning rate. */
export function fromShape(baseLr: number, shape: DecayShape): Schedule {
  const { floor } = shape;
  const span = baseLr - floor;
  return (step) => floor + span * shape.factor(step);
}

/**
 * One chainable step: the lr after step `step`, given the lr after step − 1.
 *
 *   ratio = factor(t)/factor(t−1)
 *   lr ← lr                                   if ratio = 1 (flat stretch: nothing to do)
 *   lr ← lr + (lr₀ − floor)·factor(t)         if the ratio is not finite (leaving a trough)
 *   lr ← floor + (lr − floor)·ratio           otherwise
 *
 * A trough is a factor of 0, or one so small (LinearLR's startFactor 5e-324) that the lr it
 * scaled underflowed to the floor: no ratio brings that lr back, and 0·∞ would make it NaN.
 */
export function advance(shape: DecayShape, currentLr: number, baseLr: number, step: number): number {
  const previous = step === 0 ? 1 : shape.factor(step - 1);
  const ratio = previous === 0 ? Infinity : shape.ratio ? shape.ratio(step) : shape.factor(step) / previous;
  if (!Number.isFinite(ratio)) {
    const next = shape.factor(step);
    return next === 0 ? currentLr : currentLr + (baseLr - shape.floor) * next;
  }
  if (ratio === 1) return currentLr;
  return shape.floor + (currentLr - shape.floor) * ratio;
}

// ---------------------------------------------------------------------------------------------
// Decay shapes (PyTorch's chainable schedulers)

export interface StepDecayOptions {
  /** Decay every `stepSize` steps. */
  stepSize: number;
  /** Multiplicative factor per decay. Default 0.1. */
  gamma?: number;
}

/** factor(t) = γ^⌊t / stepSize⌋ (StepLR). */
export function stepShape({ stepSize, gamma = 0.1 }: StepDecayOptions = {} as StepDecayOptions, where = 'stepDecay'): DecayShape {
  positiveInteger(where, 'stepSize', stepSize);
  positiveNumber(where, 'gamma', gamma);
  return powerShape(gamma, (t) => Math.floor(t / stepSize));
}

export interface MultiStepDecayOptions {
  /** Steps at which the lr is multiplied by γ (non-decreasing; a repeated milestone decays twice). */
  milestones: readonly number[];
  gamma?: number;
}

/** factor(t) = γ^(number of milestones ≤ t) (MultiStepLR). */
export function multiStepShape({ milestones, gamma = 0.1 }: MultiStepDecayOptions = {} as MultiStepDecayOptions, where = 'multiStepDecay'): DecayShape {
  if (!Array.isArray(milestones)) throw new TypeError(`${where}: milestones must be an array of integers, got ${describe(milestones)}`);
  milestones.forEach((m, i) => {
    nonNegativeInteger(where, `milestones[${i}]`, m);
    if (i > 0 && m < milestones[i - 1]!) {
      throw new RangeError(`${where}: milestones must be non-decreasing, got ${milestones[i - 1]} before ${m}`);
    }
  });
  positiveNumber(where, 'gamma', gamma);
  const sorted = [...milestones];
  return powerShape(gamma, (t) => countAtMost(sorted, t));
}

/** Number of entries of a sorted array that are ≤ value (Python's bisect_right). */
function countAtMost(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** factor(t) = γ^k(t) for an integer exponent k; the ratio γ^(k(t) − k(t−1)) is exact. */
function powerShape(gamma: number, exponent: (step: number) => number): DecayShape {
  return {
    floor: 0,
    factor: (t) => gamma ** exponent(t),
    ratio: (t) => gamma ** (exponent(t) - (t === 0 ? 0 : exponent(t - 1))),
  };
}

export interface ExponentialDecayOptions {
  gamma: number;
}

/** factor(t) = γ^t (ExponentialLR). */
export function exponentialShape({ gamma }: ExponentialDecayOptions = {} as ExponentialDecayOptions, where = 'exponentialDecay'): DecayShape {
  positiveNumber(where, 'gamma', required(where, 'gamma', gamma));
  return powerShape(gamma, (t) => t);
}

export interface ConstantFactorOptions {
  /** Multiplier of the lr before `totalIters`. Default 1/3. */
  factor?: number;
  /** Steps at the reduced lr. Default 5. */
  totalIters?: number;
}

/** factor(t) = `factor` for t < totalIters, then 1 (ConstantLR). */
export function constantShape({ factor = 1 / 3, totalIters = 5 }: ConstantFactorOptions = {}, where = 'constantFactor'): DecayShape {
  numberIn(where, 'factor', factor, 0, 1);
  if (factor === 0) throw new RangeError(`${where}: factor must be in (0, 1], got 0 (the lr could never be restored)`);
  positiveInteger(where, 'totalIters', totalIters);
  return {
    floor: 0,
    factor: (t) => (t < totalIters ? factor : 1),
    // PyTorch multiplies by `factor` at step 0 and by 1/factor at totalIters.
    ratio: (t) => (t === 0 ? factor : t === totalIters ? 1 / factor : 1),
  };
}

export interface LinearRampOptions {
  /** Multiplier at step 0. Default 1/3. */
  startFactor?: number;
  /** Multiplier from `totalIters` on. Default 1. */
  endFactor?: number;
  /** Steps of the ramp. Default 5. */
  totalIters?: number;
}

/** factor(t) = startFactor + (endFactor − startFactor)·min(t, totalIters)/totalIters (LinearLR). */
export function linearShape({ startFactor = 1 / 3, endFactor = 1, totalIters = 5 }: LinearRampOptions = {}, where = 'linearRamp'): DecayShape {
  numberIn(where, 'startFactor', startFactor, 0, 1);
  numberIn(where, 'endFactor', endFactor, 0, 1);
  positiveInteger(where, 'totalIters', totalIters);
  const delta = endFactor - startFactor;
  return {
    floor: 0,
    factor: (t) => startFactor + (delta * Math.min(totalIters, t)) / totalIters,
    // factor(t)/factor(t−1) reduced to one fraction, as PyTorch's LinearLR computes it.
    ratio: (t) => (t === 0 ? startFactor : t > totalIters ? 1 : 1 + delta / (totalIters * startFactor + (t - 1) * delta)),
  };
}

export interface PolynomialDecayOptions {
  /** Steps until the lr reaches 0. Default 5. */
  totalIters?: number;
  /** Exponent of the decay. Default 1. */
  power?: number;
}

/** factor(t) = (1 − min(t, totalIters)/totalIters)^power (PolynomialLR). */
export function polynomialShape({ totalIters = 5, power = 1 }: PolynomialDecayOptions = {}, where = 'polynomialDecay'): DecayShape {
  positiveInteger(where, 'totalIters', totalIters);
  nonNegativeNumber(where, 'power', power);
  return {
    floor: 0,
    factor: (t) => (1 - Math.min(totalIters, t) / totalIters) ** power,
    // One power of a quotient, as PyTorch's PolynomialLR computes the ratio.
    ratio: (t) => (t === 0 || t > totalIters ? 1 : ((1 - t / totalIters) / (1 - (t - 1) / totalIters)) ** power),
  };
}

export interface CosineAnnealingOptions {
  /** Half-period: steps from lr₀ down to ηmin. */
  TMax: number;
  /** The floor ηmin. Default 0. */
  etaMin?: number;
}

/** factor(t) = (1 + cos(π·t/TMax))/2 above the floor ηmin (CosineAnnealingLR). */
export function cosineShape({ TMax, etaMin = 0 }: CosineAnnealingOptions = {} as CosineAnnealingOptions, where = 'cosineAnnealing'): DecayShape {
  positiveInteger(where, 'TMax', TMax);
  finiteNumber(where, 'etaMin', etaMin);
  return { floor: etaMin, factor: (t) => (1 + Math.cos((Math.PI * t) / TMax)) / 2 };
}

// ---------------------------------------------------------------------------------------------
// Schedules: closed forms for one base learning rate

function baseLrOf(where: string, baseLr: unknown): number {
  return nonNegativeNumber(where, 'baseLr', required(where, 'baseLr', baseLr as number));
}

/** The same value at every step. */
export function constantSchedule(value: number): Schedule {
  finiteNumber('constantSchedule', 'value', value);
  return () => value;
}

/** lr(t) = baseLr·γ^⌊t / stepSize⌋. */
export function stepDecay(options: StepDecayOptions & { baseLr: number }): Schedule {
  const o = ownOptions('stepDecay', options, [...optionNames.stepDecay, 'baseLr']);
  return fromShape(baseLrOf('stepDecay', o.baseLr), stepShape(o, 'stepDecay'));
}

/** lr(t) = baseLr·γ^(milestones passed). */
export function multiStepDecay(options: MultiStepDecayOptions & { baseLr: number }): Schedule {
  const o = ownOptions('multiStepDecay', options, [...optionNames.multiStepDecay, 'baseLr']);
  return fromShape(baseLrOf('multiStepDecay', o.baseLr), multiStepShape(o, 'multiStepDecay'));
}

/** lr(t) = baseLr·γ^t. */
export function exponentialDecay(options: ExponentialDecayOptions & { baseLr: number }): Schedule {
  const o = ownOptions('exponentialDecay', options, [...optionNames.exponentialDecay, 'baseLr']);
  return fromShape(baseLrOf('exponentialDecay', o.baseLr), exponentialShape(o, 'exponentialDecay'));
}

/** lr(t) = baseLr·factor for t < totalIters, then baseLr. */
export function constantFactor(options: ConstantFactorOptions & { baseLr: number }): Schedule {
  const o = ownOptions('constantFactor', options, [...optionNames.constantFactor, 'baseLr']);
  return fromShape(baseLrOf('constantFactor', o.baseLr), constantShape(o, 'constantFactor'));
}

/** A linear ramp of the multiplier from startFactor to endFactor over totalIters steps. */
export function linearRamp(options: LinearRampOptions & { baseLr: number }): Schedule {
  const o = ownOptions('linearRamp', options, [...optionNames.linearRamp, 'baseLr']);
  return fromShape(baseLrOf('linearRamp', o.baseLr), linearShape(o, 'linearRamp'));
}

/** lr(t) = baseLr·(1 − min(t, totalIters)/totalIters)^power. */
export function polynomialDecay(options: PolynomialDecayOptions & { baseLr: number }): Schedule {
  const o = ownOptions('polynomialDecay', options, [...optionNames.polynomialDecay, 'baseLr']);
  return fromShape(baseLrOf('polynomialDecay', o.baseLr), polynomialShape(o, 'polynomialDecay'));
}

/** lr(t) = ηmin + (baseLr − ηmin)·(1 + cos(π·t/TMax))/2 (periodic past TMax, as in PyTorch). */
export function cosineAnnealing(options: CosineAnnealingOptions & { baseLr: number }): Schedule {
  const o = ownOptions('cosineAnnealing', options, [...optionNames.cosineAnnealing, 'baseLr']);
  return fromShape(baseLrOf('cosineAnnealing', o.baseLr), cosineShape(o, 'cosineAnnealing'));
}

/** lr(t) = baseLr·lrLambda(t). */
export function lambdaSchedule(options: { baseLr: number; lrLambda: (step: number) => number }): Schedule {
  const o = ownOptions('lambdaSchedule', options, ['baseLr', 'lrLambda']);
  const baseLr = baseLrOf('lambdaSchedule', o.baseLr);
  const lrLambda = callable<(step: number) => number>('lambdaSchedule', 'lrLambda', o.lrLambda);
  return (step) => baseLr * lrLambda(step);
}

export interface WarmRestartsOptions {
  /** Length of the first cycle. */
  T0: number;
  /** Each cycle is TMult times longer than the one before. Default 1. */
  TMult?: number;
  etaMin?: number;
}

/** Validates the options and returns (t) ↦ [steps into the current cycle, cycle length]. */
export function warmRestartsPosition({ T0, TMult = 1 }: WarmRestartsOptions = {} as WarmRestartsOptions, where = 'cosineAnnealingWarmRestarts'): (step: number) => [number, number] {
  positiveInteger(where, 'T0', T0);
  positiveInteger(where, 'TMult', TMult);
  return (step) => {
    if (TMult === 1) return [step % T0, T0];
    let cycleLength = T0;
    let intoCycle = step;
    while (intoCycle >= cycleLength) {
      intoCycle -= cycleLength;
      cycleLength *= TMult;
    }
    return [intoCycle, cycleLength];
  };
}

/** SGDR: cosine from baseLr to ηmin over cycles of T0, T0·TMult, T0·TMult², … steps. */
export function cosineAnnealingWarmRestarts(options: WarmRestartsOptions & { baseLr: number }): Schedule {
  const where = 'cosineAnnealingWarmRestarts';
  const o = ownOptions(where, options, [...optionNames.warmRestarts, 'baseLr']);
  const baseLr = baseLrOf(where, o.baseLr);
  const etaMin = finiteNumber(where, 'etaMin', o.etaMin ?? 0);
  const position = warmRestartsPosition(o, where);
  return (step) => {
    const [intoCycle, cycleLength] = position(step);
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * intoCycle) / cycleLength))) / 2;
  };
}

// ---------------------------------------------------------------------------------------------
// Cyclical learning rates (Smith 2017)

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';

export interface CyclicWaveOptions {
  /** Steps from the low end to the high end. Default 2000. */
  stepSizeUp?: number;
  /** Steps back down. Default stepSizeUp. */
  stepSizeDown?: number;
  /** Amplitude policy. Default 'triangular'. */
  mode?: CyclicMode;
  /** exp_range's amplitude decay per step. Default 1. */
  gamma?: number;
  /** A custom amplitude policy; overrides `mode`. */
  scaleFn?: (x: number) => number;
  /** Whether scaleFn reads the cycle number or the step. Default 'cycle'. */
  scaleMode?: 'cycle' | 'iterations';
}

/** Where the wave is at step t: its height in [0, 1] and the amplitude policy's scale. */
export interface CyclicPoint {
  height: number;
  scale: number;
}

/** Validates the wave options; returns t ↦ the point on the wave. */
export function cyclicWave(options: CyclicWaveOptions, where = 'cyclic'): (step: number) => CyclicPoint {
  const up = positiveNumber(where, 'stepSizeUp', options.stepSizeUp ?? 2000);
  const down = positiveNumber(where, 'stepSizeDown', options.stepSizeDown ?? up);
  // A cycle must be a countable number of steps: past ~1.8e308 the wave's position is 0/0.
  if (!Number.isFinite(up + down)) throw new RangeError(`${where}: stepSizeUp + stepSizeDown (${up} + ${down}) must be a finite number of steps`);
  const gamma = positiveNumber(where, 'gamma', options.gamma ?? 1);
  let scaleFn: (x: number) => number;
  let scaleMode: 'cycle' | 'iterations';
  if (options.scaleFn !== undefined) {
    scaleFn = callable(where, 'scaleFn', options.scaleFn);
    scaleMode = oneOf(where, 'scaleMode', options.scaleMode ?? 'cycle', ['cycle', 'iterations'] as const);
  } else {
    const mode = oneOf(where, 'mode', options.mode ?? 'triangular', ['triangular', 'triangular2', 'exp_range'] as const);
    if (mode === 'triangular') {
      scaleFn = () => 1;
      scaleMode = 'cycle';
    } else if (mode === 'triangular2') {
      scaleFn = (cycle) => 1 / 2 ** (cycle - 1);
      scaleMode = 'cycle';
    } else {
      scaleFn = (step) => gamma ** step;
      scaleMode = 'iterations';
    }
  }
  const totalSize = up + down;
  const stepRatio = up / totalSize;
  return (step) => {
    const cycle = Math.floor(1 + step / totalSize);
    const x = 1 + step / totalSize - cycle;
    const height = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    return { height, scale: scaleFn(scaleMode === 'cycle' ? cycle : step) };
  };
}

/** low + (high − low)·height(t)·scale(t): the lr rides the wave up from its low end. */
export function cyclicRise(wave: (step: number) => CyclicPoint, low: number, high: number): Schedule {
  return (step) => {
    const { height, scale } = wave(step);
    return low + (high - low) * height * scale;
  };
}

/** high − (high − low)·height(t)·scale(t): momentum moves against the lr. */
export function cyclicFall(wave: (step: number) => CyclicPoint, low: number, high: number): Schedule {
  return (step) => {
    const { height, scale } = wave(step);
    return high - (high - low) * height * scale;
  };
}

/** Cyclical lr between baseLr and maxLr. */
export function cyclic(options: CyclicWaveOptions & { baseLr: number; maxLr: number }): Schedule {
  const where = 'cyclic';
  const o = ownOptions(where, options, [...optionNames.cyclicWave, 'baseLr', 'maxLr']);
  const baseLr = baseLrOf(where, o.baseLr);
  const maxLr = nonNegativeNumber(where, 'maxLr', required(where, 'maxLr', o.maxLr));
  return cyclicRise(cyclicWave(o, where), baseLr, maxLr);
}

/** Momentum cycled against the lr, between baseMomentum (default 0.8) and maxMomentum (0.9). */
export function cyclicMomentum(options: CyclicWaveOptions & { baseMomentum?: number; maxMomentum?: number }): Schedule {
  const where = 'cyclicMomentum';
  const o = ownOptions(where, options, [...optionNames.cyclicWave, ...optionNames.momentumRange]);
  const baseMomentum = finiteNumber(where, 'baseMomentum', o.baseMomentum ?? 0.8);
  const maxMomentum = finiteNumber(where, 'maxMomentum', o.maxMomentum ?? 0.9);
  return cyclicFall(cyclicWave(o, where), baseMomentum, maxMomentum);
}

// ---------------------------------------------------------------------------------------------
// One-cycle policy (Smith & Topin 2018; fastai's two-phase default)

export type AnnealStrategy = 'cos' | 'linear';

/** Cosine from `start` to `end` as pct goes 0 → 1 (PyTorch's `_annealing_cos`). */
export function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** Straight line from `start` to `end` as pct goes 0 → 1. */
export function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

export interface OneCyclePhasesOptions {
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr. Default 0.3. */
  pctStart?: number;
  annealStrategy?: AnnealStrategy;
  /** Add a third phase that anneals to the minimum after a symmetric rise and fall. Default false. */
  threePhase?: boolean;
}

export type LrPoint = 'initial' | 'max' | 'min';
export type MomentumPoint = 'max' | 'base';

interface OneCyclePhase {
  endStep: number;
  lr: readonly [LrPoint, LrPoint];
  momentum: readonly [MomentumPoint, MomentumPoint];
}

/** The cycle's validated shape: t ↦ (which endpoints, how far between them). */
export interface OneCyclePlan {
  totalSteps: number;
  anneal: (start: number, end: number, pct: number) => number;
  locate(step: number): { lr: readonly [LrPoint, LrPoint]; momentum: readonly [MomentumPoint, MomentumPoint]; pct: number };
}

export function oneCyclePlan(options: OneCyclePhasesOptions, where = 'oneCycle'): OneCyclePlan {
  let totalSteps: number;
  if (options.totalSteps !== undefined) {
    totalSteps = positiveInteger(where, 'totalSteps', options.totalSteps);
  } else if (options.epochs !== undefined || options.stepsPerEpoch !== undefined) {
    totalSteps = positiveInteger(where, 'epochs', options.epochs) * positiveInteger(where, 'stepsPerEpoch', options.stepsPerEpoch);
  } else {
    throw new TypeError(`${where}: give totalSteps, or epochs and stepsPerEpoch`);
  }
  const pctStart = numberIn(where, 'pctStart', options.pctStart ?? 0.3, 0, 1);
  const strategy = oneOf(where, 'annealStrategy', options.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
  const phases: OneCyclePhase[] = flag(where, 'threePhase', options.threePhase ?? false)
    ? [
        { endStep: pctStart * totalSteps - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { endStep: 2 * pctStart * totalSteps - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
        { endStep: totalSteps - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
      ]
    : [
        { endStep: pctStart * totalSteps - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { endStep: totalSteps - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
      ];
  // A step landing on a phase of zero length would divide 0 by 0. A first phase that ends
  // before step 0 (pctStart·totalSteps < 1) is never entered, which is fine.
  let start = 0;
  phases.forEach((phase, i) => {
    const entered = i > 0 || phase.endStep >= 0;
    if (entered && phase.endStep <= start) {
      throw new RangeError(`${where}: pctStart ${pctStart} with totalSteps ${totalSteps} leaves a phase of the cycle empty`);
    }
    start = phase.endStep;
  });
  return {
    totalSteps,
    anneal: strategy === 'cos' ? annealCos : annealLinear,
    locate(step) {
      if (step > totalSteps) {
        throw new RangeError(`${where}: step ${step} is past the cycle's totalSteps ${totalSteps}`);
      }
      let startStep = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i]!;
        if (step <= phase.endStep || i === phases.length - 1) {
          return { lr: phase.lr, momentum: phase.momentum, pct: (step - startStep) / (phase.endStep - startStep) };
        }
        startStep = phase.endStep;
      }
      throw new Error('unreachable: the last phase always matches');
    },
  };
}

export interface OneCycleLrOptions extends OneCyclePhasesOptions {
  maxLr: number;
  /** initialLr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
}

/** The three lr levels of a one-cycle schedule. */
export function oneCycleLevels(options: { maxLr: number; divFactor?: number; finalDivFactor?: number }, where = 'oneCycle'): Record<LrPoint, number> {
  const max = positiveNumber(where, 'maxLr', required(where, 'maxLr', options.maxLr));
  const initial = max / positiveNumber(where, 'divFactor', options.divFactor ?? 25);
  const min = initial / positiveNumber(where, 'finalDivFactor', options.finalDivFactor ?? 1e4);
  return { initial, max, min };
}

/** The lr curve of a validated plan through the given levels. */
export function oneCycleLrCurve(plan: OneCyclePlan, levels: Record<LrPoint, number>): Schedule {
  return (step) => {
    const { lr, pct } = plan.locate(step);
    return plan.anneal(levels[lr[0]], levels[lr[1]], pct);
  };
}

/** The momentum curve of a validated plan between base and max momentum. */
export function oneCycleMomentumCurve(plan: OneCyclePlan, levels: Record<MomentumPoint, number>): Schedule {
  return (step) => {
    const { momentum, pct } = plan.locate(step);
    return plan.anneal(levels[momentum[0]], levels[momentum[1]], pct);
  };
}

/** One-cycle lr: up from maxLr/divFactor to maxLr, then down to the minimum. */
export function oneCycle(options: OneCycleLrOptions): Schedule {
  const o = ownOptions('oneCycle', options, [...optionNames.oneCyclePhases, ...optionNames.oneCycleLevels]);
  return oneCycleLrCurve(oneCyclePlan(o), oneCycleLevels(o));
}

/** One-cycle momentum: down from maxMomentum (0.95) to baseMomentum (0.85) while the lr rises, then back. */
export function oneCycleMomentum(options: OneCyclePhasesOptions & { baseMomentum?: number; maxMomentum?: number }): Schedule {
  const where = 'oneCycleMomentum';
  const o = ownOptions(where, options, [...optionNames.oneCyclePhases, ...optionNames.momentumRange]);
  const base = finiteNumber(where, 'baseMomentum', o.baseMomentum ?? 0.85);
  const max = finiteNumber(where, 'maxMomentum', o.maxMomentum ?? 0.95);
  return oneCycleMomentumCurve(oneCyclePlan(o, where), { base, max });
}

// ---------------------------------------------------------------------------------------------
// Warmup + cosine, SWA annealing, joining

export interface WarmupCosineOptions {
  /** Steps of linear warmup (0: none). */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr; the lr stays there afterwards. */
  totalSteps: number;
  baseLr: number;
  /** Default 0. */
  minLr?: number;
  /** The warmup starts at baseLr·warmupStartFactor. Default 0. */
  warmupStartFactor?: number;
}

/**
 * Linear warmup then cosine decay, in one call:
 *
 *   t < W:       lr = baseLr·(f + (1 − f)·t/W)
 *   W ≤ t ≤ T:   lr = minLr + (baseLr − minLr)·(1 + cos(π·(t − W)/(T − W)))/2
 *   t > T:       lr = minLr
 */
export function warmupCosine(options: WarmupCosineOptions): Schedule {
  const o = ownOptions('warmupCosine', options, [...optionNames.warmupCosine, 'baseLr']);
  return warmupCosinePlan(o, 'warmupCosine')(baseLrOf('warmupCosine', o.baseLr));
}

/** Validates everything but baseLr; returns baseLr ↦ schedule (the class builds one per group). */
export function warmupCosinePlan(options: Omit<WarmupCosineOptions, 'baseLr'>, where: string): (baseLr: number) => Schedule {
  const warmupSteps = nonNegativeInteger(where, 'warmupSteps', required(where, 'warmupSteps', options.warmupSteps));
  const totalSteps = positiveInteger(where, 'totalSteps', required(where, 'totalSteps', options.totalSteps));
  if (totalSteps <= warmupSteps) {
    throw new RangeError(`${where}: totalSteps (${totalSteps}) must be greater than warmupSteps (${warmupSteps})`);
  }
  const minLr = nonNegativeNumber(where, 'minLr', options.minLr ?? 0);
  const startFactor = numberIn(where, 'warmupStartFactor', options.warmupStartFactor ?? 0, 0, 1);
  const decaySteps = totalSteps - warmupSteps;
  return (baseLr) => (step) => {
    if (step < warmupSteps) return baseLr * (startFactor + ((1 - startFactor) * step) / warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / decaySteps);
    return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

export interface SwaAnnealingOptions {
  /** The lr when annealing starts. */
  startLr: number;
  swaLr: number;
  /** Steps to reach swaLr (0: at once). Default 10. */
  annealEpochs?: number;
  annealStrategy?: AnnealStrategy;
}

/** α(t) of SWALR: the weight of swaLr after t steps. */
export function swaAlpha(annealEpochs: number, strategy: AnnealStrategy): (step: number) => number {
  const curve = strategy === 'cos' ? (x: number) => (1 - Math.cos(Math.PI * x)) / 2 : (x: number) => x;
  return (step) => {
    const effective = annealEpochs === 0 ? Math.max(1, step) : step;
    return curve(Math.max(0, Math.min(1, effective / Math.max(1, annealEpochs))));
  };
}

/** SWALR's closed form: lr(t) = swaLr·α(t) + startLr·(1 − α(t)). */
export function swaAnnealing(options: SwaAnnealingOptions): Schedule {
  const where = 'swaAnnealing';
  const o = ownOptions(where, options, [...optionNames.swaAnnealing, 'startLr']);
  const startLr = nonNegativeNumber(where, 'startLr', required(where, 'startLr', o.startLr));
  const swaLr = nonNegativeNumber(where, 'swaLr', required(where, 'swaLr', o.swaLr));
  const annealEpochs = nonNegativeInteger(where, 'annealEpochs', o.annealEpochs ?? 10);
  const alpha = swaAlpha(annealEpochs, oneOf(where, 'annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear'] as const));
  return (step) => {
    const a = alpha(step);
    return swaLr * a + startLr * (1 - a);
  };
}

/**
 * Schedules one after another: schedules[i] runs from boundaries[i−1] on, restarted at its own
 * step 0 (optax's `join_schedules`; the closed form of SequentialLR).
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const where = 'joinSchedules';
  if (schedules.length === 0) throw new RangeError(`${where}: schedules must not be empty`);
  schedules.forEach((s, i) => callable(where, `schedules[${i}]`, s));
  if (boundaries.length !== schedules.length - 1) {
    throw new RangeError(`${where}: ${schedules.length} schedules need ${schedules.length - 1} boundaries, got ${boundaries.length}`);
  }
  boundaries.forEach((b, i) => {
    nonNegativeInteger(where, `boundaries[${i}]`, b);
    if (i > 0 && b < boundaries[i - 1]!) throw new RangeError(`${where}: boundaries must be non-decreasing, got ${boundaries[i - 1]} before ${b}`);
  });
  const sorted = [...boundaries];
  return (step) => {
    const index = countAtMost(sorted, step);
    return schedules[index]!(index === 0 ? step : step - sorted[index - 1]!);
  };
}

/** Samples a schedule at steps 0..steps−1 (for plots and tables). */
export function sample(schedule: Schedule, steps: number): number[] {
  nonNegativeInteger('sample', 'steps', steps);
  return Array.from({ length: steps }, (_, t) => schedule(t));
}
