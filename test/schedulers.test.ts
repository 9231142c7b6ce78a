/**
 * Schedules as pure functions, the classes as adapters over them, composition, state dicts
 * and option checks. Expected values are derived in the comments from the definitions.
 */
import { describe, expect, it } from 'vitest';
import { assertAllclose } from './helpers/allclose.js';
import { zeros } from '../src/tensor/index.js';
import { SGD } from '../src/optim/sgd.js';
import { Adam } from '../src/optim/adam.js';
import {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  PolynomialLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
  WarmupCosineLR,
  constantFactor,
  cosineAnnealing,
  cosineAnnealingWarmRestarts,
  cyclic,
  cyclicMomentum,
  exponentialDecay,
  joinSchedules,
  linearRamp,
  multiStepDecay,
  oneCycle,
  oneCycleMomentum,
  polynomialDecay,
  stepDecay,
  swaAnnealing,
  warmupCosine,
  type LRScheduler,
  type Schedule,
  type SchedulableGroup,
  type Scheduler,
} from '../src/schedulers/index.js';
import { sample } from '../src/schedulers/schedules.js';

const EXACT = { rtol: 1e-14, atol: 1e-17 };

/** A stand-in optimizer: schedulers only see param groups. */
function groups(...lrs: number[]): { paramGroups: SchedulableGroup[] } {
  return { paramGroups: lrs.map((lr) => ({ lr, momentum: 0.9 })) };
}

/** lr of group 0 after construction and after each of `steps` steps. */
function trajectory(scheduler: Scheduler, steps: number, group = 0): number[] {
  const out = [scheduler.optimizer.paramGroups[group]!.lr];
  for (let t = 0; t < steps; t++) {
    scheduler.step();
    out.push(scheduler.optimizer.paramGroups[group]!.lr);
  }
  return out;
}

