/**
 * The race's training loops: an optimizer on a 2-D surface, and an optimizer training a
 * classifier on a dataset. Both hold the start and the data order fixed by a seed, so that
 * runs of different optimizers differ only in the optimizer.
 */
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { DataLoader, TensorDataset } from '../data/index.js';
import { noGrad } from '../autograd/engine.js';
import type { Module } from '../nn/index.js';
import * as F from '../nn/functional.js';
import { clampPoint, type Surface } from '../surfaces/index.js';

/** What the race needs of an optimizer: PyTorch's contract, nothing more. */
export interface OptimizerLike {
  readonly paramGroups: ReadonlyArray<{ lr: number; [option: string]: unknown }>;
  step(closure?: () => Tensor | number): unknown;
  zeroGrad(options?: { setToNone?: boolean }): void;
}

/** Builds an optimizer over `params` with learning rate `lr` (everything else fixed by the caller). */
export type OptimizerFactory = (params: Tensor[], lr: number) => OptimizerLike;

// ---------------------------------------------------------------------------------------------
// Surfaces

export interface SurfaceTrace {
  /** x₀, y₀, x₁, y₁, …: the start, then the point after every step. */
  readonly points: Float64Array;
  /** f at each of those points. */
  readonly values: Float64Array;
  /** Steps taken before stopping (fewer than asked when the run diverged). */
  readonly steps: number;
  readonly diverged: boolean;
}

export interface SurfaceRunOptions {
  readonly steps: number;
  readonly start?: readonly [number, number];
  /** The point as a 1 × 2 matrix, for an optimizer of matrices only (Muon); else a vector. */
  readonly asMatrix?: boolean;
}

/** One point of a surface run: where the optimizer is after `step` steps (step 0 is the start). */
export interface SurfacePoint {
  readonly step: number;
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

/** How a surface run ended: the steps taken (fewer than asked when it diverged). */
export interface SurfaceWalk {
  readonly steps: number;
  readonly diverged: boolean;
}

/**
 * Minimizes a surface from its start, yielding each point as it is reached, so a caller that
 * prints the path holds one point at a time; returns how the run ended. The gradient is the
 * surface's analytic one, handed to the optimizer through a closure (so SAM and L-BFGS, which
 * re-evaluate, work unchanged). Parameters are float64, so that trajectories near a minimum are
 * not float32 noise. A step that leaves the finite numbers (or passes |f| = 10¹²) ends the run
 * as diverged and is not yielded.
 */
export function* surfacePath(surface: Surface, factory: OptimizerFactory, lr: number, { steps, start = surface.start, asMatrix = false }: SurfaceRunOptions) {
  const shape = asMatrix ? [1, 2] : [2];
  const point = new Tensor(Float64Array.of(start[0], start[1]), shape, { requiresGrad: true });
  const optimizer = factory([point], lr);
  const gradient = new Float64Array(2);
  const closure = (): number => {
    const [x, y] = point.data as Float64Array;
    surface.gradient(x!, y!, gradient);
    point.grad = new Tensor(Float64Array.of(gradient[0]!, gradient[1]!), [...shape]);
    return surface.value(x!, y!);
  };
  yield { step: 0, x: start[0], y: start[1], value: surface.value(start[0], start[1]) };
  for (let t = 1; t <= steps; t++) {
    optimizer.step(closure);
    const data = point.data;
    if (surface.clampToDomain) {
      const [cx, cy] = clampPoint(surface.domain, data[0]!, data[1]!);
      data[0] = cx;
      data[1] = cy;
    }
    const x = data[0]!;
    const y = data[1]!;
    const value = surface.value(x, y);
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(value)) || Math.abs(value) > 1e12) return { steps: t, diverged: true };
    yield { step: t, x, y, value };
  }
  return { steps, diverged: false };
}

