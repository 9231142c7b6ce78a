/**
 * The sparse task: logistic regression (no bias) on the L2-normalized hashed bag-of-words of
 * SpamAssassin emails. Claim 4 races SGD and Adagrad on it; the comparison table measures
 * SparseAdam here, in its own block, because SparseAdam needs row-sparse gradients.
 */
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import * as F from '../nn/functional.js';
import { DataLoader, TensorDataset, csrMatmul, type CsrMatrix } from '../data/index.js';
import type { OptimizerFactory } from './harness.js';
import { stateBytes } from './probes.js';
import type { RaceDatasets } from './types.js';

export interface SparseTask {
  readonly trainX: CsrMatrix;
  readonly trainY: Tensor;
  readonly testX: CsrMatrix;
  readonly testY: Tensor;
  readonly columns: number;
}

const tasks = new WeakMap<RaceDatasets, { key: string; task: SparseTask }>();

/** The first `trainSize` / `testSize` emails of the split (split seed 0). */
export function sparseTask(datasets: RaceDatasets, trainSize: number, testSize: number): SparseTask {
  const key = `${trainSize}:${testSize}`;
  const cached = tasks.get(datasets);
  if (cached?.key === key) return cached.task;
  const spam = datasets.spam();
  const trainCount = Math.min(trainSize, spam.train.x.rows);
  const testCount = Math.min(testSize, spam.test.x.rows);
  const task: SparseTask = {
    trainX: spam.train.x.rowSlice(0, trainCount),
    trainY: new Tensor(Float32Array.from(spam.train.y.data.subarray(0, trainCount)), [trainCount]),
    testX: spam.test.x.rowSlice(0, testCount),
    testY: new Tensor(Float32Array.from(spam.test.y.data.subarray(0, testCount)), [testCount]),
    columns: spam.featureCount,
  };
  tasks.set(datasets, { key, task });
  return task;
}

export interface SparseRun {
  /** The mini-batch loss of every step, measured before the step (the online loss). */
  readonly losses: Float64Array;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly testLoss: number;
  readonly testAccuracy: number;
  readonly weights: Float32Array | Float64Array;
  readonly msPerStep: number;
  readonly stateBytesPerParam: number;
  readonly diverged: boolean;
}

/** Mean logistic loss and accuracy of X·w against labels, computed directly on the sparse rows. */
export function logisticMetrics(x: CsrMatrix, y: Tensor, w: ArrayLike<number>): { loss: number; accuracy: number } {
  const logits = x.matvec(w);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < x.rows; i++) {
    const z = logits[i]!;
    const label = y.data[i]!;
    // log(1 + e^{−z}) for label 1, log(1 + e^{z}) for label 0, without overflow.
    const signed = label === 1 ? z : -z;
    loss += Math.max(-signed, 0) + Math.log1p(Math.exp(-Math.abs(signed)));
    if ((z > 0 ? 1 : 0) === label) correct += 1;
  }
  return { loss: loss / x.rows, accuracy: correct / x.rows };
}

export interface SparseTrainOptions {
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Seeds the batch order. */
  readonly seed: number;
  /** Row-sparse gradients (SparseAdam needs them) or dense ones. */
  readonly sparseGrad: boolean;
  readonly now: () => number;
}

export function trainSparseLogistic(task: SparseTask, factory: OptimizerFactory, options: SparseTrainOptions): SparseRun {
  const { lr, epochs, batchSize, seed, sparseGrad, now } = options;
  const { trainX, trainY, testX, testY, columns } = task;
  const w = new Tensor(new Float32Array(columns), [columns], { requiresGrad: true });
  const optimizer = factory([w], lr);
  const loader = new DataLoader(new TensorDataset(trainX, trainY), { batchSize, shuffle: true, dropLast: true, generator: new Generator(seed + 4) });
  const stepsPerEpoch = Math.floor(trainX.rows / batchSize);
  const losses = new Float64Array(epochs * stepsPerEpoch).fill(Number.NaN);
  let t = 0;
  let diverged = false;
  const started = now();
  for (let epoch = 0; epoch < epochs && !diverged; epoch++) {
    for (const [xb, yb] of loader) {
      const loss = optimizer.step(() => {
        optimizer.zeroGrad();
        const value = F.binaryCrossEntropyWithLogits(csrMatmul(xb, w, { sparseGrad }), yb);
        value.backward();
        return value;
      }) as Tensor;
      losses[t++] = loss.item();
      if (!Number.isFinite(losses[t - 1]!)) {
        diverged = true;
        break;
      }
    }
  }
  const msPerStep = (now() - started) / Math.max(1, t);
  const train = logisticMetrics(trainX, trainY, w.data);
  const test = logisticMetrics(testX, testY, w.data);
  return {
    losses,
    trainLoss: train.loss,
    trainAccuracy: train.accuracy,
    testLoss: test.loss,
    testAccuracy: test.accuracy,
    weights: w.data,
    msPerStep,
    stateBytesPerParam: stateBytes(optimizer, [w]) / columns,
    diverged,
  };
}