describe('pure schedules', () => {
  it('stepDecay: baseLr·γ^⌊t/stepSize⌋', () => {
    // t = 0..7 with stepSize 3: exponents 0 0 0 1 1 1 2 2
    assertAllclose(sample(stepDecay({ baseLr: 1, stepSize: 3, gamma: 0.5 }), 8), [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], EXACT);
  });

  it('multiStepDecay counts the milestones passed, a repeated one twice', () => {
    assertAllclose(sample(multiStepDecay({ baseLr: 1, milestones: [2, 4, 4], gamma: 0.1 }), 6), [1, 1, 0.1, 0.1, 0.001, 0.001], EXACT);
  });

  it('constantFactor, linearRamp, exponentialDecay, polynomialDecay', () => {
    assertAllclose(sample(constantFactor({ baseLr: 2, factor: 0.5, totalIters: 2 }), 4), [1, 1, 2, 2], EXACT);
    // factor(t) = 0.2 + 0.8·min(t, 4)/4
    assertAllclose(sample(linearRamp({ baseLr: 1, startFactor: 0.2, totalIters: 4 }), 6), [0.2, 0.4, 0.6, 0.8, 1, 1], EXACT);
    assertAllclose(sample(exponentialDecay({ baseLr: 1, gamma: 0.5 }), 4), [1, 0.5, 0.25, 0.125], EXACT);
    // (1 − t/4)² = 1, 9/16, 1/4, 1/16, 0, then 0
    assertAllclose(sample(polynomialDecay({ baseLr: 1, totalIters: 4, power: 2 }), 6), [1, 9 / 16, 1 / 4, 1 / 16, 0, 0], EXACT);
  });

  it('cosineAnnealing: from baseLr to etaMin over TMax, back up to baseLr at 2·TMax', () => {
    const s = cosineAnnealing({ baseLr: 1, TMax: 4, etaMin: 0.2 });
    // 0.2 + 0.8·(1 + cos(πt/4))/2: t = 2 is halfway, (1 + 0.2)/2 = 0.6
    assertAllclose([s(0), s(2), s(4), s(6), s(8)], [1, 0.6, 0.2, 0.6, 1], EXACT);
  });

  it('cosineAnnealingWarmRestarts: cycles of T0, T0·TMult, …', () => {
    const s = cosineAnnealingWarmRestarts({ baseLr: 1, T0: 2, TMult: 2 });
    // cycles [0, 2), [2, 6), [6, 14): restarts at 2 and 6; halfway through the 4-step cycle at t = 4
    assertAllclose([s(0), s(1), s(2), s(4), s(6)], [1, 0.5, 1, 0.5, 1], EXACT);
  });

  it('cyclic: a triangle between baseLr and maxLr, momentum the mirror image', () => {
    const lr = cyclic({ baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2 });
    const momentum = cyclicMomentum({ stepSizeUp: 2, baseMomentum: 0.8, maxMomentum: 0.9 });
    assertAllclose(sample(lr, 6), [0.1, 0.3, 0.5, 0.3, 0.1, 0.3], EXACT);
    assertAllclose(sample(momentum, 3), [0.9, 0.85, 0.8], EXACT);
    // triangular2 halves the amplitude every cycle: the second peak is 0.1 + 0.4/2
    expect(cyclic({ baseLr: 0.1, maxLr: 0.5, stepSizeUp: 2, mode: 'triangular2' })(6)).toBeCloseTo(0.3, 15);
  });

  it('oneCycle: up from maxLr/divFactor to maxLr by pctStart·totalSteps − 1, then down to start/finalDivFactor', () => {
    const s = oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.5, divFactor: 10, finalDivFactor: 100, annealStrategy: 'linear' });
    // phase 1 ends at step 0.5·10 − 1 = 4 (0.1 → 1), phase 2 at step 9 (1 → 0.1/100)
    assertAllclose([s(0), s(2), s(4), s(9)], [0.1, 0.55, 1, 0.001], EXACT);
    const cos = oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.5, divFactor: 10 });
    // cosine annealing passes the midpoint of each phase at its middle step: (0.1 + 1)/2 at step 2
    assertAllclose([cos(2), cos(4)], [0.55, 1], EXACT);
    const m = oneCycleMomentum({ totalSteps: 10, pctStart: 0.5 });
    // momentum mirrors the lr: max 0.95 at the ends, base 0.85 at the peak
    assertAllclose([m(0), m(4), m(9)], [0.95, 0.85, 0.95], EXACT);
  });

  it('warmupCosine: linear warmup from baseLr·f, cosine to minLr, then flat', () => {
    const s = warmupCosine({ warmupSteps: 4, totalSteps: 12, baseLr: 1, minLr: 0.1, warmupStartFactor: 0.2 });
    // warmup: 0.2 + 0.8·t/4 at t = 0, 2; cosine: t = 4 → 1, t = 8 (halfway) → (1 + 0.1)/2, t ≥ 12 → 0.1
    assertAllclose([s(0), s(2), s(4), s(8), s(12), s(20)], [0.2, 0.6, 1, 0.55, 0.1, 0.1], EXACT);
  });

  it('swaAnnealing: cosine blend from startLr to swaLr over annealEpochs', () => {
    const s = swaAnnealing({ startLr: 1, swaLr: 0.2, annealEpochs: 4 });
    // α(2) = (1 − cos(π/2))/2 = 1/2: halfway between 1 and 0.2
    assertAllclose([s(0), s(2), s(4), s(9)], [1, 0.6, 0.2, 0.2], EXACT);
  });

  it('joinSchedules restarts each schedule at its boundary', () => {
    const s = joinSchedules([linearRamp({ baseLr: 1, startFactor: 0.5, totalIters: 2 }), exponentialDecay({ baseLr: 1, gamma: 0.5 })], [3]);
    assertAllclose(sample(s, 6), [0.5, 0.75, 1, 1, 0.5, 0.25], EXACT);
  });

  it('validates eagerly and names the option', () => {
    expect(() => stepDecay({ baseLr: 1, stepSize: -1 })).toThrow(/stepDecay: stepSize must be a positive integer, got -1/);
    expect(() => cosineAnnealing({ baseLr: 1, TMax: 0 })).toThrow(/TMax must be a positive integer, got 0/);
    expect(() => cyclic({ baseLr: 0.1 } as never)).toThrow(/cyclic: maxLr is required/);
    expect(() => cyclic({ baseLr: 0.1, maxLr: 1, mode: 'sawtooth' as never })).toThrow(/mode must be one of "triangular", "triangular2", "exp_range", got "sawtooth"/);
    expect(() => oneCycle({ maxLr: 1 })).toThrow(/give totalSteps, or epochs and stepsPerEpoch/);
    expect(() => oneCycle({ maxLr: 1, totalSteps: 10 })(11)).toThrow(/step 11 is past the cycle's totalSteps 10/);
    expect(() => warmupCosine({ warmupSteps: 5, totalSteps: 5, baseLr: 1 })).toThrow(/totalSteps \(5\) must be greater than warmupSteps \(5\)/);
    expect(() => linearRamp({ baseLr: 1, startFactor: 1.5 })).toThrow(/startFactor must be a number in \[0, 1\], got 1.5/);
    expect(() => multiStepDecay({ baseLr: 1, milestones: [5, 3] })).toThrow(/milestones must be non-decreasing/);
    expect(() => warmupCosine({ warmupSteps: 0, totalSteps: 5 } as never)).toThrow(/baseLr is required/);
  });
});

