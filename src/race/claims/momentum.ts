/**
 * Momentum's √κ speed-up on ill-conditioned quadratics (Polyak 1964; Goh, "Why Momentum Really
 * Works", Distill 2017).
 *
 * On f = ½ wᵀA w with curvatures in [m, L], κ = L/m, gradient descent at its best step
 * 2/(L + m) contracts the error by (κ − 1)/(κ + 1) per step, so it needs ~κ steps per decade;
 * heavy ball at its best (lr, μ) = (4/(√L + √m)², ((√κ − 1)/(√κ + 1))²) contracts it by
 * (√κ − 1)/(√κ + 1), ~√κ steps per decade. The ratio of the two step counts grows like √κ.
 *
 * Protocol: for κ ∈ {10, 100, 1000, 10⁴}, a d-dimensional quadratic whose curvatures are spread
 * evenly in log scale over [1/κ, 1] (many curvatures, as in a network, rather than two: with only
 * two, a lucky oscillation of heavy ball can cross the target early), started at a random point
 * (seeded) whose loss is spread evenly over the curvatures in expectation. Measured: steps until
 * f ≤ 10⁻⁶ f(w₀) for
 *   - GD (descent's SGD, μ = 0) at its best lr,
 *   - heavy ball (SGD with momentum μ) at its best (lr, μ),
 *   - heavy ball with μ fixed at 0.9 (the usual default) at its best lr.
 * "Best" is searched the same way for all three: a coarse grid (half-octave lr, half-octave
 * 1 − μ), then a fine one around the coarse winner (eighth-octave lr, quarter-octave 1 − μ).
 * All configurations of a grid run in lockstep, and the first to reach the target is the best.
 *
 * The verdict rests on the slope of log(speed-up) against log κ, one slope per seed: √κ means
 * a slope of ½.
 */
import { Generator } from '../../tensor/random.js';
import { SGD } from '../../optim/sgd.js';
import { QuadraticForm, logSpacedSpectrum } from '../../surfaces/quadratic.js';
import { interval, mean, verdictOf, winCount } from '../stats.js';
import { defineClaim, type Verdict } from '../types.js';
import { num } from './format.js';
import { coarseThenFine, eighthOctavesAround, octaveGrid, type GroupOptimizerFactory, type RunConfig } from './lockstep.js';
import { everyVerdict } from './verdicts.js';

export const MOMENTUM_CONDITIONS = [10, 100, 1000, 10_000] as const;
/** The loss reduction that counts as "solved". */
export const MOMENTUM_REDUCTION = 1e-6;
export const MOMENTUM_DIMENSION = 12;
export const FIXED_MOMENTUM = 0.9;

/** The slope of log(speed-up) vs log κ that √κ predicts, and how far from it still counts as √κ. */
export const SQRT_SLOPE = 0.5;
export const SLOPE_TOLERANCE = 0.15;

export interface MomentumTrialSpec {
  readonly seed: number;
  readonly condition: number;
  readonly dimension: number;
  readonly reduction: number;
}

export interface Tuned {
  /** Steps to the target; null when no configuration reached it within the limit. */
  readonly steps: number | null;
  readonly lr: number | null;
  readonly momentum: number | null;
}

export interface MomentumTrialResult {
  readonly seed: number;
  readonly condition: number;
  readonly gd: Tuned;
  readonly heavyBall: Tuned;
  readonly fixedMomentum: Tuned;
}

const sgdGroups: GroupOptimizerFactory = (groups) => new SGD(groups as never);

/** Every (lr, μ) pair of two grids; `oneMinusMomentum` holds 1 − μ. */
function pairs(lrs: readonly number[], oneMinusMomentum: readonly number[]): RunConfig[] {
  return lrs.flatMap((lr) => oneMinusMomentum.map((gap) => ({ lr, momentum: 1 - gap })));
}

