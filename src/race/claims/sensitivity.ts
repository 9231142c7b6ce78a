/**
 * Claim 11: Lookahead and RAdam are less sensitive to the learning rate.
 *
 * Protocol. An MLP on MNIST digits trained at a constant lr from a quarter-decade grid
 * 10⁻⁴ … 10^−0.5 (≈ 0.32), by Adam, Lookahead around Adam (k = 6, α = 0.5), RAdam, and Adam with
 * a linear warmup over 2/(1 − β₂) = 2,000 steps (Ma & Yarats' untuned warmup, the baseline
 * RAdam is measured against), from the same start and batches per seed. For each optimizer and
 * seed the final training loss (mean mini-batch loss over the last fifth of the steps) gives
 * two numbers: the width, in decades, of the interval of lrs around the optimizer's own best
 * whose final loss is within 1.25× that best; and the largest lr above the best that still
 * trains (final loss below half of chance, ln 10 / 2).
 *
 * Verdict: for each of Lookahead and RAdam, its width minus Adam's, paired by seed, must lie
 * above 0 with 95 % confidence (the widths are interpolated between grid points, so they are
 * measurements, not counts of grid steps); the claim holds when both do, does not hold when
 * either interval lies below 0, and is inconclusive otherwise.
 *
 * Literature: Zhang et al. (2019) show Lookahead's accuracy varying less over lrs; Liu et al.
 * (2020) show RAdam's robustness to the lr against Adam with and without warmup; Ma & Yarats
 * (2021) show Adam with a linear warmup of 2/(1 − β₂) steps matching RAdam. Deviation: 60 to
 * 1,000 steps on a small MLP (the papers train image and language models for many epochs),
 * so the low end of every interval is set by how far training gets at a small lr.
 *
 * Against v1: v1 measured the range of the loss across a 5-point grid whose smallest lr left
 * every run under-trained, so the spread came from the low end; Adam never became unstable
 * inside its grid. Here the grid reaches lrs where Adam fails, the width is read around each
 * optimizer's own best, and the warmup baseline is added.
 */
import { raceEntry } from '../entries.js';
import { decades } from '../budget.js';
import { mean, median, pairedDifference, sd, verdictOf, winCount, type Interval } from '../stats.js';
import { defineClaim, type Budget, type Verdict } from '../types.js';
import type { MnistTaskOptions } from '../tasks.js';
import { gridOver } from './choices.js';
import { everyVerdict } from './verdicts.js';
import { notRunOutcome, num } from './format.js';
import { runTaskTrial, taskSpec, type LrShape, type TaskRunResult, type TaskRunSpec } from './task-runs.js';

/** The contestants: race entries, and Adam with the warmup RAdam is compared with. */
type Arm = 'adam' | 'lookahead' | 'radam' | 'adam-warmup';
const CHALLENGERS = ['lookahead', 'radam'] as const;

interface Settings {
  readonly task: MnistTaskOptions;
  readonly steps: number;
  readonly batchSize: number;
  /** log10 of the grid's ends, and grid points per decade. */
  readonly grid: { readonly from: number; readonly to: number; readonly perDecade: number };
}

/** A final loss within this factor of the optimizer's own best counts as "as good". */
export const TOLERANCE = 1.25;
/** A run "trains" when its final loss is below half of chance level (ln 10 for ten digits). */
export const TRAINS_BELOW = Math.log(10) / 2;
/** Adam's β₂ = 0.999: Ma & Yarats' warmup of 2/(1 − β₂) steps. */
const WARMUP_STEPS = 2000;

/** What one optimizer's final losses over an ascending log-spaced lr grid say. */
export interface LrTolerance {
  /** Index of the lowest final loss, and the contiguous run of indices within tolerance of it. */
  readonly best: number;
  readonly first: number;
  readonly last: number;
  /**
   * The width of the interval within tolerance, in decades: from where the loss curve crosses
   * the limit below the run to where it crosses it above (linear in log lr between grid points;
   * at a failed neighbour or the grid's end, the run's own end point).
   */
  readonly widthDecades: number;
  /** The largest lr, going up from the best, whose run still trains (null if even the best does not). */
  readonly largestTraining: number | null;
}