describe('scheduler classes follow their schedules', () => {
  const cases: Array<[string, (o: ReturnType<typeof groups>) => LRScheduler, Schedule]> = [
    ['StepLR', (o) => new StepLR(o, { stepSize: 3, gamma: 0.3 }), stepDecay({ baseLr: 0.1, stepSize: 3, gamma: 0.3 })],
    ['MultiStepLR', (o) => new MultiStepLR(o, { milestones: [2, 5], gamma: 0.3 }), multiStepDecay({ baseLr: 0.1, milestones: [2, 5], gamma: 0.3 })],
    ['ConstantLR', (o) => new ConstantLR(o, { factor: 0.3, totalIters: 4 }), constantFactor({ baseLr: 0.1, factor: 0.3, totalIters: 4 })],
    ['LinearLR', (o) => new LinearLR(o, { startFactor: 0.05, endFactor: 0.7, totalIters: 6 }), linearRamp({ baseLr: 0.1, startFactor: 0.05, endFactor: 0.7, totalIters: 6 })],
    ['ExponentialLR', (o) => new ExponentialLR(o, { gamma: 0.7 }), exponentialDecay({ baseLr: 0.1, gamma: 0.7 })],
    ['PolynomialLR', (o) => new PolynomialLR(o, { totalIters: 7, power: 1.5 }), polynomialDecay({ baseLr: 0.1, totalIters: 7, power: 1.5 })],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, { TMax: 5, etaMin: 0.01 }), cosineAnnealing({ baseLr: 0.1, TMax: 5, etaMin: 0.01 })],
    ['CosineAnnealingWarmRestarts', (o) => new CosineAnnealingWarmRestarts(o, { T0: 3, TMult: 2, etaMin: 0.01 }), cosineAnnealingWarmRestarts({ baseLr: 0.1, T0: 3, TMult: 2, etaMin: 0.01 })],
    ['WarmupCosineLR', (o) => new WarmupCosineLR(o, { warmupSteps: 3, totalSteps: 12, minLr: 0.001 }), warmupCosine({ baseLr: 0.1, warmupSteps: 3, totalSteps: 12, minLr: 0.001 })],
    ['LambdaLR', (o) => new LambdaLR(o, { lrLambda: (t) => 1 / (1 + t) }), (t) => 0.1 / (1 + t)],
  ];

  it.each(cases)('%s writes schedule(t) after t steps (the chainable ones to the last bits)', (_name, make, schedule) => {
    const scheduler = make(groups(0.1));
    // 25 steps run the cosine past TMax and back, LinearLR and ConstantLR past their ends.
    assertAllclose(trajectory(scheduler, 25), sample(schedule, 26), { rtol: 1e-12, atol: 1e-17 });
  });

  it('a chainable decay rescales an lr edited between steps; a closed form overwrites it', () => {
    const a = groups(1);
    const step = new StepLR(a, { stepSize: 2, gamma: 0.5 });
    step.step(); // epoch 1: 1
    a.paramGroups[0]!.lr = 0.3; // edited from outside (a warmup, a user)
    step.step(); // epoch 2 is a decay: 0.3·0.5
    expect(a.paramGroups[0]!.lr).toBeCloseTo(0.15, 15);

    const b = groups(1);
    const cosine = new CosineAnnealingWarmRestarts(b, { T0: 4 });
    cosine.step();
    b.paramGroups[0]!.lr = 123;
    cosine.step(); // closed form at t = 2: (1 + cos(π/2))/2
    expect(b.paramGroups[0]!.lr).toBeCloseTo(0.5, 15);
  });

  it('LinearLR from startFactor 0 ramps up from zero (PyTorch 1.13 divides by zero here)', () => {
    const s = new LinearLR(groups(1), { startFactor: 0, totalIters: 4 });
    assertAllclose(trajectory(s, 5), [0, 0.25, 0.5, 0.75, 1, 1], EXACT);
  });

  it('MultiplicativeLR multiplies the current lr by lrLambda(t) from the second step on', () => {
    const o = groups(1);
    const s = new MultiplicativeLR(o, { lrLambda: (t) => 1 - 0.1 * t });
    // 1 → ·0.9 → ·0.8 → ·0.7
    assertAllclose(trajectory(s, 3), [1, 0.9, 0.72, 0.504], EXACT);
  });

  it('records initialLr once and uses it as the base for every scheduler after the first', () => {
    const o = groups(0.4);
    new ConstantLR(o, { factor: 0.5 });
    expect(o.paramGroups[0]!.lr).toBe(0.2);
    const second = new ExponentialLR(o, { gamma: 0.9 });
    expect(o.paramGroups[0]!.initialLr).toBe(0.4);
    expect(second.baseLrs).toEqual([0.4]);
  });

  it('per-group options: one value per param group, or a clear error', () => {
    const o = groups(0.1, 0.01);
    const s = new CyclicLR(o, { baseLr: [0.01, 0.001], maxLr: [0.1, 0.01], stepSizeUp: 2 });
    s.step();
    s.step();
    assertAllclose(s.getLastLr(), [0.1, 0.01], EXACT, 'both groups at their peaks');
    expect(() => new CyclicLR(groups(0.1, 0.01), { baseLr: [0.1], maxLr: 1 })).toThrow(/CyclicLR: baseLr has 1 values but the optimizer has 2 param groups/);
    expect(() => new LambdaLR(groups(0.1, 0.01), { lrLambda: [() => 1] })).toThrow(/lrLambda has 1 functions but the optimizer has 2 param groups/);
  });
});