export function runMomentumTrial({ seed, condition, dimension, reduction }: MomentumTrialSpec): MomentumTrialResult {
  const generator = new Generator(seed);
  const spectrum = logSpacedSpectrum(dimension, condition);
  const form = new QuadraticForm(spectrum);
  // wᵢ ~ N(0, 1/λᵢ): every curvature holds the same loss in expectation.
  const start = Float64Array.from(spectrum, (lambda) => generator.normal() / Math.sqrt(lambda));
  const f0 = form.value(start);
  const problem = { start, value: (w: Float64Array) => form.value(w), gradient: (w: Float64Array, out: Float64Array) => form.gradient(w, out) };
  // GD at the best step needs ~(κ/4)·ln(1/reduction) steps; four times that is ample for any grid point worth having.
  const limits = { target: reduction * f0, maxSteps: Math.ceil(condition * Math.log(1 / reduction)) + 1000, divergeAbove: 1e6 * f0 };

  const search = (coarse: RunConfig[], refine: (best: RunConfig) => RunConfig[]): Tuned => {
    const best = coarseThenFine(sgdGroups, coarse, refine, problem, limits);
    return best.config === null ? { steps: null, lr: null, momentum: null } : { steps: best.steps, lr: best.config.lr, momentum: best.config.momentum as number };
  };
  const fineLrs = eighthOctavesAround;
  const fineGaps = (gap: number): number[] => (gap >= 1 ? [1, 2 ** -0.25, 2 ** -0.5] : [-2, -1, 0, 1, 2].map((k) => Math.min(1, gap * 2 ** (k / 4))));

  // L = 1: GD is stable below lr 2 and its best is 2/(1 + 1/κ) ≥ 1.8 for κ ≥ 10, heavy ball's
  // below 2(1 + μ) < 4 and its best 4/(1 + 1/√κ)² ≥ 2.3; the grids start a factor 4 lower.
  const gd = search(pairs(octaveGrid(1 / 2, 2.9, 2), [1]), (best) => pairs(fineLrs(best.lr), [1]));
  const heavyBall = search(pairs(octaveGrid(1 / 2, 5.7, 2), [1, ...octaveGrid(1 / 1024, 0.71, 2)]), (best) =>
    pairs(fineLrs(best.lr), fineGaps(1 - (best.momentum as number))),
  );
  const fixed = 1 - FIXED_MOMENTUM;
  const fixedMomentum = search(pairs(octaveGrid(1 / 64, 5.7, 2), [fixed]), (best) => pairs(fineLrs(best.lr), [fixed]));
  return { seed, condition, gd, heavyBall, fixedMomentum };
}

/**
 * Least-squares slope of log(GD steps / heavy-ball steps) against log κ over one seed's trials;
 * null when a run never reached the target (its speed-up is unknown).
 */
