/**
 * Datasets: anything with a length that can hand out samples. A `DataLoader` asks for whole
 * batches through `getBatch(indices)` when a dataset has it (one contiguous copy per column of
 * data), and otherwise collates `get(i)` samples itself.
 */
import { Tensor, allocate } from '../tensor/tensor.js';
import { CsrMatrix, checkRowList } from './csr.js';

/** A dataset that gathers a batch in one call. */
export interface BatchDataset<Batch> {
  readonly length: number;
  /** The samples at `indices`, in that order, as one batch (dim 0 is the batch). */
  getBatch(indices: Int32Array): Batch;
}

/** A dataset of single samples, each a list of tensors; the loader stacks them into a batch. */
export interface SampleDataset {
  readonly length: number;
  get(index: number): readonly Tensor[];
}

export type Dataset<Batch = Tensor[]> = BatchDataset<Batch> | SampleDataset;

/** A column of a `TensorDataset`: a tensor whose dim 0 is the sample, or a sparse matrix of rows. */
export type Column = Tensor | CsrMatrix;

/**
 * Samples are the rows (dim 0) of the columns given, as in PyTorch's `TensorDataset`:
 * `new TensorDataset(x, y)` with x [N, 784] and y [N]. A column may also be a `CsrMatrix`,
 * whose batches are `CsrMatrix`es of the chosen rows.
 */
export class TensorDataset<Columns extends Column[] = Tensor[]> implements BatchDataset<Columns> {
  readonly columns: Readonly<Columns>;
  readonly length: number;

  constructor(...columns: Columns) {
    if (columns.length === 0) throw new RangeError('TensorDataset: needs at least one tensor');
    columns.forEach((column, k) => {
      if (!(column instanceof Tensor) && !(column instanceof CsrMatrix)) {
        throw new TypeError(`TensorDataset: argument ${k} is not a Tensor or CsrMatrix`);
      }
      if (column instanceof Tensor && column.ndim === 0) {
        throw new RangeError(`TensorDataset: argument ${k} is a 0-d tensor; each tensor needs a first dimension that indexes samples`);
      }
    });
    const length = sampleCount(columns[0]!);
    columns.forEach((column, k) => {
      if (sampleCount(column) !== length) {
        const shapes = columns.map((c) => `[${c.shape.join(', ')}]`).join(', ');
        throw new RangeError(`TensorDataset: size mismatch between tensors: argument ${k} has ${sampleCount(column)} samples, argument 0 has ${length} (shapes ${shapes})`);
      }
    });
    this.columns = columns;
    this.length = length;
  }

  /** Sample `index`: each tensor's row (shape without dim 0), each sparse matrix's 1-row slice. */
  get(index: number): Columns {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`TensorDataset.get: index ${index} is out of range for ${this.length} samples`);
    }
    return this.columns.map((column) => (column instanceof Tensor ? copyRows(column, Int32Array.of(index), column.shape.slice(1)) : column.rowSlice(index, index + 1))) as Columns;
  }

  getBatch(indices: Int32Array): Columns {
    const rows = checkRowList(indices, this.length, 'TensorDataset.getBatch');
    return this.columns.map((column) => (column instanceof Tensor ? copyRows(column, rows, [rows.length, ...column.shape.slice(1)]) : column.select(rows))) as Columns;
  }
}

function sampleCount(column: Column): number {
  return column instanceof Tensor ? column.shape[0]! : column.rows;
}

/** Rows of `source` at `rows` copied contiguously into one tensor of `shape` and the same dtype. */
function copyRows(source: Tensor, rows: Int32Array, shape: number[]): Tensor {
  const width = source.shape[0] === 0 ? 0 : source.size / source.shape[0]!;
  const out = allocate(rows.length * width, source.dtype);
  const src = source.data;
  if (width === 1) {
    for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]!]!;
  } else {
    for (let k = 0; k < rows.length; k++) out.set(src.subarray(rows[k]! * width, (rows[k]! + 1) * width), k * width);
  }
  return new Tensor(out, shape);
}