describe('momentum cycling', () => {
  it("CyclicLR cycles Adam's betas[0] with a fresh betas array (the defaults' array is not touched)", () => {
    const p = zeros([1], { requiresGrad: true });
    const adam = new Adam([p], { lr: 0.01 });
    const defaultsBetas = adam.defaults.betas;
    const s = new CyclicLR(adam, { baseLr: 0.001, maxLr: 0.01, stepSizeUp: 2, baseMomentum: 0.85, maxMomentum: 0.95 });
    expect(adam.paramGroups[0]!.betas).toEqual([0.95, 0.999]);
    s.step();
    expect(adam.paramGroups[0]!.betas[0]).toBeCloseTo(0.9, 15);
    expect(adam.paramGroups[0]!.betas[1]).toBe(0.999);
    expect(defaultsBetas).toEqual([0.9, 0.999]);
  });

  it("OneCycleLR cycles SGD's momentum, and says what to do when there is none", () => {
    const p = zeros([1], { requiresGrad: true });
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9 });
    new OneCycleLR(sgd, { maxLr: 1, totalSteps: 10 });
    expect(sgd.paramGroups[0]!.momentum).toBe(0.95);
    const bare = { paramGroups: [{ lr: 0.1 }] };
    expect(() => new OneCycleLR(bare, { maxLr: 1, totalSteps: 10 })).toThrow(/cycleMomentum needs an optimizer whose param groups have momentum or betas; pass cycleMomentum: false/);
    expect(bare.paramGroups[0]).toEqual({ lr: 0.1 });
    new OneCycleLR(bare, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    expect(bare.paramGroups[0]!.lr).toBeCloseTo(0.04, 15);
  });
});

