/**
 * Compressed sparse rows: the feature matrix of a bag-of-words dataset, where each row (an
 * email) touches a few hundred of 262,144 hashed features. Row r's non-zeros are
 * `values[indptr[r] .. indptr[r+1])` at columns `indices[...]`, sorted ascending within the row.
 *
 * Logistic regression needs two products: the logits X·w and the gradient Xᵀ·g. `matvec` and
 * `rmatvec` compute them on plain arrays; `csrMatmul` is the same product as an autograd op,
 * whose weight gradient is row-sparse when asked (only the features a batch touches), which
 * is what makes sparse optimizers worth having.
 */
import { Tensor, allocate, type FloatArray } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { record } from '../autograd/engine.js';

export interface CsrParts {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** Densifying more elements than this is almost surely a mistake (512 MiB of float32). */
const MAX_DENSE_ELEMENTS = 2 ** 27;

export class CsrMatrix implements CsrParts {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;

  /** Checks every structural invariant, so the products below can trust the arrays. */
  constructor(parts: CsrParts) {
    const { rows, cols, indptr, indices, values } = parts;
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`CsrMatrix: rows must be a non-negative integer, got ${rows}`);
    if (!Number.isInteger(cols) || cols < 0) throw new RangeError(`CsrMatrix: cols must be a non-negative integer, got ${cols}`);
    if (!(indptr instanceof Int32Array) || !(indices instanceof Int32Array) || !(values instanceof Float32Array)) {
      throw new TypeError('CsrMatrix: indptr and indices must be Int32Arrays and values a Float32Array');
    }
    if (indptr.length !== rows + 1) throw new RangeError(`CsrMatrix: indptr has ${indptr.length} entries; ${rows} rows need ${rows + 1}`);
    if (indptr[0] !== 0) throw new RangeError(`CsrMatrix: indptr[0] must be 0, got ${indptr[0]}`);
    if (indices.length !== values.length || indptr[rows] !== indices.length) {
      throw new RangeError(`CsrMatrix: indptr ends at ${indptr[rows]} but there are ${indices.length} indices and ${values.length} values`);
    }
    for (let r = 0; r < rows; r++) {
      const start = indptr[r]!;
      const end = indptr[r + 1]!;
      if (end < start) throw new RangeError(`CsrMatrix: indptr decreases at row ${r} (${start} then ${end})`);
      let previous = -1;
      for (let p = start; p < end; p++) {
        const c = indices[p]!;
        if (c < 0 || c >= cols) throw new RangeError(`CsrMatrix: column ${c} in row ${r} is out of range for ${cols} columns`);
        if (c <= previous) throw new RangeError(`CsrMatrix: columns in row ${r} must be strictly increasing (${previous} then ${c})`);
        previous = c;
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.indptr = indptr;
    this.indices = indices;
    this.values = values;
  }

  /** Stored non-zeros. */
  get nnz(): number {
    return this.indptr[this.rows]!;
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Rows [start, end). Shares `indices` and `values` with this matrix; only indptr is new. */
  rowSlice(start: number, end: number): CsrMatrix {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.rows) {
      throw new RangeError(`CsrMatrix.rowSlice: [${start}, ${end}) is not a row range within [0, ${this.rows}]`);
    }
    const base = this.indptr[start]!;
    const top = this.indptr[end]!;
    const indptr = new Int32Array(end - start + 1);
    for (let r = 0; r <= end - start; r++) indptr[r] = this.indptr[start + r]! - base;
    return new CsrMatrix({ rows: end - start, cols: this.cols, indptr, indices: this.indices.subarray(base, top), values: this.values.subarray(base, top) });
  }

  /** The listed rows, in order (repeats allowed), copied into a new matrix. */
  select(rows: ArrayLike<number>): CsrMatrix {
    const picked = checkRowList(rows, this.rows, 'CsrMatrix.select');
    const indptr = new Int32Array(picked.length + 1);
    for (let k = 0; k < picked.length; k++) {
      const r = picked[k]!;
      indptr[k + 1] = indptr[k]! + this.indptr[r + 1]! - this.indptr[r]!;
    }
    const indices = new Int32Array(indptr[picked.length]!);
    const values = new Float32Array(indices.length);
    for (let k = 0; k < picked.length; k++) {
      const r = picked[k]!;
      indices.set(this.indices.subarray(this.indptr[r]!, this.indptr[r + 1]!), indptr[k]!);
      values.set(this.values.subarray(this.indptr[r]!, this.indptr[r + 1]!), indptr[k]!);
    }
    return new CsrMatrix({ rows: picked.length, cols: this.cols, indptr, indices, values });
  }

  /** X·w for a vector w of length `cols`: one value per row. */
  matvec(w: ArrayLike<number>, out: FloatArray = new Float64Array(this.rows)): FloatArray {
    checkLength(w, this.cols, 'CsrMatrix.matvec: w');
    checkLength(out, this.rows, 'CsrMatrix.matvec: out');
    for (let r = 0; r < this.rows; r++) {
      let dot = 0;
      for (let p = this.indptr[r]!; p < this.indptr[r + 1]!; p++) dot += this.values[p]! * w[this.indices[p]!]!;
      out[r] = dot;
    }
    return out;
  }

  /** Xᵀ·g for a vector g of length `rows`: one value per column (`out` is overwritten). */
  rmatvec(g: ArrayLike<number>, out: FloatArray = new Float64Array(this.cols)): FloatArray {
    checkLength(g, this.rows, 'CsrMatrix.rmatvec: g');
    checkLength(out, this.cols, 'CsrMatrix.rmatvec: out');
    out.fill(0);
    for (let r = 0; r < this.rows; r++) {
      const gr = g[r]!;
      for (let p = this.indptr[r]!; p < this.indptr[r + 1]!; p++) out[this.indices[p]!]! += this.values[p]! * gr;
    }
    return out;
  }

  /** The columns that some row touches, ascending: where Xᵀ·g can be non-zero. */
  activeColumns(): Int32Array {
    const sorted = this.indices.slice(0, this.nnz).sort();
    let unique = 0;
    for (let p = 0; p < sorted.length; p++) if (p === 0 || sorted[p] !== sorted[p - 1]) sorted[unique++] = sorted[p]!;
    return sorted.slice(0, unique);
  }

  /** A dense float32 tensor [rows, cols]; meant for small slices. */
  toDense(): Tensor {
    const size = this.rows * this.cols;
    if (size > MAX_DENSE_ELEMENTS) {
      throw new RangeError(`CsrMatrix.toDense: ${this.rows} × ${this.cols} = ${size} elements is too many to densify (limit ${MAX_DENSE_ELEMENTS}); take a rowSlice or select of fewer rows first`);
    }
    const out = new Float32Array(size);
    for (let r = 0; r < this.rows; r++) {
      for (let p = this.indptr[r]!; p < this.indptr[r + 1]!; p++) out[r * this.cols + this.indices[p]!] = this.values[p]!;
    }
    return new Tensor(out, [this.rows, this.cols]);
  }

  /** X·W as an autograd op; see `csrMatmul`. */
  matmul(weight: Tensor, options: CsrMatmulOptions = {}): Tensor {
    return csrMatmul(this, weight, options);
  }
}

export interface CsrMatmulOptions {
  /**
   * Give the weight a row-sparse gradient (`SparseRows` over the columns the batch touches)
   * instead of a dense one, as `nn.Embedding({ sparse: true })` does. Default false, as in PyTorch.
   */
  sparseGrad?: boolean;
}

/**
 * X·W for X [rows, cols] sparse and W [cols] or [cols, k] dense: the result is [rows] or
 * [rows, k] in W's dtype. Gradients flow to W only (X is data): ∂L/∂W = Xᵀ·(∂L/∂out).
 */
export function csrMatmul(x: CsrMatrix, weight: Tensor, options: CsrMatmulOptions = {}): Tensor {
  const sparseGrad = options.sparseGrad ?? false;
  if (typeof sparseGrad !== 'boolean') throw new TypeError(`csrMatmul: sparseGrad must be a boolean, got ${String(sparseGrad)}`);
  if (!(x instanceof CsrMatrix)) throw new TypeError('csrMatmul: x must be a CsrMatrix');
  if (!(weight instanceof Tensor)) throw new TypeError('csrMatmul: weight must be a Tensor');
  if ((weight.ndim !== 1 && weight.ndim !== 2) || weight.shape[0] !== x.cols) {
    throw new RangeError(`csrMatmul: weight of shape [${weight.shape.join(', ')}] does not fit a [${x.rows}, ${x.cols}] sparse matrix (expected [${x.cols}] or [${x.cols}, k])`);
  }
  const width = weight.ndim === 2 ? weight.shape[1]! : 1;
  const outShape = weight.ndim === 2 ? [x.rows, width] : [x.rows];
  const w = weight.data;
  const out = allocate(x.rows * width, weight.dtype);
  const rowSum = new Float64Array(width);
  for (let r = 0; r < x.rows; r++) {
    rowSum.fill(0);
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const base = x.indices[p]! * width;
      for (let j = 0; j < width; j++) rowSum[j]! += v * w[base + j]!;
    }
    out.set(rowSum, r * width);
  }
  const result = new Tensor(out, outShape);
  return record(result, 'csrMatmul', [weight], (gradOut) => [sparseGrad ? sparseWeightGrad(x, gradOut, weight) : denseWeightGrad(x, gradOut, weight)]);
}

function denseWeightGrad(x: CsrMatrix, gradOut: Tensor, weight: Tensor): Tensor {
  const width = weight.ndim === 2 ? weight.shape[1]! : 1;
  const grad = allocate(weight.size, weight.dtype);
  const g = gradOut.data;
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const base = x.indices[p]! * width;
      for (let j = 0; j < width; j++) grad[base + j]! += v * g[r * width + j]!;
    }
  }
  return new Tensor(grad, weight.shape);
}