/** {@link surfacePath} with every point kept; points after a divergence stay NaN. */
export function runOnSurface(surface: Surface, factory: OptimizerFactory, lr: number, options: SurfaceRunOptions): SurfaceTrace {
  const points = new Float64Array(2 * (options.steps + 1)).fill(Number.NaN);
  const values = new Float64Array(options.steps + 1).fill(Number.NaN);
  const path = surfacePath(surface, factory, lr, options);
  for (let next = path.next(); ; next = path.next()) {
    if (next.done) return { points, values, ...next.value };
    const { step, x, y, value } = next.value;
    points[2 * step] = x;
    points[2 * step + 1] = y;
    values[step] = value;
  }
}

/** The first step at which `values[t]` ≤ `target`, or null. */
export function firstBelow(values: ArrayLike<number>, target: number): number | null {
  for (let t = 0; t < values.length; t++) if (values[t]! <= target) return t;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Classification

export interface LabelledData {
  readonly x: Tensor;
  /** Class numbers as a float tensor [N]. */
  readonly y: Tensor;
}

export interface ClassifierTask {
  readonly name: string;
  readonly description: string;
  readonly train: LabelledData;
  readonly test: LabelledData;
  /** A fresh model; the generator fixes its initial weights. */
  buildModel(generator: Generator): Module;
}

export interface TrainOptions {
  readonly steps: number;
  readonly batchSize: number;
  /** Seeds the initial weights and the order of the mini-batches. */
  readonly seed: number;
  readonly lr: number;
  /** The learning rate as a function of the step (t counts from 0), built from the base lr: a schedule from src/schedulers. */
  readonly schedule?: (baseLr: number) => (step: number) => number;
  /** Called after each step with the model and optimizer (for probes: effective lr, norms). */
  readonly onStep?: (step: number, model: Module, optimizer: OptimizerLike) => void;
}

export interface TrainResult {
  /** The mini-batch loss of every step (NaN after a divergence). */
  readonly losses: Float64Array;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly diverged: boolean;
  readonly msPerStep: number;
  readonly model: Module;
  readonly optimizer: OptimizerLike;
}

/**
 * Mini-batch training with cross-entropy. Batches are drawn epoch by epoch from a seeded
 * permutation, so every optimizer sees the same batches in the same order.
 */
export function trainClassifier(task: ClassifierTask, factory: OptimizerFactory, options: TrainOptions): TrainResult {
  const { steps, batchSize, seed, lr, schedule, onStep } = options;
  const model = task.buildModel(new Generator(seed));
  const params = model.parameters();
  const optimizer = factory(params, lr);
  const schedules = schedule ? optimizer.paramGroups.map((g) => schedule(g.lr)) : null;
  const loader = new DataLoader(new TensorDataset(task.train.x, task.train.y), {
    batchSize: Math.min(batchSize, task.train.x.shape[0]!),
    shuffle: true,
    dropLast: true,
    generator: new Generator(seed + 7919),
  });
  const batches = endlessBatches(loader);
  const losses = new Float64Array(steps).fill(Number.NaN);
  let diverged = false;
  const started = performance.now();
  let taken = 0;
  for (let t = 0; t < steps; t++) {
    if (schedules) optimizer.paramGroups.forEach((g, k) => (g.lr = schedules[k]!(t)));
    const [x, y] = batches.next().value as [Tensor, Tensor];
    const closure = (): Tensor => {
      optimizer.zeroGrad();
      const loss = F.crossEntropy(model.call(x) as Tensor, y);
      loss.backward();
      return loss;
    };
    const loss = optimizer.step(closure);
    const value = loss instanceof Tensor ? loss.item() : Number(loss);
    losses[t] = value;
    taken = t + 1;
    onStep?.(t, model, optimizer);
    if (!Number.isFinite(value) || value > 1e6 || !params.every((p) => Number.isFinite(p.data[0]!))) {
      diverged = true;
      break;
    }
  }
  const msPerStep = (performance.now() - started) / Math.max(1, taken);
  const train = diverged ? { loss: Number.POSITIVE_INFINITY, accuracy: 0 } : evaluate(model, task.train);
  const test = diverged ? { loss: Number.POSITIVE_INFINITY, accuracy: 0 } : evaluate(model, task.test);
  return { losses, trainLoss: train.loss, trainAccuracy: train.accuracy, testLoss: test.loss, testAccuracy: test.accuracy, diverged, msPerStep, model, optimizer };
}

/** Mean cross-entropy and accuracy of `model` on `data`, in evaluation mode and without a graph. */
export function evaluate(model: Module, data: LabelledData, chunk = 1024): { loss: number; accuracy: number } {
  const n = data.x.shape[0]!;
  let lossSum = 0;
  let correct = 0;
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      const logits = model.call(data.x.slice(start, end)) as Tensor;
      const labels = data.y.slice(start, end);
      lossSum += F.crossEntropy(logits, labels, { reduction: 'sum' }).item();
      const predicted = logits.argmax(1).data;
      for (let i = 0; i < end - start; i++) if (predicted[i] === labels.data[i]) correct += 1;
    }
  });
  if (wasTraining) model.train();
  return { loss: lossSum / n, accuracy: correct / n };
}