/**
 * Reads a loss-by-lr curve. A failed run's loss (NaN, ∞) is neither within tolerance nor
 * training; only the interval connected to the best counts, so a lucky point beyond a failure
 * does not widen it. The crossings are interpolated so that the width is a measurement rather
 * than a count of grid steps, which over a few seeds would give spuriously exact intervals.
 */
export function lrTolerance(lrs: readonly number[], losses: readonly number[], tolerance = TOLERANCE, trainsBelow = TRAINS_BELOW): LrTolerance {
  if (lrs.length === 0 || lrs.length !== losses.length) throw new RangeError(`lrTolerance: ${lrs.length} learning rates for ${losses.length} losses`);
  let best = -1;
  losses.forEach((v, k) => {
    if (Number.isFinite(v) && (best < 0 || v < losses[best]!)) best = k;
  });
  if (best < 0) return { best: -1, first: -1, last: -1, widthDecades: 0, largestTraining: null };
  const limit = tolerance * losses[best]!;
  const within = (k: number): boolean => Number.isFinite(losses[k]!) && losses[k]! <= limit;
  const trains = (k: number): boolean => Number.isFinite(losses[k]!) && losses[k]! < trainsBelow;
  let first = best;
  while (first > 0 && within(first - 1)) first -= 1;
  let last = best;
  while (last + 1 < lrs.length && within(last + 1)) last += 1;
  let top = best;
  while (top + 1 < lrs.length && trains(top + 1)) top += 1;
  // Where the curve crosses the limit between an end of the run (inside) and its neighbour (outside).
  const crossing = (inside: number, outside: number): number => {
    const x = Math.log10(lrs[inside]!);
    if (outside < 0 || outside >= lrs.length || !Number.isFinite(losses[outside]!)) return x;
    const share = (limit - losses[inside]!) / (losses[outside]! - losses[inside]!);
    return x + share * (Math.log10(lrs[outside]!) - x);
  };
  return { best, first, last, widthDecades: crossing(last, last + 1) - crossing(first, first - 1), largestTraining: trains(best) ? lrs[top]! : null };
}

export interface SensitivityVerdict {
  readonly verdict: Verdict;
  readonly parts: ReadonlyArray<{ readonly challenger: string; readonly verdict: Verdict; readonly effect: Interval & { readonly differences: readonly number[] } }>;
}

/** The claim's rule: each challenger's width minus Adam's, per seed, above 0. */
export function sensitivityVerdict(adamWidths: readonly number[], challengers: ReadonlyArray<{ readonly challenger: string; readonly widths: readonly number[] }>): SensitivityVerdict {
  const parts = challengers.map(({ challenger, widths }) => {
    const effect = pairedDifference(widths, adamWidths);
    return { challenger, verdict: verdictOf(effect, 'above', 0), effect };
  });
  return { verdict: everyVerdict(parts.map((p) => p.verdict)), parts };
}

const labelOf = (arm: Arm): string => (arm === 'adam-warmup' ? `Adam + ${WARMUP_STEPS}-step warmup` : raceEntry(arm).label);

const armsOf = (plan: { has(id: string): boolean }): Arm[] => [...(['adam', ...CHALLENGERS] as const).filter((id) => plan.has(id)), ...(plan.has('adam') ? (['adam-warmup'] as const) : [])];

const gridLrs = (settings: Settings) => decades(settings.grid.from, settings.grid.to, settings.grid.perDecade);

const specFor = (plan: { budget: { name: Budget }; settings: Settings }, arm: Arm, lr: number, seed: number): TaskRunSpec => {
  const shape: LrShape = arm === 'adam-warmup' ? { kind: 'warmup', warmupSteps: WARMUP_STEPS } : { kind: 'constant' };
  return taskSpec(plan, { optimizer: arm === 'adam-warmup' ? 'adam' : arm, lr, seed, shape });
};

const armOf = (spec: TaskRunSpec): Arm => (spec.shape.kind === 'warmup' ? 'adam-warmup' : (spec.optimizer as Arm));