describe('bad options throw, name the option, and change nothing', () => {
  const attempts: Array<[string, (o: ReturnType<typeof groups>) => unknown, RegExp]> = [
    ['negative stepSize', (o) => new StepLR(o, { stepSize: -2 }), /StepLR: stepSize must be a positive integer, got -2/],
    ['TMax 0', (o) => new CosineAnnealingLR(o, { TMax: 0 }), /CosineAnnealingLR: TMax must be a positive integer, got 0/],
    ['maxLr missing', (o) => new CyclicLR(o, { baseLr: 0.01 } as never), /CyclicLR: maxLr is required/],
    ['unknown mode', (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, mode: 'square' as never }), /CyclicLR: mode must be one of/],
    ['OneCycleLR maxLr missing', (o) => new OneCycleLR(o, { totalSteps: 10 } as never), /OneCycleLR: maxLr is required/],
    ['OneCycleLR unknown annealStrategy', (o) => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never }), /annealStrategy must be one of "cos", "linear", got "exp"/],
    ['plateau mode', (o) => new ReduceLROnPlateau(o, { mode: 'up' as never }), /ReduceLROnPlateau: mode must be one of "min", "max", got "up"/],
    ['plateau factor 1', (o) => new ReduceLROnPlateau(o, { factor: 1 }), /factor must be < 1/],
    ['warm restarts TMult 0', (o) => new CosineAnnealingWarmRestarts(o, { T0: 5, TMult: 0 }), /TMult must be a positive integer, got 0/],
    ['ConstantLR factor 0', (o) => new ConstantLR(o, { factor: 0 }), /factor must be in \(0, 1\]/],
    ['ExponentialLR without gamma', (o) => new ExponentialLR(o, {} as never), /ExponentialLR: gamma is required/],
    ['SequentialLR milestones', (o) => new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 1 })], milestones: [3] }), /1 schedulers need 0 milestones/],
    ['not an optimizer', () => new StepLR({} as never, { stepSize: 1 }), /StepLR: expected an optimizer with a non-empty paramGroups array/],
  ];

  it.each(attempts)('%s', (_name, attempt, message) => {
    const o = groups(0.1);
    const before = structuredClone(o.paramGroups);
    expect(() => attempt(o)).toThrow(message);
    if (!/SequentialLR/.test(_name)) expect(o.paramGroups).toEqual(before);
  });

  it('the misspelt and mistyped options of issue reports are refused, naming the closest option', () => {
    const o = groups(0.1);
    const before = structuredClone(o.paramGroups);
    expect(() => new StepLR(o, { stepSize: 1, gama: 0.5 } as never)).toThrow(/StepLR: unknown option "gama" \(did you mean gamma\?\); known options are stepSize, gamma/);
    expect(() => new ReduceLROnPlateau(o, { patiance: 1 } as never)).toThrow(/ReduceLROnPlateau: unknown option "patiance" \(did you mean patience\?\)/);
    expect(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, threePhase: 'no' as never })).toThrow(/OneCycleLR: threePhase must be true or false, got "no"/);
    expect(() => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, cycleMomentum: 'no' as never })).toThrow(/CyclicLR: cycleMomentum must be true or false, got "no"/);
    expect(() => new CosineAnnealingLR(o, { T_max: 10 } as never)).toThrow(/unknown option "T_max" \(did you mean TMax\?\)/);
    expect(() => new StepLR(o, { stepSize: 1, toString: () => 'x' } as never)).toThrow(/unknown option "toString"; known options/);
    expect(() => stepDecay({ baseLr: 1, stepSize: 1, gamme: 0.5 } as never)).toThrow(/stepDecay: unknown option "gamme" \(did you mean gamma\?\)/);
    expect(() => oneCycle({ maxLr: 1, totalSteps: 10, threePhase: 1 as never })).toThrow(/oneCycle: threePhase must be true or false, got 1/);
    expect(o.paramGroups).toEqual(before);
  });

  it('every scheduler and schedule refuses an unknown key and reads no inherited option', () => {
    const valid: Array<[string, (o: ReturnType<typeof groups>, options: object) => unknown, object]> = [
      ['StepLR', (o, x) => new StepLR(o, x as never), { stepSize: 2 }],
      ['MultiStepLR', (o, x) => new MultiStepLR(o, x as never), { milestones: [2] }],
      ['ConstantLR', (o, x) => new ConstantLR(o, x as never), {}],
      ['LinearLR', (o, x) => new LinearLR(o, x as never), {}],
      ['ExponentialLR', (o, x) => new ExponentialLR(o, x as never), { gamma: 0.9 }],
      ['PolynomialLR', (o, x) => new PolynomialLR(o, x as never), {}],
      ['CosineAnnealingLR', (o, x) => new CosineAnnealingLR(o, x as never), { TMax: 5 }],
      ['LambdaLR', (o, x) => new LambdaLR(o, x as never), { lrLambda: () => 1 }],
      ['MultiplicativeLR', (o, x) => new MultiplicativeLR(o, x as never), { lrLambda: () => 1 }],
      ['CosineAnnealingWarmRestarts', (o, x) => new CosineAnnealingWarmRestarts(o, x as never), { T0: 3 }],
      ['WarmupCosineLR', (o, x) => new WarmupCosineLR(o, x as never), { warmupSteps: 1, totalSteps: 5 }],
      ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }],
      ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 1, totalSteps: 10 }],
      ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}],
      ['SequentialLR', (o, x) => new SequentialLR(o, { schedulers: [new StepLR(o, { stepSize: 1 })], milestones: [], ...x } as never), {}],
      ['stepDecay', (_o, x) => stepDecay(x as never), { baseLr: 1, stepSize: 2 }],
      ['multiStepDecay', (_o, x) => multiStepDecay(x as never), { baseLr: 1, milestones: [2] }],
      ['exponentialDecay', (_o, x) => exponentialDecay(x as never), { baseLr: 1, gamma: 0.9 }],
      ['constantFactor', (_o, x) => constantFactor(x as never), { baseLr: 1 }],
      ['linearRamp', (_o, x) => linearRamp(x as never), { baseLr: 1 }],
      ['polynomialDecay', (_o, x) => polynomialDecay(x as never), { baseLr: 1 }],
      ['cosineAnnealing', (_o, x) => cosineAnnealing(x as never), { baseLr: 1, TMax: 5 }],
      ['cosineAnnealingWarmRestarts', (_o, x) => cosineAnnealingWarmRestarts(x as never), { baseLr: 1, T0: 3 }],
      ['cyclic', (_o, x) => cyclic(x as never), { baseLr: 0.01, maxLr: 0.1 }],
      ['cyclicMomentum', (_o, x) => cyclicMomentum(x as never), {}],
      ['oneCycle', (_o, x) => oneCycle(x as never), { maxLr: 1, totalSteps: 10 }],
      ['oneCycleMomentum', (_o, x) => oneCycleMomentum(x as never), { totalSteps: 10 }],
      ['warmupCosine', (_o, x) => warmupCosine(x as never), { baseLr: 1, warmupSteps: 1, totalSteps: 5 }],
      ['swaAnnealing', (_o, x) => swaAnnealing(x as never), { startLr: 1, swaLr: 0.1 }],
    ];
    for (const [name, build, options] of valid) {
      expect(() => build(groups(0.1), options), `${name} with valid options`).not.toThrow();
      expect(() => build(groups(0.1), { ...options, lr_typo: 1 }), name).toThrow(new RegExp(`${name}: unknown option "lr_typo"`));
      // An option on the prototype is not an option: the built object sees only own keys.
      const inherited = Object.assign(Object.create({ lr_typo: 1 }) as object, options);
      expect(() => build(groups(0.1), inherited), `${name} with an inherited key`).not.toThrow();
    }
    // gamma 0.5 inherited is ignored (the default 0.1 applies), as for any key not given.
    const o = groups(1);
    new StepLR(o, Object.assign(Object.create({ gamma: 0.5 }) as object, { stepSize: 1 }) as never).step();
    expect(o.paramGroups[0]!.lr).toBeCloseTo(0.1, 15);
  });

  it('a start factor so small that the lr underflows climbs back along the closed form, never NaN', () => {
    // lr₀·5e-324 = 0 in doubles, so the ratio factor(1)/factor(0) ≈ 7e322 times 0 is no way back;
    // the step leaves the trough as from a zero factor: lr ← 0 + lr₀·factor(1).
    const o = groups(0.1);
    const s = new LinearLR(o, { startFactor: 5e-324, totalIters: 3 });
    expect(o.paramGroups[0]!.lr).toBe(0);
    assertAllclose(trajectory(s, 4).slice(1), [0.1 / 3, 0.2 / 3, 0.1, 0.1], { rtol: 1e-12, atol: 0 });
  });

  it('a step whose lr would leave the finite numbers is refused and changes nothing', () => {
    const o = groups(1);
    const s = new ExponentialLR(o, { gamma: 1e200 }); // epoch 0: lr·γ⁰ = 1
    s.step(); // epoch 1: 1e200
    expect(o.paramGroups[0]!.lr).toBe(1e200);
    expect(() => s.step()).toThrow(/ExponentialLR: the lr of param group 0 would be Infinity at epoch 2, which is not a finite number/);
    expect([o.paramGroups[0]!.lr, s.lastEpoch, s.getLastLr()[0]]).toEqual([1e200, 1, 1e200]);
  });

  it('OneCycleLR past totalSteps throws and leaves epoch and lr as they were', () => {
    const o = groups(0.1);
    const s = new OneCycleLR(o, { maxLr: 1, totalSteps: 3 });
    for (let t = 0; t < 3; t++) s.step(); // epochs 1, 2, 3 (PyTorch allows step == totalSteps)
    const lr = o.paramGroups[0]!.lr;
    expect(() => s.step()).toThrow(/OneCycleLR: step 4 is past the cycle's totalSteps 3/);
    expect(s.lastEpoch).toBe(3);
    expect(o.paramGroups[0]!.lr).toBe(lr);
  });
});

