/**
 * Diagonal preconditioning fixes axis-aligned curvature only.
 *
 * Adagrad, RMSProp and Adam divide each coordinate's step by a running scale of that
 * coordinate's gradient: a diagonal preconditioner. On a quadratic whose curvatures sit on the
 * axes this undoes the conditioning (each coordinate's step no longer depends on its
 * curvature); turn the same quadratic and every coordinate mixes steep and flat directions,
 * which no per-coordinate scale can separate (Duchi et al. 2011 state Adagrad's guarantee for
 * the diagonal case against the best diagonal preconditioner in hindsight; Kingma & Ba 2015 call
 * Adam's step "invariant to diagonal rescaling of the gradients", not to rotations).
 *
 * Protocol: a 12-dimensional quadratic of condition κ = 1000 (curvatures evenly spread in log
 * scale over [1/κ, 1]), axis-aligned and turned by a random rotation (seeded, uniform over
 * rotations), both started from the same point relative to their curvature, so that plain GD,
 * which is rotation-invariant, sees the identical problem: it is the control and must need the
 * same number of steps on both. Measured: steps until f ≤ 10⁻⁴ f(w₀), for each optimizer at its
 * best learning rate (coarse half-octave grid, then eighth-octave around the winner, all in
 * lockstep, the first to reach the target being the best). 10⁻⁴ rather than 10⁻⁶: RMSProp with
 * a constant lr hovers at a floor that scales with lr, so a deep target measures its floor, not
 * how it handles the curvature.
 *
 * The effect per optimizer and seed is log₂(steps turned / steps axis-aligned).
 */
import { Generator } from '../../tensor/random.js';
import { QuadraticForm, logSpacedSpectrum, randomRotation } from '../../surfaces/quadratic.js';
import { raceEntry } from '../entries.js';
import { interval, mean, verdictOf, winCount } from '../stats.js';
import { defineClaim, type Verdict } from '../types.js';
import { num } from './format.js';
import { coarseThenFine, eighthOctavesAround, entryGroupFactory, octaveGrid, type RunConfig } from './lockstep.js';
import { everyVerdict } from './verdicts.js';

export const PRECONDITIONING_CONDITION = 1000;
export const PRECONDITIONING_DIMENSION = 12;
export const PRECONDITIONING_REDUCTION = 1e-4;
/**
 * Turning the curvature must cost a diagonal method at least this factor in steps for the claim
 * to hold (the rotation-invariant control pays exactly 1).
 */
export const ROTATION_PENALTY = 1.25;
/** The diagonal methods the claim is about, and the rotation-invariant control. */
export const DIAGONAL_METHODS = ['adagrad', 'rmsprop', 'adam'] as const;
export const CONTROL = 'sgd';
/** Learning rates searched: GD is stable below 2 (the steepest curvature is 1); the others step ~lr per coordinate. */
const LR_RANGES: Readonly<Record<string, readonly [number, number]>> = { sgd: [1 / 16, 2.9], adagrad: [1 / 256, 64], rmsprop: [1 / 256, 64], adam: [1 / 256, 64] };

export interface PreconditioningTrialSpec {
  readonly seed: number;
  readonly optimizer: string;
  readonly condition: number;
  readonly dimension: number;
  readonly reduction: number;
  /** Problems (start and rotation) per seed: Adam's cost of the turn varies from one to the next. */
  readonly instances: number;
}

export interface OrientationResult {
  /** Steps to the target at the best lr; null when no lr reached it within `maxSteps`. */
  readonly steps: number | null;
  readonly lr: number | null;
}

export interface PreconditioningTrialResult {
  /** One per problem instance. */
  readonly aligned: OrientationResult[];
  readonly turned: OrientationResult[];
  readonly maxSteps: number;
}