export const sensitivity = defineClaim<Settings, TaskRunSpec, TaskRunResult>({
  id: 'sensitivity',
  number: 11,
  title: 'Lookahead and RAdam are less sensitive to the learning rate',
  statement: "Lookahead's slow weights and RAdam's rectified warm-up make training robust to the choice of learning rate.",
  literature: [
    'Zhang, Lucas, Hinton & Ba (2019), Lookahead optimizer: k steps forward, 1 step back',
    'Liu et al. (2020), On the variance of the adaptive learning rate and beyond (RAdam)',
    'Ma & Yarats (2021), On the adequacy of untuned warmup for adaptive optimization',
  ],
  requires: { all: ['adam'], oneOf: [['lookahead', 'radam']] },
  budgets: {
    quick: { task: { side: 14, trainSize: 1200, validationSize: 300, testSize: 500, hidden: [32], splitSeed: 0 }, steps: 60, batchSize: 32, grid: { from: -3, to: -0.5, perDecade: 2 } },
    default: { task: { side: 14, trainSize: 5000, validationSize: 1000, testSize: 1667, hidden: [32], splitSeed: 0 }, steps: 200, batchSize: 32, grid: { from: -4, to: -0.5, perDecade: 4 } },
    full: { task: { side: 14, trainSize: 7333, validationSize: 1000, testSize: 1667, hidden: [32], splitSeed: 0 }, steps: 1000, batchSize: 32, grid: { from: -4, to: -0.5, perDecade: 4 } },
  },
  shared: [],
  seeded: true,
  trials: (plan) => armsOf(plan).flatMap((arm) => gridLrs(plan.settings).flatMap((lr) => plan.seeds.map((seed) => specFor(plan, arm, lr, seed)))),
  runTrial: runTaskTrial,
  conclude(done, plan) {
    const { seeds } = plan;
    const { steps, task, grid } = plan.settings;
    const lrs = gridLrs(plan.settings);
    const arms = armsOf(plan).map((arm) => {
      const points = gridOver(done, seeds, (s) => armOf(s) === arm, (s) => s.lr, (r) => r.finalLoss);
      const readings = seeds.map((_, k) => lrTolerance(lrs, points.map((p) => p.values[k]!)));
      const largest = readings.map((r) => r.largestTraining ?? Number.NaN);
      return { arm, label: labelOf(arm), points, readings, widths: readings.map((r) => r.widthDecades), largest };
    });
    const adam = arms.find((a) => a.arm === 'adam')!;
    const challengers = arms.filter((a) => (CHALLENGERS as readonly string[]).includes(a.arm));
    if (challengers.length === 0) return notRunOutcome(['lookahead or radam']);
    const { verdict, parts } = sensitivityVerdict(adam.widths, challengers.map((c) => ({ challenger: c.label, widths: c.widths })));
    const warmup = arms.find((a) => a.arm === 'adam-warmup');
    const radam = arms.find((a) => a.arm === 'radam');
    const versusWarmup = warmup && radam ? pairedDifference(radam.widths, warmup.widths) : null;
    const medianLr = (values: readonly number[]) => median(values.filter(Number.isFinite));
    const partText = (p: SensitivityVerdict['parts'][number]) => `${p.challenger} − Adam width ${num(p.effect.mean)} decades (95 % CI ${num(p.effect.lo)} to ${num(p.effect.hi)}), ${p.verdict}`;
    const first = parts[0]!;
    return {
      verdict,
      rule: `per challenger (Lookahead, RAdam): holds when the 95 % interval of its width minus Adam's (decades of lr within ${TOLERANCE}× of each one's own best final loss, paired by seed) lies entirely above 0, does not hold here when entirely below, inconclusive when it straddles 0; the claim holds when both hold, does not hold here when either does not, inconclusive otherwise`,
      effect: first.effect,
      wins: winCount(seeds.length, (k) => first.effect.differences[k]! > 0, `${first.challenger}'s interval wider than Adam's`),
      perSeed: Object.fromEntries([...arms.map((a) => [`${a.label} width (decades)`, a.widths] as const), ...arms.map((a) => [`${a.label} largest lr that trains`, a.largest] as const)]),
      method: `An MLP ${[task.side * task.side, ...task.hidden, 10].join('–')} (ReLU) on ${task.trainSize} MNIST digits, ${steps} steps of mini-batches of ${plan.settings.batchSize} at a constant lr from the grid ${lrs.map((v) => num(v)).join(', ')} (${grid.perDecade} per decade), from the same start and batches per seed, for ${arms.map((a) => a.label).join(', ')} (Adam + warmup: linear warmup over 2/(1 − β₂) = ${WARMUP_STEPS} steps, Ma & Yarats' untuned rule, which at this horizon never reaches the base lr, as RAdam's rectification does not either). Final loss = mean mini-batch loss over the last fifth of the steps. Per optimizer and seed: the width in decades of the interval of lrs around its own best whose final loss is within ${TOLERANCE}× of that best (its ends interpolated in log lr between grid points), and the largest lr above the best whose final loss is below ln 10 / 2 (it still trains). Deviation from the papers: ${steps} steps on a small MLP, so the low end of every interval is set by how far training gets.`,
      summary: `${parts.map(partText).join('; ')}. Mean width: ${arms.map((a) => `${a.label} ${num(mean(a.widths))}`).join(', ')} decades; largest lr that trains (median over seeds): ${arms.map((a) => `${a.label} ${num(medianLr(a.largest))}`).join(', ')}.`,
      interpretation:
        `Lookahead moves its slow weights only part of the way towards where the fast Adam steps went, and RAdam shrinks the early steps while its estimate of the second moment is unreliable; both damp what a too-large lr does. ` +
        (verdict === 'holds'
          ? 'Here that widens the range of good learning rates against Adam for both.'
          : verdict === 'does not hold here'
            ? `Here ${parts.filter((p) => p.verdict === 'does not hold here').map((p) => p.challenger).join(' and ')} does not widen the range of good learning rates: what the damping buys at high lrs, it costs at low ones within the same horizon, so the interval shifts rather than widens.`
            : 'Here the widths do not separate clearly from Adam\'s for both methods: the damping moves the interval to higher lrs more than it widens it.') +
        (versusWarmup ? ` Against Adam with the untuned warmup, RAdam's width differs by ${num(versusWarmup.mean)} decades (95 % CI ${num(versusWarmup.lo)} to ${num(versusWarmup.hi)}), the comparison Ma & Yarats make.` : ''),
      values: {
        steps,
        lrs,
        tolerance: TOLERANCE,
        arms: Object.fromEntries(arms.map((a) => [a.arm, { width: mean(a.widths), widthSd: sd(a.widths), largestTrainingLr: medianLr(a.largest), meanFinalLossByLr: a.points.map((p) => mean(p.values)) }])),
        parts: parts.map((p) => ({ challenger: p.challenger, verdict: p.verdict, mean: p.effect.mean, lo: p.effect.lo, hi: p.effect.hi })),
        radamMinusWarmup: versusWarmup ? { mean: versusWarmup.mean, lo: versusWarmup.lo, hi: versusWarmup.hi } : null,
      },
      table: {
        headers: ['optimizer', 'best lr (median)', `width within ${TOLERANCE}× (decades)`, 'largest lr that trains'],
        rows: arms.map((a) => [a.label, num(median(a.readings.map((r) => lrs[r.best] ?? Number.NaN))), `${num(mean(a.widths))} ± ${num(sd(a.widths))}`, num(medianLr(a.largest))]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-11-sensitivity',
          title: `Final training loss by lr, ${steps} steps (mean of ${seeds.length} seeds; failed runs left out)`,
          xLabel: 'learning rate',
          yLabel: 'final training loss',
          logX: true,
          logY: true,
          series: arms.map((a) => ({
            label: a.label,
            color: a.arm === 'adam-warmup' ? 'variant-1' : a.arm,
            dashed: a.arm === 'adam-warmup',
            points: a.points.map((p) => [p.setting, mean(p.values)] as const).filter(([, v]) => Number.isFinite(v)),
          })),
        },
      ],
    };
  },
});

