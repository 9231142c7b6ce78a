/**
 * Mini-batches over a dataset, as PyTorch's `DataLoader` with its default sampler: each
 * `for...of` pass is one epoch, visiting every sample once, in order or in a fresh seeded
 * shuffle. The shuffle of an epoch is drawn from the generator when the loop starts, so
 * capturing `loader.generator.getState()` between epochs (in a checkpoint) and restoring it
 * later replays the same orders.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { Generator, defaultGenerator } from '../tensor/random.js';
import type { BatchDataset, Dataset, SampleDataset } from './dataset.js';
import { checkKnownOptions } from './options.js';

export interface DataLoaderOptions {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** Visit samples in a new random order every epoch. Default false. */
  shuffle?: boolean;
  /** Leave out the last batch when it would be smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Where shuffles come from. Default: descent's default generator (seed it with `manualSeed`). */
  generator?: Generator;
}

const OPTION_NAMES = ['batchSize', 'shuffle', 'dropLast', 'generator'] as const;

export class DataLoader<Batch = Tensor[]> implements Iterable<Batch> {
  readonly dataset: Dataset<Batch>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;

  constructor(dataset: BatchDataset<Batch>, options?: DataLoaderOptions);
  constructor(dataset: SampleDataset, options?: DataLoaderOptions);
  constructor(dataset: Dataset<Batch>, options: DataLoaderOptions = {}) {
    checkKnownOptions('DataLoader', options, OPTION_NAMES);
    const { batchSize = 1, shuffle = false, dropLast = false, generator = defaultGenerator } = options;
    if (dataset === null || typeof dataset !== 'object' || !Number.isInteger(dataset.length) || dataset.length < 0) {
      throw new TypeError(`DataLoader: dataset must be an object with a non-negative integer length, got length ${String((dataset as { length?: unknown } | null)?.length)}`);
    }
    if (!('getBatch' in dataset && typeof dataset.getBatch === 'function') && !('get' in dataset && typeof dataset.get === 'function')) {
      throw new TypeError('DataLoader: dataset needs a getBatch(indices) or a get(index) method');
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (typeof shuffle !== 'boolean') throw new TypeError(`DataLoader: shuffle must be a boolean, got ${String(shuffle)}`);
    if (typeof dropLast !== 'boolean') throw new TypeError(`DataLoader: dropLast must be a boolean, got ${String(dropLast)}`);
    if (!(generator instanceof Generator)) throw new TypeError('DataLoader: generator must be a Generator (from descent\'s random module)');
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  [Symbol.iterator](): Iterator<Batch> {
    const order = this.shuffle ? this.generator.permutation(this.dataset.length) : identity(this.dataset.length);
    return this.batches(order, this.length);
  }

  private *batches(order: Int32Array, count: number): IterableIterator<Batch> {
    for (let b = 0; b < count; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      yield 'getBatch' in this.dataset && typeof this.dataset.getBatch === 'function'
        ? this.dataset.getBatch(indices)
        : (collate(this.dataset as SampleDataset, indices) as Batch);
    }
  }
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Stacks the samples at `indices` position by position into contiguous batch tensors. */
function collate(dataset: SampleDataset, indices: Int32Array): Tensor[] {
  const samples = Array.from(indices, (i) => dataset.get(i));
  const first = samples[0]!;
  if (!Array.isArray(first) || !first.every((t) => t instanceof Tensor)) {
    throw new TypeError(`DataLoader: dataset.get(${indices[0]}) must return an array of Tensors`);
  }
  return first.map((template: Tensor, position) => {
    const width = template.size;
    const out = allocate(samples.length * width, template.dtype);
    samples.forEach((sample, k) => {
      const t = sample[position];
      if (!(t instanceof Tensor) || sample.length !== first.length || t.shape.length !== template.shape.length || t.shape.some((d, j) => d !== template.shape[j])) {
        const found = t instanceof Tensor ? `[${t.shape.join(', ')}]` : String(t);
        throw new RangeError(`DataLoader: sample ${indices[k]} has ${found} at position ${position} (of ${sample.length}), but sample ${indices[0]} has [${template.shape.join(', ')}] (of ${first.length}); samples must match to be batched`);
      }
      out.set(t.data, k * width);
    });
    return new Tensor(out, [samples.length, ...template.shape]);
  });
}