export function runPreconditioningTrial({ seed, optimizer, condition, dimension, reduction, instances }: PreconditioningTrialSpec): PreconditioningTrialResult {
  const generator = new Generator(seed);
  const spectrum = logSpacedSpectrum(dimension, condition);
  const create = entryGroupFactory(optimizer);
  const [low, high] = LR_RANGES[optimizer]!;
  // GD at its best needs ~(κ/4)·ln(1/reduction) steps; four times that bounds every run worth having.
  const maxSteps = Math.ceil(condition * Math.log(1 / reduction));
  const solve = (form: QuadraticForm, eigenStart: Float64Array): OrientationResult => {
    const start = form.fromEigenbasis(eigenStart);
    const f0 = form.value(start);
    const problem = { start, value: (w: Float64Array) => form.value(w), gradient: (w: Float64Array, out: Float64Array) => form.gradient(w, out) };
    const limits = { target: reduction * f0, maxSteps, divergeAbove: 1e6 * f0 };
    const lrs = (values: readonly number[]): RunConfig[] => values.map((lr) => ({ lr }));
    const best = coarseThenFine(create, lrs(octaveGrid(low, high, 2)), (winner) => lrs(eighthOctavesAround(winner.lr)), problem, limits);
    return { steps: best.steps, lr: best.config?.lr ?? null };
  };
  const aligned: OrientationResult[] = [];
  const turned: OrientationResult[] = [];
  for (let k = 0; k < instances; k++) {
    // The start in the eigenbasis, wᵢ ~ N(0, 1/λᵢ) (every curvature holds the same loss in
    // expectation), then the rotation: the same draws for every optimizer of a seed.
    const eigenStart = Float64Array.from(spectrum, (lambda) => generator.normal() / Math.sqrt(lambda));
    const rotation = randomRotation(dimension, () => generator.normal());
    aligned.push(solve(new QuadraticForm(spectrum), eigenStart));
    turned.push(solve(new QuadraticForm(spectrum, rotation), eigenStart));
  }
  return { aligned, turned, maxSteps };
}

/** Mean over instances of log₂(steps turned / steps axis-aligned); a run that never reached the target counts at the step limit (understating its cost). */
export function rotationPenalty({ aligned, turned, maxSteps }: PreconditioningTrialResult): number {
  return mean(aligned.map((a, k) => Math.log2((turned[k]!.steps ?? maxSteps) / (a.steps ?? maxSteps))));
}

/** Each diagonal method's verdict: holds when its whole interval of log₂(turned/aligned) lies above log₂ ROTATION_PENALTY. */
export function preconditioningVerdict(penalties: ReadonlyArray<{ readonly lo: number; readonly hi: number }>): Verdict {
  return everyVerdict(penalties.map((p) => verdictOf(p, 'above', Math.log2(ROTATION_PENALTY))));
}

interface Settings {
  readonly instances: number;
}

