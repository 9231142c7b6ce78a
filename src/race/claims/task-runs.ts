/**
 * The training run that claims 8–12 are made of, as a trial: an MLP on MNIST digits with the
 * task's shape, the optimizer's configuration, the lr and its schedule, all in the spec. Claims
 * that choose a setting read the validation accuracy; claim 9 makes regularization matter by
 * corrupting a share of the training labels; claim 12 measures the curvature of the minimum
 * (probes.ts).
 *
 * Every run of a seed starts from the same weights and sees the same batches, whatever the
 * optimizer, so that runs of one seed can be compared pairwise.
 */
import { Tensor } from '../../tensor/tensor.js';
import { Generator } from '../../tensor/random.js';
import { linearRamp, warmupCosine } from '../../schedulers/index.js';
import { getWrapperSpec } from '../../optim/registry.js';
import { raceEntry } from '../entries.js';
import { evaluate, smooth, tailMean, trainClassifier, type OptimizerFactory, type OptimizerLike } from '../harness.js';
import { curvature, type Curvature } from '../probes.js';
import { mnistTask, type MnistTaskOptions } from '../tasks.js';
import type { Budget, TrialEnv } from '../types.js';

/**
 * The lr over a run of `steps`: constant; linear warmup from lr/W at the first step to lr at
 * step W (PyTorch's LinearLR), then constant; or that warmup (W = 0: none) followed by a cosine
 * decay to 0 at the last step.
 */
export type LrShape = { readonly kind: 'constant' } | { readonly kind: 'warmup'; readonly warmupSteps: number } | { readonly kind: 'cosine'; readonly warmupSteps: number };

export function lrSchedule(shape: LrShape, steps: number): ((baseLr: number) => (step: number) => number) | undefined {
  switch (shape.kind) {
    case 'constant':
      return undefined;
    case 'warmup':
      return (baseLr) => linearRamp({ baseLr, startFactor: 1 / shape.warmupSteps, endFactor: 1, totalIters: shape.warmupSteps });
    case 'cosine':
      return (baseLr) => warmupCosine({ baseLr, warmupSteps: shape.warmupSteps, totalSteps: steps, warmupStartFactor: shape.warmupSteps > 0 ? 1 / shape.warmupSteps : 0 });
  }
}

export interface TaskRunSpec {
  readonly budget: Budget;
  /** A race entry id (its fixed options apply: momentum 0.9 for 'momentum' and 'lars', …). */
  readonly optimizer: string;
  /** Options over the entry's own (weightDecay); `rho` is SAM's radius. */
  readonly options?: { readonly weightDecay?: number; readonly rho?: number };
  readonly lr: number;
  readonly shape: LrShape;
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly task: MnistTaskOptions;
  /** The share of training labels replaced by a uniformly drawn digit (fixed per task, not per seed). */
  readonly labelNoise?: number;
  /** Measure the minimum's curvature on this many training digits. */
  readonly curvature?: { readonly digits: number; readonly iterations: number; readonly rho: number };
}

/** What a claim's settings fix for all its runs: the task, the horizon and the batch. */
export interface TaskShape {
  readonly task: MnistTaskOptions;
  readonly steps: number;
  readonly batchSize: number;
}

/** A run's spec: the claim's fixed shape, and what this run varies. */
export function taskSpec(
  plan: { readonly budget: { readonly name: Budget }; readonly settings: TaskShape },
  run: Pick<TaskRunSpec, 'optimizer' | 'lr' | 'seed' | 'shape'> & Partial<Pick<TaskRunSpec, 'options' | 'labelNoise' | 'curvature'>>,
): TaskRunSpec {
  const { task, steps, batchSize } = plan.settings;
  return { budget: plan.budget.name, task, steps, batchSize, ...run };
}

export interface TaskRunResult {
  /** Mean mini-batch training loss over the last fifth of the steps (+∞ when diverged). */
  readonly finalLoss: number;
  /** The running (EMA) mini-batch loss, every `curveStride`-th step. */
  readonly curve: readonly number[];
  readonly curveStride: number;
  /** Loss on the whole training split as trained on (noisy labels included). */
  readonly trainLoss: number;
  readonly validationAccuracy: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly diverged: boolean;
  readonly curvature: Curvature | null;
}

/** Points kept of a loss curve: enough for a figure, few enough for a JSON result. */
const CURVE_POINTS = 200;

/** The race entry's optimizer, or SAM with radius ρ around the race's SGD + momentum. */
export function taskFactory(optimizer: string, options: TaskRunSpec['options'] = {}): OptimizerFactory {
  const { rho, ...extra } = options;
  if (optimizer !== 'sam' || rho === undefined) return raceEntry(optimizer).factory(extra);
  const inner = raceEntry('momentum').factory(extra);
  return (params, lr) => getWrapperSpec('sam').create(inner(params, lr) as never, { rho }) as unknown as OptimizerLike;
}

export function runTaskTrial(spec: TaskRunSpec, env: TrialEnv): TaskRunResult {
  const base = mnistTask(env.datasets, spec.task);
  const task = spec.labelNoise ? { ...base, train: { x: base.train.x, y: noisyLabels(base.train.y, spec.labelNoise, 10, new Generator(9)) } } : base;
  const run = trainClassifier(task, taskFactory(spec.optimizer, spec.options), {
    steps: spec.steps,
    batchSize: spec.batchSize,
    seed: spec.seed,
    lr: spec.lr,
    schedule: lrSchedule(spec.shape, spec.steps),
  });
  const stride = Math.max(1, Math.ceil(spec.steps / CURVE_POINTS));
  const smoothed = smooth(run.losses);
  const curvatureSpec = spec.curvature;
  return {
    finalLoss: run.diverged ? Number.POSITIVE_INFINITY : tailMean(run.losses, Math.max(5, Math.round(spec.steps / 5))),
    curve: Array.from({ length: Math.ceil(spec.steps / stride) }, (_, k) => smoothed[k * stride]!),
    curveStride: stride,
    trainLoss: run.trainLoss,
    validationAccuracy: run.diverged ? 0 : evaluate(run.model, task.validation).accuracy,
    testAccuracy: run.testAccuracy,
    testLoss: run.testLoss,
    diverged: run.diverged,
    curvature:
      curvatureSpec && !run.diverged
        ? curvature(run.model, { x: task.train.x.slice(0, curvatureSpec.digits), y: task.train.y.slice(0, curvatureSpec.digits) }, { ...curvatureSpec, generator: new Generator(spec.seed + 12) })
        : null,
  };
}

/**
 * Labels with a share `fraction` replaced by a class drawn uniformly (which may be the true
 * one): the classic way to make memorization hurt, so that a regularizer has work to do.
 */
export function noisyLabels(y: Tensor, fraction: number, classes: number, generator: Generator): Tensor {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`noisyLabels: fraction must be in [0, 1], got ${fraction}`);
  const labels = Float32Array.from(y.data, (label) => {
    const replace = generator.uniform() < fraction;
    const drawn = Math.floor(generator.uniform() * classes);
    return replace ? drawn : label;
  });
  return new Tensor(labels, [...y.shape]);
}
