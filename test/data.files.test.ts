/**
 * Dataset files that lie. Each case is a file that is structurally valid safetensors (or a real
 * bundled file with one thing changed) whose content breaks an invariant of its dataset; the
 * loader must refuse it with a message naming the file and the problem, and load the same file
 * once the lie is removed.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeSafetensors, type StoredArray } from '../src/io/safetensors.js';
import { loadIris, loadMnist, loadSpam } from '../src/data/index.js';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'descent-datafiles-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A folder holding one dataset file made of `arrays` and the dataset's stamp plus `metadata`. */
function datasetFolder(dataset: string, arrays: Record<string, { shape: number[]; data: StoredArray }>, metadata: Record<string, string>, { seal = true } = {}): string {
  const dir = join(scratch, String(folders++));
  mkdirSync(dir);
  const stamp = { format: 'descent-dataset/1', dataset, ...metadata };
  writeFileSync(join(dir, `${dataset}.safetensors`), encodeSafetensors(Object.entries(arrays), stamp, { seal }));
  return dir;
}

function folderWith(dataset: string, bytes: Uint8Array): string {
  const dir = join(scratch, String(folders++));
  mkdirSync(dir);
  writeFileSync(join(dir, `${dataset}.safetensors`), bytes);
  return dir;
}

const irisMeta = { classes: '["a","b","c"]', featureNames: '["w","x","y","z"]' };
function iris(rows: number, labels: number[], features = new Float32Array(rows * 4)) {
  return { features: { shape: [rows, 4], data: features }, labels: { shape: [labels.length], data: Uint8Array.from(labels) } };
}
const cycle = (n: number, classes: number): number[] => Array.from({ length: n }, (_, i) => i % classes);

describe('Iris file invariants', () => {
  it('loads a valid hand-made file (the cases below differ from it in one thing)', () => {
    const { x, y, classes } = loadIris({ dataDir: datasetFolder('iris', iris(6, cycle(6, 3)), irisMeta) });
    expect([x.shape, Array.from(y.data), classes]).toEqual([[6, 4], [0, 1, 2, 0, 1, 2], ['a', 'b', 'c']]);
  });

  it('refuses a label outside the class range', () => {
    const dir = datasetFolder('iris', iris(6, [0, 1, 2, 255, 1, 0]), irisMeta);
    expect(() => loadIris({ dataDir: dir })).toThrow(/iris\.safetensors: label 255 of sample 3 is outside the 3 classes; rebuild it/);
  });

  it('refuses 150 rows of features with 140 labels', () => {
    const dir = datasetFolder('iris', iris(150, cycle(140, 3)), irisMeta);
    expect(() => loadIris({ dataDir: dir })).toThrow(/iris\.safetensors: array labels should be U8 of shape \[150\] but is U8 of shape \[140\]/);
  });

  it('refuses a feature that is not finite', () => {
    const features = new Float32Array(24);
    features[9] = NaN;
    const dir = datasetFolder('iris', iris(6, cycle(6, 3), features), irisMeta);
    expect(() => loadIris({ dataDir: dir })).toThrow(/iris\.safetensors: features\[9\] is NaN, not a finite number/);
  });

  it('refuses an array it does not expect, and a file without a checksum', () => {
    const extra = { ...iris(6, cycle(6, 3)), secret: { shape: [1], data: new Float32Array(1) } };
    expect(() => loadIris({ dataDir: datasetFolder('iris', extra, irisMeta) })).toThrow(/iris\.safetensors: unexpected array\(s\) secret/);
    expect(() => loadIris({ dataDir: datasetFolder('iris', iris(6, cycle(6, 3)), irisMeta, { seal: false }) })).toThrow(/iris\.safetensors: the file carries no checksum/);
  });

  it('refuses the bundled file with trailing junk, a header length one byte short, or one byte changed', () => {
    const good = readFileSync(join(root, 'packages', 'datasets', 'data', 'iris.safetensors'));
    expect(loadIris({ dataDir: folderWith('iris', good) }).x.shape).toEqual([150, 4]);
    expect(() => loadIris({ dataDir: folderWith('iris', Buffer.concat([good, Buffer.from([0])])) })).toThrow(/1 bytes after the last tensor belong to no tensor \(trailing data\).*npm run build:data/);
    const short = Buffer.from(good);
    short.writeBigUInt64LE(short.readBigUInt64LE(0) - 1n, 0);
    expect(() => loadIris({ dataDir: folderWith('iris', short) })).toThrow(/iris\.safetensors: not a valid safetensors file/);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 200]! ^= 0x10;
    expect(() => loadIris({ dataDir: folderWith('iris', flipped) })).toThrow(/iris\.safetensors: checksum mismatch/);
  });
});

describe('MNIST and spam file invariants', () => {
  const mnistMeta = { height: '2', width: '2' };
  const pixels = (rows: number, width = 4) => ({ shape: [rows, width], data: new Uint8Array(rows * width) });

  it('MNIST: refuses a label array shorter than the images, a label ≥ 10, and a shape that is not height × width', () => {
    const labels = (values: number[]) => ({ shape: [values.length], data: Uint8Array.from(values) });
    expect(loadMnist({ dataDir: datasetFolder('mnist', { pixels: pixels(10), labels: labels(cycle(10, 10)) }, mnistMeta), testFraction: 0 }).train.x.shape).toEqual([10, 4]);
    expect(() => loadMnist({ dataDir: datasetFolder('mnist', { pixels: pixels(10), labels: labels(cycle(8, 10)) }, mnistMeta) })).toThrow(/mnist\.safetensors: array labels should be U8 of shape \[10\] but is U8 of shape \[8\]/);
    expect(() => loadMnist({ dataDir: datasetFolder('mnist', { pixels: pixels(10), labels: labels([...cycle(9, 10), 10]) }, mnistMeta) })).toThrow(/label 10 of sample 9 is outside the 10 classes/);
    expect(() => loadMnist({ dataDir: datasetFolder('mnist', { pixels: pixels(10, 5), labels: labels(cycle(10, 10)) }, mnistMeta) })).toThrow(/array pixels should be U8 of shape \[n, 4\] but is U8 of shape \[10, 5\]/);
  });

  it('spam: refuses rows that disagree with the metadata, a label that is not 0/1, and a broken CSR structure', () => {
    const spam = (indptr: number[], labels: number[]) => ({
      indptr: { shape: [indptr.length], data: Int32Array.from(indptr) },
      indices: { shape: [3], data: Int32Array.from([0, 2, 1]) },
      values: { shape: [3], data: Float32Array.from([1, 0.5, 0.25]) },
      labels: { shape: [labels.length], data: Uint8Array.from(labels) },
    });
    const meta = { rows: '2', cols: '4', weighting: 'log1p' };
    expect(loadSpam({ dataDir: datasetFolder('spam', spam([0, 2, 3], [0, 1]), meta), testFraction: 0 }).train.x.nnz).toBe(3);
    expect(() => loadSpam({ dataDir: datasetFolder('spam', spam([0, 2, 3], [0, 1]), { ...meta, rows: '3' }) })).toThrow(/spam\.safetensors: array indptr should be I32 of shape \[4\] but is I32 of shape \[3\]/);
    expect(() => loadSpam({ dataDir: datasetFolder('spam', spam([0, 2, 3], [0, 2]), meta) })).toThrow(/label 2 of sample 1 is outside the 2 classes/);
    expect(() => loadSpam({ dataDir: datasetFolder('spam', spam([0, 3, 2], [0, 1]), meta) })).toThrow(/spam\.safetensors: CsrMatrix: indptr ends at 2 but there are 3 indices/);
  });
});
