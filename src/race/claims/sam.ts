/**
 * Claim 12: SAM finds flatter minima.
 *
 * Protocol. An MLP on MNIST digits trained by SGD with momentum 0.9 (cosine schedule from
 * lr 0.1, the lr claim 8's validation sweep chooses for it) and by SAM around that same SGD
 * with radius ρ swept over 0.02 … 0.2, from the same start and batches per seed. At the end,
 * on a fixed set of training digits and in float64: the top eigenvalue λ_max of the loss's
 * Hessian by power iteration on Hessian-vector products (differences of gradients), and SAM's
 * own worst-case sharpness L(w + ρ_eval·g/‖g‖) − L(w) at ρ_eval = 0.05; beside them the
 * training loss and the test accuracy. Flatness only counts at an equal fit (a SAM that does
 * not train looks flattest), so the verdict uses the largest ρ whose mean training loss is
 * within 10 % of the base optimizer's (the smallest ρ if none is).
 *
 * Verdict: log(λ_max of SAM / λ_max of SGD + momentum), paired by seed, must lie below 0 with
 * 95 % confidence; above 0 it does not hold; straddling, inconclusive.
 *
 * Literature: Foret et al. (2021) SAM, with the Hessian spectrum and m-sharpness as their
 * measures of flatness; Keskar et al. (2017) sharpness as the loss increase in a neighbourhood;
 * Yao et al. (2020) λ_max by power iteration; Dinh et al. (2017) on why flatness must be read
 * with care. Deviation: a small MLP, λ_max on 512 training digits rather than the full set.
 *
 * Against v1: v1 measured sharpness as the loss increase under random perturbations of norm
 * 25× ρ at one untuned ρ, and did not put training loss beside it.
 */
import { raceEntry } from '../entries.js';
import { mean, pairedDifference, sd, verdictOf, winCount, type Interval } from '../stats.js';
import { defineClaim, type Budget, type Verdict } from '../types.js';
import type { MnistTaskOptions } from '../tasks.js';
import { perSeed } from './choices.js';
import { num, percent } from './format.js';
import { runTaskTrial, taskSpec, type TaskRunResult, type TaskRunSpec } from './task-runs.js';

interface Settings {
  readonly task: MnistTaskOptions;
  readonly steps: number;
  readonly batchSize: number;
  readonly rhos: readonly number[];
  readonly curvature: { readonly digits: number; readonly iterations: number };
}

/** SGD + momentum's lr with the cosine schedule (claim 8's validation choice at its default budget). */
export const BASE_LR = 0.1;
/** The radius at which every minimum's worst-case sharpness is measured. */
export const RHO_EVAL = 0.05;
/** A ρ is comparable when its mean training loss is at most this factor of the base optimizer's. */
export const COMPARABLE_LOSS = 1.1;

/** The largest ρ whose mean training loss is within `COMPARABLE_LOSS`× of the base's; the smallest ρ if none is. */
export function comparableRho(baseLoss: number, lossByRho: ReadonlyArray<{ readonly rho: number; readonly loss: number }>): number {
  if (lossByRho.length === 0) throw new RangeError('comparableRho: no radius to choose from');
  const sorted = [...lossByRho].sort((a, b) => a.rho - b.rho);
  const fitting = sorted.filter((r) => r.loss <= COMPARABLE_LOSS * baseLoss);
  return (fitting[fitting.length - 1] ?? sorted[0]!).rho;
}

/** The claim's rule: log(λ_max SAM / λ_max base) per seed, below 0. */
export function samVerdict(baseEigenvalues: readonly number[], samEigenvalues: readonly number[]): { verdict: Verdict; effect: Interval & { readonly differences: readonly number[] } } {
  const effect = pairedDifference(samEigenvalues.map(Math.log), baseEigenvalues.map(Math.log));
  return { verdict: verdictOf(effect, 'below', 0), effect };
}

const specFor = (plan: { budget: { name: Budget }; settings: Settings }, rho: number, seed: number): TaskRunSpec =>
  taskSpec(plan, {
    optimizer: rho === 0 ? 'momentum' : 'sam',
    ...(rho === 0 ? {} : { options: { rho } }),
    lr: BASE_LR,
    seed,
    shape: { kind: 'cosine', warmupSteps: 0 },
    curvature: { ...plan.settings.curvature, rho: RHO_EVAL },
  });

const rhoOf = (spec: TaskRunSpec): number => spec.options?.rho ?? 0;