describe('composition', () => {
  it('SequentialLR: warmup then cosine, restarted at the milestone (joinSchedules is its closed form)', () => {
    const o = groups(0.1);
    const warmup = new LinearLR(o, { startFactor: 0.25, totalIters: 3 });
    const cosine = new CosineAnnealingLR(o, { TMax: 6 });
    const s = new SequentialLR(o, { schedulers: [warmup, cosine], milestones: [3] });
    const expected = joinSchedules([linearRamp({ baseLr: 0.1, startFactor: 0.25, totalIters: 3 }), cosineAnnealing({ baseLr: 0.1, TMax: 6 })], [3]);
    assertAllclose(trajectory(s, 12), sample(expected, 13), { rtol: 1e-12, atol: 1e-17 });
  });

  it('ChainedScheduler multiplies chainable factors: ConstantLR·ExponentialLR', () => {
    const o = groups(1);
    const s = new ChainedScheduler([new ConstantLR(o, { factor: 0.5, totalIters: 2 }), new ExponentialLR(o, { gamma: 0.9 })]);
    // 0.5·0.9^t for t < 2, then 0.9^t
    assertAllclose(trajectory(s, 4), [0.5, 0.45, 0.81, 0.729, 0.6561], EXACT);
  });

  it('ChainedScheduler refuses a metric-driven scheduler', () => {
    const o = groups(1);
    expect(() => new ChainedScheduler([new ReduceLROnPlateau(o)])).toThrow(/needs a metric on every step and cannot be chained/);
  });
});