/** Mini-batches forever: epoch after epoch of the loader's seeded shuffle. */
export function* endlessBatches<Batch>(loader: DataLoader<Batch>): IterableIterator<Batch> {
  for (;;) yield* loader;
}

/** Mean of the last `k` finite entries (NaN-safe summary of a noisy loss curve). */
export function tailMean(values: ArrayLike<number>, k: number): number {
  let sum = 0;
  let count = 0;
  for (let i = values.length - 1; i >= 0 && count < k; i--) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    count += 1;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** An exponential moving average of a curve (for "steps to target" on a noisy loss). */
export function smooth(values: ArrayLike<number>, beta = 0.9): Float64Array {
  const out = new Float64Array(values.length);
  let average = 0;
  let weight = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      out[i] = Number.NaN;
      continue;
    }
    average = beta * average + (1 - beta) * v;
    weight = beta * weight + (1 - beta);
    out[i] = average / weight;
  }
  return out;
}

export interface TimingOptions {
  /** Timed rounds; each round times every contestant once, in an order rotated per round. */
  readonly rounds: number;
  /** Steps per timing. */
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly now: () => number;
}

/**
 * Milliseconds per training step (forward, backward, update) of each contestant, measured in
 * interleaved rounds: every round times each contestant for a few steps, the order rotated
 * round by round, so that a slow moment of a shared machine spreads over all of them instead
 * of landing on one. Returns [contestant][round].
 */
export function interleavedStepTimes(task: ClassifierTask, contestants: ReadonlyArray<{ factory: OptimizerFactory; lr: number }>, options: TimingOptions): number[][] {
  const { rounds, steps, batchSize, seed, now } = options;
  const runners = contestants.map(({ factory, lr }) => {
    const model = task.buildModel(new Generator(seed));
    const optimizer = factory(model.parameters(), lr);
    const loader = new DataLoader(new TensorDataset(task.train.x, task.train.y), { batchSize: Math.min(batchSize, task.train.x.shape[0]!), shuffle: true, dropLast: true, generator: new Generator(seed + 7919) });
    const batches = endlessBatches(loader);
    return (): void => {
      const [x, y] = batches.next().value as [Tensor, Tensor];
      optimizer.step(() => {
        optimizer.zeroGrad();
        const loss = F.crossEntropy(model.call(x) as Tensor, y);
        loss.backward();
        return loss;
      });
    };
  });
  // Two untimed steps each: the first step allocates state (and the fused path its arena).
  for (const step of runners) for (let k = 0; k < 2; k++) step();
  const times = contestants.map(() => new Array<number>(rounds).fill(Number.NaN));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < runners.length; i++) {
      const c = (i + r) % runners.length;
      const started = now();
      for (let k = 0; k < steps; k++) runners[c]!();
      times[c]![r] = (now() - started) / steps;
    }
  }
  return times;
}
