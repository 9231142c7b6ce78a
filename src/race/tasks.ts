/**
 * The race's real tasks, built from the bundled datasets: an MLP on MNIST digits (optionally
 * at 14 × 14 pixels, for budgets where 784 inputs cost too much), a deep sigmoid MLP for the
 * vanishing-gradient claim, and the pieces of the sparse and drifting-target experiments.
 */
import { Tensor } from '../tensor/tensor.js';
import type { Generator } from '../tensor/random.js';
import { Linear, Sequential, ReLU, Sigmoid, type Module } from '../nn/index.js';
import type { ClassifierTask, LabelledData } from './harness.js';
import type { RaceDatasets } from './types.js';

export interface MnistTaskOptions {
  /** 28 keeps the digits as they are; 14 averages 2 × 2 blocks (4× fewer inputs). */
  readonly side: 28 | 14;
  readonly trainSize: number;
  /** Digits held out of the training split for choosing hyperparameters (claim 9). */
  readonly validationSize: number;
  readonly testSize: number;
  readonly hidden: readonly number[];
  /** Seeds the train/test split; the race's datasets are split with seed 0. */
  readonly splitSeed: 0;
}

interface MnistCache {
  key: string;
  train: LabelledData;
  validation: LabelledData;
  test: LabelledData;
}

export interface MnistTask extends ClassifierTask {
  readonly validation: LabelledData;
}
/** The last task built per dataset provider: trials of one run ask for the same one again and again. */
const caches = new WeakMap<RaceDatasets, MnistCache>();

/** MNIST digits as a classification task for an MLP with ReLU hidden layers. */
export function mnistTask(datasets: RaceDatasets, options: MnistTaskOptions): MnistTask {
  const { side, trainSize, validationSize, testSize, hidden } = options;
  const key = `${side}:${trainSize}:${validationSize}:${testSize}`;
  let cache = caches.get(datasets);
  if (cache === undefined || cache.key !== key) {
    const { train, test } = datasets.mnist();
    if (trainSize + validationSize > train.x.shape[0]! || testSize > test.x.shape[0]!) {
      throw new RangeError(`mnistTask: asked for ${trainSize} + ${validationSize} train / ${testSize} test digits, the dataset has ${train.x.shape[0]} / ${test.x.shape[0]}`);
    }
    cache = { key, train: rows(train, 0, trainSize, side), validation: rows(train, trainSize, validationSize, side), test: rows(test, 0, testSize, side) };
    caches.set(datasets, cache);
  }
  const { train, validation, test } = cache;
  const inputs = side * side;
  const layout = [inputs, ...hidden, 10].join('–');
  return {
    name: 'mnist-mlp',
    description: `MLP ${layout} (ReLU) on ${trainSize} MNIST digits at ${side}×${side} px, tested on ${testSize}`,
    train,
    validation,
    test,
    buildModel: (generator) => mlp([inputs, ...hidden, 10], () => new ReLU(), generator),
  };
}

/** A fully connected network with `activation` between layers (none after the last). */
export function mlp(sizes: readonly number[], activation: () => Module, generator: Generator): Sequential {
  const layers: Module[] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    layers.push(new Linear(sizes[k]!, sizes[k + 1]!, { generator }));
    if (k + 2 < sizes.length) layers.push(activation());
  }
  return new Sequential(...layers);
}

/** A deep MLP of sigmoids, the textbook case of vanishing gradients. */
export function deepSigmoidMlp(inputs: number, width: number, depth: number, generator: Generator): Sequential {
  return mlp([inputs, ...Array<number>(depth).fill(width), 10], () => new Sigmoid(), generator);
}

/** Rows [first, first + count) of a split, at 28 × 28 or averaged down to 14 × 14. */
function rows(split: { x: Tensor; y: Tensor }, first: number, count: number, side: 28 | 14): LabelledData {
  const width = 784;
  const x = split.x.data.subarray(first * width, (first + count) * width);
  const y = new Tensor(Float32Array.from(split.y.data.subarray(first, first + count)), [count]);
  if (side === 28) return { x: new Tensor(Float32Array.from(x), [count, width]), y };
  const out = new Float32Array(count * 196);
  for (let n = 0; n < count; n++) {
    for (let r = 0; r < 14; r++) {
      for (let c = 0; c < 14; c++) {
        const at = n * width + 2 * r * 28 + 2 * c;
        out[n * 196 + r * 14 + c] = (x[at]! + x[at + 1]! + x[at + 28]! + x[at + 29]!) / 4;
      }
    }
  }
  return { x: new Tensor(out, [count, 196]), y };
}