describe('ReduceLROnPlateau', () => {
  it('waits patience bad steps, reduces, cools down, respects minLr', () => {
    const o = groups(1);
    const s = new ReduceLROnPlateau(o, { factor: 0.5, patience: 1, cooldown: 1, minLr: 0.3 });
    // metric 1 (best) · 1 (bad 1) · 1 (bad 2 > patience → lr 0.5, cooldown 1) · 1 (cooldown) · 1 (bad 1) · 1 (bad 2 → max(0.25, 0.3))
    const lrs = [1, 1, 1, 1, 1, 1].map((metric) => {
      s.step(metric);
      return o.paramGroups[0]!.lr;
    });
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5, 0.3]);
  });

  it('keeps its state JSON-safe (best = null before the first metric) and refuses a foreign state', () => {
    const o = groups(1);
    const s = new ReduceLROnPlateau(o, { mode: 'max' });
    expect(JSON.parse(JSON.stringify(s.stateDict())).best).toBeNull();
    s.step(0.5);
    const copy = new ReduceLROnPlateau(groups(1), { mode: 'max' });
    copy.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect(copy.best).toBe(0.5);
    expect(() => copy.loadStateDict(new StepLR(groups(1), { stepSize: 1 }).stateDict())).toThrow(/the state is from a "StepLR" scheduler, not ReduceLROnPlateau/);
    expect(() => s.step(undefined)).toThrow(/needs the monitored metric/);
  });
});

