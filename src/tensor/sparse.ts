/**
 * Row-sparse gradients: a few rows of a large matrix, as `nn.Embedding({ sparse: true })`
 * produces and Adagrad's sparse path and SparseAdam consume. `indices[i]` names the row of
 * the dense shape that `values[i]` holds; an index may repeat, and repeated rows add up
 * (PyTorch's uncoalesced COO gradient has the same meaning).
 */
import { Tensor, allocate } from './tensor.js';
import { numel, shapeString, checkShape, type Shape } from './shape.js';

export class SparseRows {
  readonly isSparse = true as const;
  readonly shape: number[];
  readonly indices: Int32Array;
  readonly values: Tensor;

  constructor(indices: ArrayLike<number>, values: Tensor, shape: Shape) {
    this.shape = checkShape(shape, 'sparse shape');
    if (this.shape.length < 1) throw new RangeError('sparseRows: the dense shape needs at least one dimension');
    const rows = this.shape[0]!;
    const rowShape = this.shape.slice(1);
    const expected = [indices.length, ...rowShape];
    if (values.shape.length !== expected.length || values.shape.some((d, i) => d !== expected[i])) {
      throw new RangeError(`sparseRows: values of shape ${shapeString(values.shape)} do not match ${indices.length} rows of ${shapeString(rowShape)} (expected ${shapeString(expected)})`);
    }
    const idx = Int32Array.from(indices);
    for (const i of idx) {
      if (!Number.isInteger(i) || i < 0 || i >= rows) {
        throw new RangeError(`sparseRows: row index ${i} is out of range for ${rows} rows`);
      }
    }
    this.indices = idx;
    this.values = values;
  }

  /** Elements per row. */
  get rowSize(): number {
    return numel(this.shape.slice(1));
  }

  /** The dense tensor these rows stand for (repeated rows summed). */
  toDense(): Tensor {
    const out = new Tensor(allocate(numel(this.shape), this.values.dtype), this.shape);
    const width = this.rowSize;
    const src = this.values.data;
    for (let r = 0; r < this.indices.length; r++) {
      const base = this.indices[r]! * width;
      for (let j = 0; j < width; j++) out.data[base + j]! += src[r * width + j]!;
    }
    return out;
  }

  /** Rows of both, concatenated: the sum of two row-sparse gradients. */
  concat(other: SparseRows): SparseRows {
    if (other.shape.length !== this.shape.length || other.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(`sparseRows: cannot add sparse gradients of shapes ${shapeString(this.shape)} and ${shapeString(other.shape)}`);
    }
    const indices = new Int32Array(this.indices.length + other.indices.length);
    indices.set(this.indices);
    indices.set(other.indices, this.indices.length);
    const values = allocate(this.values.data.length + other.values.data.length, this.values.dtype === 'float64' || other.values.dtype === 'float64' ? 'float64' : 'float32');
    values.set(this.values.data);
    values.set(other.values.data, this.values.data.length);
    return new SparseRows(indices, new Tensor(values, [indices.length, ...this.shape.slice(1)]), this.shape);
  }

  /**
   * Unique sorted row indices with their summed rows (PyTorch's `coalesce()`), which the
   * sparse optimizer kernels need so each row is updated once.
   */
  coalesce(): SparseRows {
    const width = this.rowSize;
    const order = Array.from(this.indices.keys()).sort((a, b) => this.indices[a]! - this.indices[b]!);
    const unique: number[] = [];
    for (const r of order) if (unique.length === 0 || unique[unique.length - 1] !== this.indices[r]) unique.push(this.indices[r]!);
    const values = allocate(unique.length * width, this.values.dtype);
    let u = -1;
    let last = -1;
    for (const r of order) {
      if (this.indices[r] !== last) {
        u++;
        last = this.indices[r]!;
      }
      for (let j = 0; j < width; j++) values[u * width + j]! += this.values.data[r * width + j]!;
    }
    return new SparseRows(unique, new Tensor(values, [unique.length, ...this.shape.slice(1)]), this.shape);
  }
}

/** Builds a row-sparse gradient: `indices` name rows of a tensor of `shape`; `values` holds those rows. */
export function sparseRows(indices: ArrayLike<number>, values: Tensor, shape: Shape): SparseRows {
  return new SparseRows(indices, values, shape);
}

export type Gradient = Tensor | SparseRows;

export function isSparse(g: Gradient | null | undefined): g is SparseRows {
  return g instanceof SparseRows;
}