export const preconditioning = defineClaim<Settings, PreconditioningTrialSpec, PreconditioningTrialResult>({
  id: 'preconditioning',
  number: 14,
  title: 'Diagonal preconditioning fixes axis-aligned curvature only',
  statement:
    "Adagrad, RMSProp and Adam scale each coordinate's step by that coordinate's gradient history: this undoes curvature that lies along the axes, but not the same curvature turned away from them.",
  literature: [
    'Duchi, Hazan & Singer (2011), Adaptive subgradient methods (the diagonal case)',
    'Kingma & Ba (2015), Adam, §2: "invariant to diagonal rescaling of the gradients"',
    'Tieleman & Hinton (2012), Lecture 6.5, RMSProp',
  ],
  requires: { all: [], oneOf: [[...DIAGONAL_METHODS]] },
  budgets: { quick: { instances: 3 }, default: { instances: 3 }, full: { instances: 4 } },
  shared: [],
  seeded: true,
  trials: (plan) =>
    plan.seeds.flatMap((seed) =>
      [CONTROL, ...DIAGONAL_METHODS]
        .filter((id) => id === CONTROL || plan.has(id))
        .map((optimizer) => ({ seed, optimizer, condition: PRECONDITIONING_CONDITION, dimension: PRECONDITIONING_DIMENSION, reduction: PRECONDITIONING_REDUCTION, instances: plan.settings.instances })),
    ),
  runTrial: (spec) => runPreconditioningTrial(spec),
  conclude(done, plan) {
    const methods = DIAGONAL_METHODS.filter((id) => plan.has(id));
    const resultsOf = (id: string): PreconditioningTrialResult[] => plan.seeds.map((seed) => done.find((d) => d.spec.seed === seed && d.spec.optimizer === id)!.result);
    const perSeed: Record<string, number[]> = {};
    for (const id of [CONTROL, ...methods]) perSeed[id] = resultsOf(id).map(rotationPenalty);
    const penalties = methods.map((id) => interval(perSeed[id]!));
    const verdict = preconditioningVerdict(penalties);
    const label = (id: string): string => raceEntry(id).label;
    const geometric = (id: string, side: 'aligned' | 'turned'): number => Math.exp(mean(resultsOf(id).flatMap((r) => r[side].map((o) => Math.log(o.steps ?? r.maxSteps)))));
    const factor = (p: { mean: number; lo: number; hi: number }): string => `${num(2 ** p.mean)}× [${num(2 ** p.lo)}, ${num(2 ** p.hi)}]`;
    const control = interval(perSeed[CONTROL]!);
    const holding = methods.filter((_, k) => verdictOf(penalties[k]!, 'above', Math.log2(ROTATION_PENALTY)) === 'holds');
    const wins = winCount(plan.seeds.length, (k) => methods.every((id) => perSeed[id]![k]! > Math.log2(ROTATION_PENALTY)), `every diagonal method needs ≥ ${ROTATION_PENALTY}× the steps on the turned quadratic`);
    const gdSteps = geometric(CONTROL, 'aligned');
    // The share of a method's aligned advantage over GD (in log steps) that the turn takes away.
    const edgeLost = (id: string): number => Math.log(geometric(id, 'turned') / geometric(id, 'aligned')) / Math.log(gdSteps / geometric(id, 'aligned'));
    return {
      verdict,
      rule: `per diagonal method (${methods.map(label).join(', ')}): holds when the 95 % interval of log₂(steps on the turned quadratic / steps on the axis-aligned one) lies above log₂ ${ROTATION_PENALTY}; the claim holds when it holds for every method, does not hold here when any interval lies entirely below, inconclusive otherwise`,
      effect: penalties.reduce((worst, p) => (p.mean < worst.mean ? p : worst)),
      wins,
      perSeed: Object.fromEntries(Object.entries(perSeed).map(([id, values]) => [`log2 turned/aligned ${id}`, values])),
      method:
        `A ${PRECONDITIONING_DIMENSION}-dimensional quadratic of condition κ = ${PRECONDITIONING_CONDITION}, curvatures spread evenly in log scale over [1/κ, 1]: once with the curvatures on the axes, once turned by a uniformly random rotation, both started from the same point relative to their curvature (wᵢ ~ N(0, 1/λᵢ) in the eigenbasis); ${plan.settings.instances} such problems (start and rotation) per seed, their log penalties averaged. ` +
        `Steps until f ≤ ${num(PRECONDITIONING_REDUCTION)}·f(w₀), each optimizer at its best learning rate on each (a half-octave grid, then an eighth-octave one around the winner, in lockstep; the first to reach the target is the best), at most ${resultsOf(CONTROL)[0]!.maxSteps} steps. ` +
        `Plain GD (SGD) is the control: it is rotation-invariant, so it must need the same steps on both. ` +
        `A target of 10⁻⁴ rather than 10⁻⁶: RMSProp at a constant lr hovers at a floor that scales with lr, and a deeper target would measure that floor rather than the curvature.`,
      summary:
        methods.map((id, k) => `${label(id)} needs ${factor(penalties[k]!)} the steps once the curvature is turned (${num(geometric(id, 'aligned'))} → ${num(geometric(id, 'turned'))})`).join('; ') +
        `. Control: SGD ${num(gdSteps)} → ${num(geometric(CONTROL, 'turned'))} steps (${factor(control)}).`,
      interpretation:
        `On the axis-aligned quadratic each coordinate is one curvature, and a step divided by that coordinate's gradient scale no longer depends on the curvature: ` +
        methods.map((id) => `${label(id)} needs ${num(geometric(id, 'aligned'))} steps`).join(', ') +
        ` where GD needs ${num(gdSteps)}. Turned, every coordinate mixes steep and flat directions; the per-coordinate scale is then about the same for all coordinates and cannot separate them, so the per-coordinate advantage is lost: ` +
        methods.map((id) => `${label(id)} ${num(geometric(id, 'turned'))}`).join(', ') +
        ` steps. ` +
        (holding.length === methods.length
          ? `Every diagonal method needs more than ${ROTATION_PENALTY}× its steps once the curvature is turned.`
          : `Not every method pays beyond doubt more than ${ROTATION_PENALTY}× for the turn: ${methods.filter((id) => !holding.includes(id)).map(label).join(', ')}.`) +
        ` Of each method's aligned speed-up over GD (in log scale), the turn removes ${methods.map((id) => `${num(100 * edgeLost(id))} % for ${label(id)}`).join(', ')}` +
        (methods.includes('adam') ? `: Adam keeps part of its edge because its momentum (β₁), like heavy ball's, is rotation-invariant.` : '.') +
        ` A full-matrix preconditioner (Newton, natural gradient, Shampoo) would be rotation-invariant; a diagonal one is not.`,
      values: {
        condition: PRECONDITIONING_CONDITION,
        dimension: PRECONDITIONING_DIMENSION,
        reduction: PRECONDITIONING_REDUCTION,
        trials: done.map((d) => ({ seed: d.spec.seed, optimizer: d.spec.optimizer, aligned: d.result.aligned.map((o) => ({ ...o })), turned: d.result.turned.map((o) => ({ ...o })) })),
      },
      table: {
        headers: ['optimizer', 'steps, axis-aligned (lrs chosen)', 'steps, turned (lrs chosen)', 'turned / aligned', 'speed-up over GD, aligned', 'speed-up over GD, turned'],
        rows: [CONTROL, ...methods].map((id) => {
          const lrs = (side: 'aligned' | 'turned'): string => {
            const values = resultsOf(id).flatMap((r) => r[side].map((o) => o.lr ?? Number.NaN));
            return `${num(Math.min(...values))}–${num(Math.max(...values))}`;
          };
          const p = interval(perSeed[id]!);
          return [
            label(id),
            `${num(geometric(id, 'aligned'))} (${lrs('aligned')})`,
            `${num(geometric(id, 'turned'))} (${lrs('turned')})`,
            factor(p),
            `${num(gdSteps / geometric(id, 'aligned'))}×`,
            `${num(geometric(CONTROL, 'turned') / geometric(id, 'turned'))}×`,
          ];
        }),
      },
      figures: [
        {
          kind: 'bar',
          name: 'claim-14-aligned-vs-turned',
          title: `Steps to f ≤ ${num(PRECONDITIONING_REDUCTION)}·f(w₀), κ = ${PRECONDITIONING_CONDITION}, best lr each`,
          yLabel: 'steps',
          logY: true,
          categories: [CONTROL, ...methods].map(label),
          series: [
            { label: 'axis-aligned', color: 'variant-1', values: [CONTROL, ...methods].map((id) => geometric(id, 'aligned')) },
            { label: 'turned', color: 'variant-2', values: [CONTROL, ...methods].map((id) => geometric(id, 'turned')) },
          ],
        },
      ],
    };
  },
});
