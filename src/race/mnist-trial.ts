/**
 * One training run on the table task as a trial: the spec names the optimizer (with extra
 * options), lr, schedule, seed, steps and batch size; the result holds the numbers the claims
 * read. Claims 6 and 8–12 build their experiments from these.
 */
import { Generator } from '../tensor/random.js';
import { cosineAnnealing } from '../schedulers/index.js';
import { BUDGETS } from './budget.js';
import { raceEntry } from './entries.js';
import { evaluate, smooth, tailMean, trainClassifier, type TrainResult } from './harness.js';
import { l2, sharpness } from './probes.js';
import { mnistTask } from './tasks.js';
import type { Budget, TrialEnv } from './types.js';

export interface MnistTrialSpec {
  readonly budget: Budget;
  readonly optimizer: string;
  /** Options over the entry's own (weightDecay, betas, …). */
  readonly options?: Readonly<Record<string, number | boolean | readonly number[]>>;
  readonly lr: number;
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  /** 'cosine': the lr decays from `lr` to 0 over `steps` (src/schedulers' cosineAnnealing). */
  readonly schedule?: 'cosine';
  /** Also measure accuracy on the held-out validation digits. */
  readonly validation?: boolean;
  /** Also measure sharpness: random ± perturbations of this fraction of the initial weights' norm. */
  readonly sharpness?: { readonly radiusFraction: number; readonly samples: number };
}

export interface MnistTrialResult {
  /** Mean training loss over the last fifth of the steps (+∞ when diverged). */
  readonly score: number;
  /** The running (EMA) training loss per step. */
  readonly curve: readonly number[];
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly diverged: boolean;
  readonly weightNorm: number;
  readonly validationAccuracy: number | null;
  readonly sharpness: { readonly radius: number; readonly base: number; readonly increase: number } | null;
  readonly testCount: number;
}

export function trainingScore(run: TrainResult): number {
  return run.diverged ? Number.POSITIVE_INFINITY : tailMean(run.losses, Math.max(5, Math.round(run.losses.length / 5)));
}

export function runMnistTrial(spec: MnistTrialSpec, env: TrialEnv): MnistTrialResult {
  const budget = BUDGETS[spec.budget];
  const task = mnistTask(env.datasets, budget.mnist);
  const run = trainClassifier(task, raceEntry(spec.optimizer).factory(spec.options ?? {}), {
    steps: spec.steps,
    batchSize: spec.batchSize,
    seed: spec.seed,
    lr: spec.lr,
    schedule: spec.schedule === 'cosine' ? (baseLr) => cosineAnnealing({ baseLr, TMax: spec.steps }) : undefined,
  });
  const params = run.model.parameters();
  let sharp: MnistTrialResult['sharpness'] = null;
  if (spec.sharpness) {
    const initialNorm = Math.sqrt(task.buildModel(new Generator(spec.seed)).parameters().reduce((sum, p) => sum + l2(p.data) ** 2, 0));
    const radius = spec.sharpness.radiusFraction * initialNorm;
    const count = Math.min(1000, task.train.x.shape[0]!);
    const probe = { x: task.train.x.slice(0, count), y: task.train.y.slice(0, count) };
    // The same random directions for every run of a seed: the generator is reseeded per measurement.
    const measured = run.diverged ? { base: Number.POSITIVE_INFINITY, increase: Number.POSITIVE_INFINITY } : sharpness(run.model, probe, radius, spec.sharpness.samples, new Generator(spec.seed + 12));
    sharp = { radius, base: measured.base, increase: measured.increase };
  }
  return {
    score: trainingScore(run),
    curve: Array.from(smooth(run.losses)),
    trainLoss: run.trainLoss,
    trainAccuracy: run.trainAccuracy,
    testLoss: run.testLoss,
    testAccuracy: run.testAccuracy,
    diverged: run.diverged,
    weightNorm: Math.sqrt(params.reduce((sum, p) => sum + l2(p.data) ** 2, 0)),
    validationAccuracy: spec.validation ? (run.diverged ? 0 : evaluate(run.model, task.validation).accuracy) : null,
    sharpness: sharp,
    testCount: task.test.x.shape[0]!,
  };
}