export const sam = defineClaim<Settings, TaskRunSpec, TaskRunResult>({
  id: 'sam',
  number: 12,
  title: 'SAM finds flatter minima',
  statement: 'Sharpness-aware minimization seeks parameters whose whole neighbourhood has low loss: it ends in flatter minima than its base optimizer.',
  literature: [
    'Foret, Kleiner, Mobahi & Neyshabur (2021), Sharpness-aware minimization for efficiently improving generalization',
    'Keskar et al. (2017), On large-batch training for deep learning: generalization gap and sharp minima',
    'Yao, Gholami, Keutzer & Mahoney (2020), PyHessian: neural networks through the lens of the Hessian',
    'Dinh, Pascanu, Bengio & Bengio (2017), Sharp minima can generalize for deep nets',
  ],
  requires: { all: ['sam', 'momentum'], oneOf: [] },
  budgets: {
    quick: { task: { side: 14, trainSize: 1200, validationSize: 300, testSize: 500, hidden: [32], splitSeed: 0 }, steps: 250, batchSize: 32, rhos: [0.05, 0.2], curvature: { digits: 256, iterations: 12 } },
    default: { task: { side: 14, trainSize: 5000, validationSize: 1000, testSize: 1667, hidden: [32], splitSeed: 0 }, steps: 1000, batchSize: 32, rhos: [0.02, 0.05, 0.1, 0.2], curvature: { digits: 512, iterations: 20 } },
    full: { task: { side: 14, trainSize: 7333, validationSize: 1000, testSize: 1667, hidden: [32], splitSeed: 0 }, steps: 3000, batchSize: 32, rhos: [0.02, 0.035, 0.05, 0.1, 0.2], curvature: { digits: 1000, iterations: 30 } },
  },
  shared: [],
  seeded: true,
  trials: (plan) => [0, ...plan.settings.rhos].flatMap((rho) => plan.seeds.map((seed) => specFor(plan, rho, seed))),
  runTrial: runTaskTrial,
  conclude(done, plan) {
    const { seeds } = plan;
    const { steps, task, curvature } = plan.settings;
    const at = (rho: number, select: (r: TaskRunResult) => number) => perSeed(done, seeds, (s) => rhoOf(s) === rho, select);
    const rows = [0, ...plan.settings.rhos].map((rho) => ({
      rho,
      label: rho === 0 ? raceEntry('momentum').label : `SAM ρ = ${rho}`,
      eigenvalue: at(rho, (r) => r.curvature?.topEigenvalue ?? Number.NaN),
      ascent: at(rho, (r) => r.curvature?.ascentSharpness ?? Number.NaN),
      trainLoss: at(rho, (r) => r.trainLoss),
      testAccuracy: at(rho, (r) => r.testAccuracy),
    }));
    const base = rows[0]!;
    const rho = comparableRho(mean(base.trainLoss), rows.slice(1).map((r) => ({ rho: r.rho, loss: mean(r.trainLoss) })));
    const chosen = rows.find((r) => r.rho === rho)!;
    const { verdict, effect } = samVerdict(base.eigenvalue, chosen.eigenvalue);
    const ascent = pairedDifference(chosen.ascent, base.ascent);
    const accuracy = pairedDifference(chosen.testAccuracy, base.testAccuracy);
    const ratio = Math.exp(effect.mean);
    return {
      verdict,
      rule: `holds when the 95 % interval of log(λ_max of SAM / λ_max of SGD + momentum), paired by seed, lies entirely below 0, at the largest ρ whose mean training loss is within ${Math.round(100 * (COMPARABLE_LOSS - 1))} % of SGD + momentum's; does not hold here when it lies entirely above 0; inconclusive when it straddles 0`,
      effect,
      wins: winCount(seeds.length, (k) => effect.differences[k]! < 0, `SAM (ρ = ${rho})'s λ_max below SGD + momentum's`),
      perSeed: Object.fromEntries(rows.flatMap((r) => [[`${r.label} λ_max`, r.eigenvalue] as const, [`${r.label} training loss`, r.trainLoss] as const])),
      method: `An MLP ${[task.side * task.side, ...task.hidden, 10].join('–')} (ReLU) on ${task.trainSize} MNIST digits, ${steps} steps of mini-batches of ${plan.settings.batchSize} with a cosine schedule from lr ${BASE_LR}, from the same start and batches per seed: SGD with momentum 0.9, and SAM around that same SGD with ρ ∈ {${plan.settings.rhos.join(', ')}} (two gradients per step). At the end, on ${curvature.digits} training digits in float64: λ_max of the Hessian by ${curvature.iterations} power iterations on Hessian-vector products (differences of gradients, ε = 10⁻⁶), and the worst-case sharpness L(w + ρ_eval·g/‖g‖) − L(w) at ρ_eval = ${RHO_EVAL}; the training loss on all ${task.trainSize} training digits and the test accuracy on ${task.testSize} beside them. The verdict compares SGD + momentum with the largest ρ whose mean training loss is within ${Math.round(100 * (COMPARABLE_LOSS - 1))} % of SGD + momentum's, since flatness bought by not fitting says nothing. Deviation from Foret et al.: a small MLP, and λ_max on a subset of the training digits.`,
      summary: `At ρ = ${rho} (training loss ${num(mean(chosen.trainLoss))} vs ${num(mean(base.trainLoss))}): λ_max ${num(mean(chosen.eigenvalue))} vs ${num(mean(base.eigenvalue))} for SGD + momentum, a ratio of ${num(ratio)} (95 % CI ${num(Math.exp(effect.lo))} to ${num(Math.exp(effect.hi))}); worst-case sharpness at ρ_eval = ${RHO_EVAL} ${num(mean(chosen.ascent))} vs ${num(mean(base.ascent))}; test accuracy ${percent(mean(chosen.testAccuracy))} vs ${percent(mean(base.testAccuracy))}.`,
      interpretation:
        `SAM takes each step from the worst point within radius ρ of the weights, so it is pulled away from directions in which the loss climbs fast, the directions of large Hessian eigenvalues. ` +
        (verdict === 'holds'
          ? `At an equal fit (ρ = ${rho}) its minimum's top curvature is ${num(ratio)}× that of SGD + momentum's on every reading of the interval: flatter, as the claim says.`
          : verdict === 'does not hold here'
            ? `Here, at an equal fit (ρ = ${rho}), its minimum is sharper than SGD + momentum's, so the claim does not hold at this scale.`
            : `At an equal fit (ρ = ${rho}) the top curvature differs by a ratio of ${num(ratio)}, within the seed-to-seed spread.`) +
        ` The first-order worst case at ρ_eval differs by ${num(ascent.mean)} (95 % CI ${num(ascent.lo)} to ${num(ascent.hi)}): at a point that is not an exact minimum it is dominated by ρ_eval·‖g‖, so it tracks the fit as much as the curvature. Larger ρ flattens further but fits less (training loss ${rows.map((r) => num(mean(r.trainLoss))).join(' → ')} from ρ = 0 to ${plan.settings.rhos[plan.settings.rhos.length - 1]}); test accuracy moves by ${num(100 * accuracy.mean)} points at the chosen ρ (95 % CI ${num(100 * accuracy.lo)} to ${num(100 * accuracy.hi)}).`,
      values: {
        lr: BASE_LR,
        steps,
        comparableRho: rho,
        eigenvalueRatio: ratio,
        rows: rows.map((r) => ({ rho: r.rho, topEigenvalue: mean(r.eigenvalue), topEigenvalueSd: sd(r.eigenvalue), ascentSharpness: mean(r.ascent), trainLoss: mean(r.trainLoss), testAccuracy: mean(r.testAccuracy) })),
      },
      table: {
        headers: ['optimizer', 'λ_max', `worst case at ρ = ${RHO_EVAL}`, 'training loss', 'test accuracy'],
        rows: rows.map((r) => [r.rho === rho ? `${r.label} (compared)` : r.label, `${num(mean(r.eigenvalue))} ± ${num(sd(r.eigenvalue))}`, num(mean(r.ascent)), num(mean(r.trainLoss)), percent(mean(r.testAccuracy))]),
      },
      figures: [
        {
          kind: 'line',
          name: 'claim-12-sharpness',
          title: `Top Hessian eigenvalue and training loss by SAM's ρ (ρ = 0: SGD + momentum; mean of ${seeds.length} seeds)`,
          xLabel: 'ρ',
          yLabel: 'λ_max, training loss (log)',
          logY: true,
          series: [
            { label: 'λ_max', color: 'sam', points: rows.map((r) => [r.rho, mean(r.eigenvalue)] as const) },
            { label: 'training loss', color: 'variant-1', points: rows.map((r) => [r.rho, mean(r.trainLoss)] as const) },
          ],
        },
      ],
    };
  },
});