/** Xᵀ·G restricted to the touched columns, one gradient row per column (coalesced and sorted). */
function sparseWeightGrad(x: CsrMatrix, gradOut: Tensor, weight: Tensor): SparseRows {
  const width = weight.ndim === 2 ? weight.shape[1]! : 1;
  const columns = x.activeColumns();
  const values = allocate(columns.length * width, weight.dtype);
  const g = gradOut.data;
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const base = lowerBound(columns, x.indices[p]!) * width;
      for (let j = 0; j < width; j++) values[base + j]! += v * g[r * width + j]!;
    }
  }
  return new SparseRows(columns, new Tensor(values, [columns.length, ...weight.shape.slice(1)]), weight.shape);
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkLength(a: ArrayLike<number>, expected: number, what: string): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new TypeError(`${what} must be an array of numbers`);
  if (a.length !== expected) throw new RangeError(`${what} has length ${a.length}, expected ${expected}`);
}

/** Validates a list of row numbers against `limit` rows and returns it as an Int32Array. */
export function checkRowList(rows: ArrayLike<number>, limit: number, where: string): Int32Array {
  if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') throw new TypeError(`${where}: rows must be an array of row numbers`);
  const out = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= limit) throw new RangeError(`${where}: row ${r} (at position ${k}) is out of range for ${limit} rows`);
    out[k] = r;
  }
  return out;
}