describe('state dicts', () => {
  const builders: Array<[string, (o: ReturnType<typeof groups>) => Scheduler]> = [
    ['StepLR', (o) => new StepLR(o, { stepSize: 2, gamma: 0.5 })],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, { TMax: 4, etaMin: 0.01 })],
    ['CyclicLR', (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 })],
    ['OneCycleLR', (o) => new OneCycleLR(o, { maxLr: 0.5, totalSteps: 30 })],
    ['SequentialLR', (o) => new SequentialLR(o, { schedulers: [new LinearLR(o, { totalIters: 3 }), new ExponentialLR(o, { gamma: 0.8 })], milestones: [3] })],
    ['ChainedScheduler', (o) => new ChainedScheduler([new ConstantLR(o, { factor: 0.5, totalIters: 5 }), new CosineAnnealingLR(o, { TMax: 10 })])],
  ];

  it.each(builders)('%s: a JSON round trip continues the same trajectory', (_name, build) => {
    const original = groups(0.1);
    const a = build(original);
    for (let t = 0; t < 7; t++) a.step();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));

    // A fresh optimizer restored to the same group values, and a fresh scheduler given the state.
    const restored = groups(0.1);
    const b = build(restored);
    restored.paramGroups[0] = structuredClone(original.paramGroups[0]!);
    b.loadStateDict(saved);
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(trajectory(b, 10)).toEqual(trajectory(a, 10));
  });

  it('refuses another kind or other options, and changes nothing', () => {
    const s = new StepLR(groups(0.1), { stepSize: 2 });
    s.step();
    const before = s.stateDict();
    expect(() => s.loadStateDict(new ExponentialLR(groups(0.1), { gamma: 0.5 }).stateDict())).toThrow(/StepLR.loadStateDict: the state is from a "ExponentialLR" scheduler, not StepLR/);
    expect(() => s.loadStateDict(new StepLR(groups(0.1), { stepSize: 3 }).stateDict())).toThrow(/option stepSize is 3 in the state but 2 here/);
    expect(() => s.loadStateDict({ ...before, lastEpoch: 1.5 })).toThrow(/lastEpoch must be an integer/);
    expect(s.stateDict()).toEqual(before);
  });

  it('refuses non-finite lrs and hostile values, naming the field, and changes nothing', () => {
    const o = groups(0.1, 0.2);
    const s = new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 });
    s.step();
    const before = s.stateDict();
    const groupsBefore = structuredClone(o.paramGroups);
    const deep: unknown[] = [];
    let inner = deep;
    for (let i = 0; i < 100_000; i++) inner = (inner[0] = []) as unknown[];
    const hostile: Array<[string, object, RegExp]> = [
      ['NaN lastLr', { lastLr: [Number.NaN, 0.1] }, /lastLr must list 2 finite numbers \(one per param group\), got \[NaN, 0.1\]/],
      ['infinite lastLr', { lastLr: [0.1, Infinity] }, /lastLr must list 2 finite numbers/],
      ['NaN baseLrs', { baseLrs: [0.01, Number.NaN] }, /baseLrs must list 2 finite numbers/],
      ['string baseLrs', { baseLrs: ['0.01', 0.01] }, /baseLrs must list 2 finite numbers.*got \["0.01", 0.01\]/],
      ['deeply nested lastLr', { lastLr: deep }, /lastLr must list 2 finite numbers.*got \[\[\[…\]\]\]/],
      ['deeply nested option', { options: { ...before.options, gamma: deep } }, /option gamma in the state is not plain JSON/],
      ['options not an object', { options: 'StepLR' }, /options must be an object, got "StepLR"/],
    ];
    for (const [name, change, message] of hostile) {
      expect(() => s.loadStateDict({ ...before, ...change } as never), name).toThrow(message);
      expect(s.stateDict(), name).toEqual(before);
      expect(o.paramGroups, name).toEqual(groupsBefore);
    }
    const plateau = new ReduceLROnPlateau(groups(1));
    expect(() => plateau.loadStateDict({ ...plateau.stateDict(), lastLr: [Number.NaN] })).toThrow(/ReduceLROnPlateau.loadStateDict: lastLr must list 1 finite numbers/);
  });

  it('a composite refuses a bad child state without loading the good ones', () => {
    const o = groups(0.1);
    const chained = new ChainedScheduler([new StepLR(o, { stepSize: 2 }), new ExponentialLR(o, { gamma: 0.9 })]);
    const before = chained.stateDict();
    const bad = structuredClone(before);
    (bad.schedulers as { lastEpoch: number }[])[0]!.lastEpoch = 40;
    (bad.schedulers as { options: { gamma: number } }[])[1]!.options.gamma = 0.5;
    expect(() => chained.loadStateDict(bad)).toThrow(/option gamma is 0.5 in the state but 0.9 here/);
    expect(chained.stateDict()).toEqual(before);
  });
});