export function speedupSlope(trials: readonly MomentumTrialResult[]): number | null {
  const points: Array<[number, number]> = [];
  for (const t of trials) {
    if (t.gd.steps === null || t.heavyBall.steps === null) return null;
    points.push([Math.log(t.condition), Math.log(t.gd.steps / t.heavyBall.steps)]);
  }
  if (points.length < 2) return null;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/**
 * The two-sided rule: the claim predicts a slope of ½, so it holds when the whole interval lies
 * within ½ ± SLOPE_TOLERANCE, and does not hold here when the whole interval lies outside.
 */
export function momentumVerdict(slope: { readonly lo: number; readonly hi: number }): Verdict {
  return everyVerdict([verdictOf(slope, 'above', SQRT_SLOPE - SLOPE_TOLERANCE), verdictOf(slope, 'below', SQRT_SLOPE + SLOPE_TOLERANCE)]);
}

interface Settings {
  /** f must fall to this fraction of f(w₀). */
  readonly reduction: number;
}

const geometricMean = (values: readonly number[]): number => Math.exp(mean(values.map(Math.log)));

export const momentum = defineClaim<Settings, MomentumTrialSpec, MomentumTrialResult>({
  id: 'momentum',
  number: 13,
  title: "Momentum's √κ speed-up on ill-conditioned quadratics",
  statement:
    'On an ill-conditioned problem gradient descent needs a number of steps proportional to the condition number κ; heavy-ball momentum, well tuned, needs only about √κ, so its speed-up grows like √κ.',
  literature: ['Polyak (1964), Some methods of speeding up the convergence of iteration methods', 'Goh (2017), Why momentum really works, Distill'],
  requires: { all: ['sgd', 'momentum'], oneOf: [] },
  // A 10⁻⁴ reduction at --quick: two thirds of the steps of 10⁻⁶, the same √κ law.
  budgets: { quick: { reduction: 1e-4 }, default: { reduction: MOMENTUM_REDUCTION }, full: { reduction: MOMENTUM_REDUCTION } },
  shared: [],
  seeded: true,
  trials: (plan) => plan.seeds.flatMap((seed) => MOMENTUM_CONDITIONS.map((condition) => ({ seed, condition, dimension: MOMENTUM_DIMENSION, reduction: plan.settings.reduction }))),
  runTrial: (spec) => runMomentumTrial(spec),
  conclude(done, plan) {
    const results = done.map((d) => d.result);
    const bySeed = plan.seeds.map((seed) => MOMENTUM_CONDITIONS.map((condition) => results.find((r) => r.seed === seed && r.condition === condition)!));
    const slopes = bySeed.map((trials) => speedupSlope(trials) ?? Number.NaN);
    const slope = interval(slopes);
    const verdict = momentumVerdict(slope);
    const at = (condition: number, read: (r: MomentumTrialResult) => number | null): number[] =>
      results.filter((r) => r.condition === condition).map((r) => read(r) ?? Number.NaN);
    const speedups = MOMENTUM_CONDITIONS.map((c) => geometricMean(at(c, (r) => (r.gd.steps === null || r.heavyBall.steps === null ? null : r.gd.steps / r.heavyBall.steps))));
    const stepsOf = (read: (r: MomentumTrialResult) => number | null) => MOMENTUM_CONDITIONS.map((c) => geometricMean(at(c, read)));
    const gdSteps = stepsOf((r) => r.gd.steps);
    const heavySteps = stepsOf((r) => r.heavyBall.steps);
    const fixedSteps = stepsOf((r) => r.fixedMomentum.steps);
    const smallest = MOMENTUM_CONDITIONS[0];
    const fixedVsGd = results.filter((r) => r.condition === smallest).map((r) => (r.fixedMomentum.steps ?? Number.POSITIVE_INFINITY) / (r.gd.steps ?? Number.POSITIVE_INFINITY));
    const fixedSlower = winCount(fixedVsGd.length, (k) => fixedVsGd[k]! > 1, `heavy ball at μ = ${FIXED_MOMENTUM} needs more steps than GD at κ = ${smallest}`);
    const crossing = MOMENTUM_CONDITIONS.find((_, k) => fixedSteps[k]! < gdSteps[k]!);
    const reductionText = `f ≤ ${num(plan.settings.reduction)}·f(w₀)`;
    const tuned = (c: number, read: (r: MomentumTrialResult) => number | null): string => num(geometricMean(at(c, read)));
    return {
      verdict,
      rule: `holds when the 95 % interval of the slope of log(GD steps / heavy-ball steps) against log κ lies within ${SQRT_SLOPE} ± ${SLOPE_TOLERANCE} (√κ has slope ½); does not hold here when it lies entirely outside; inconclusive otherwise`,
      effect: slope,
      perSeed: { slope: slopes },
      wins: fixedSlower,
      method:
        `${MOMENTUM_DIMENSION}-dimensional quadratics f = ½ Σ λᵢwᵢ² with curvatures spread evenly in log scale over [1/κ, 1], κ ∈ {${MOMENTUM_CONDITIONS.join(', ')}}, started at wᵢ ~ N(0, 1/λᵢ) (seeded: every curvature holds the same loss in expectation). ` +
        `Steps until ${reductionText} for GD (SGD, μ = 0) at its best lr, heavy ball (SGD with momentum) at its best (lr, μ), and heavy ball with μ fixed at ${FIXED_MOMENTUM} at its best lr. ` +
        `Each best is searched alike: a half-octave grid in lr (from a quarter of theory's best up to the stability limit; from 1/64 for μ = ${FIXED_MOMENTUM}) and in 1 − μ (down to 1/1024), then an eighth-octave grid in lr and quarter-octave in 1 − μ around the winner; every configuration of a grid runs in lockstep and the first to reach the target is the best. ` +
        `Many curvatures rather than two: on a 2-D quadratic a lucky oscillation of heavy ball crosses the target early and the speed-up jumps by 50 % from seed to seed.`,
      summary:
        `The speed-up of tuned heavy ball over tuned GD grows with slope ${num(slope.mean)} [${num(slope.lo)}, ${num(slope.hi)}] in log–log (√κ: ½): ` +
        MOMENTUM_CONDITIONS.map((c, k) => `κ = ${c}: ${num(speedups[k])}× (√κ = ${num(Math.sqrt(c))})`).join(', ') +
        `. At κ = ${smallest} heavy ball with μ = ${FIXED_MOMENTUM} needs ${num(geometricMean(fixedVsGd))}× GD's steps (${fixedSlower.count}/${fixedSlower.of} seeds slower)` +
        (crossing === undefined ? '.' : `; it beats GD from κ = ${crossing} on.`),
      interpretation:
        `GD's step must stay below 2/L to keep the steepest direction stable, so the flattest direction shrinks by only ~(1 − 2/κ) per step: about κ steps per decade. ` +
        `Heavy ball's best μ = ((√κ − 1)/(√κ + 1))² lets velocity build along the flat directions while the steep ones oscillate and damp, so every direction contracts by ~(1 − 2/√κ): about √κ steps per decade, and the ratio grows like √κ (measured slope ${num(slope.mean)}). ` +
        `The tuned μ rises with κ (${MOMENTUM_CONDITIONS.map((c) => `${tuned(c, (r) => r.heavyBall.momentum)} at κ = ${c}`).join(', ')}); theory's optimum is ${MOMENTUM_CONDITIONS.map((c) => num(((Math.sqrt(c) - 1) / (Math.sqrt(c) + 1)) ** 2)).join(', ')}. ` +
        `A fixed μ = ${FIXED_MOMENTUM} is the optimum only near κ ≈ 1400; on a better-conditioned problem it keeps too much velocity and rings, contracting by no more than √μ ≈ 0.95 per step whatever the lr` +
        (fixedSlower.count > fixedSlower.of / 2 ? `, which is why it is slower than plain GD at κ = ${smallest}.` : `; here that did not make it slower than plain GD at κ = ${smallest}.`),
      values: {
        conditions: [...MOMENTUM_CONDITIONS],
        reduction: plan.settings.reduction,
        speedup: speedups,
        stepsGd: gdSteps,
        stepsHeavyBall: heavySteps,
        stepsFixedMomentum: fixedSteps,
        trials: results.map((r) => ({ seed: r.seed, condition: r.condition, gd: { ...r.gd }, heavyBall: { ...r.heavyBall }, fixedMomentum: { ...r.fixedMomentum } })),
      },
      table: {
        headers: ['κ', 'GD steps (lr)', 'heavy ball steps (lr, μ)', `μ = ${FIXED_MOMENTUM} steps (lr)`, 'speed-up', '√κ'],
        rows: MOMENTUM_CONDITIONS.map((c, k) => [
          String(c),
          `${num(gdSteps[k])} (${tuned(c, (r) => r.gd.lr)})`,
          `${num(heavySteps[k])} (${tuned(c, (r) => r.heavyBall.lr)}, ${tuned(c, (r) => r.heavyBall.momentum)})`,
          `${num(fixedSteps[k])} (${tuned(c, (r) => r.fixedMomentum.lr)})`,
          `${num(speedups[k])}×`,
          num(Math.sqrt(c)),
        ]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-13-steps-vs-condition',
          title: `Steps until ${reductionText}, geometric mean over seeds`,
          xLabel: 'condition number κ',
          yLabel: 'steps',
          logX: true,
          logY: true,
          series: [
            { label: 'GD, best lr', color: 'sgd', points: MOMENTUM_CONDITIONS.map((c, k) => [c, gdSteps[k]!] as const) },
            { label: 'heavy ball, best (lr, μ)', color: 'variant-1', points: MOMENTUM_CONDITIONS.map((c, k) => [c, heavySteps[k]!] as const) },
            { label: `heavy ball, μ = ${FIXED_MOMENTUM}, best lr`, color: 'variant-2', dashed: true, points: MOMENTUM_CONDITIONS.map((c, k) => [c, fixedSteps[k]!] as const) },
          ],
        },
        {
          kind: 'line',
          name: 'claim-13-speedup',
          title: 'Speed-up of tuned heavy ball over tuned GD, against √κ',
          xLabel: 'condition number κ',
          yLabel: 'GD steps / heavy-ball steps',
          logX: true,
          logY: true,
          series: [
            { label: 'measured', color: 'variant-1', points: MOMENTUM_CONDITIONS.map((c, k) => [c, speedups[k]!] as const) },
            { label: '√κ', color: 'variant-6', dashed: true, points: MOMENTUM_CONDITIONS.map((c) => [c, Math.sqrt(c)] as const) },
          ],
        },
      ],
    };
  },
});
