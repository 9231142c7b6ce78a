/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (PyTorch's `nn.Embedding`).
 * `forward(indices)` gathers rows: indices of shape S give an output of shape [...S, dim].
 *
 * Backward: row r of the weight receives the sum of the upstream rows of every position that
 * looked it up. With `sparse: true` that gradient is a row-sparse `SparseRows` whose indices are
 * the looked-up rows and whose values are the upstream rows, repeats kept (they add up), so an
 * optimizer touches only those rows. The row `paddingIdx`, if set, starts at zero and never
 * receives a gradient.
 */
import { Tensor, zeros, allocate, type DType, type IndexLike } from '../tensor/tensor.js';
import { SparseRows } from '../tensor/sparse.js';
import { record } from '../autograd/engine.js';
import type { Generator } from '../tensor/random.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { normal_ } from './init.js';

export interface EmbeddingOptions {
  /** Produce a row-sparse gradient (default false: dense). */
  sparse?: boolean;
  /** A row that stays zero and gets no gradient (negative counts from the end). */
  paddingIdx?: number;
  generator?: Generator;
  dtype?: DType;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly sparse: boolean;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, { sparse = false, paddingIdx, generator, dtype = 'float32' }: EmbeddingOptions = {}) {
    super();
    for (const [name, value] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`Embedding: ${name} must be a non-negative integer, got ${value}`);
    }
    if (paddingIdx !== undefined && (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
      throw new RangeError(`Embedding: paddingIdx ${paddingIdx} must be an integer in [${-numEmbeddings}, ${numEmbeddings})`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.sparse = sparse;
    this.paddingIdx = paddingIdx === undefined ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    const weight = normal_(zeros([numEmbeddings, embeddingDim], { dtype }), { generator });
    if (this.paddingIdx !== null) weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.weight = new Parameter(weight);
  }

  forward(indices: IndexLike): Tensor {
    const rows = this.rowsOf(indices);
    const indexShape = indices instanceof Tensor ? indices.shape : [rows.length];
    const dim = this.embeddingDim;
    const weight = this.weight;
    const out = allocate(rows.length * dim, weight.dtype);
    for (let k = 0; k < rows.length; k++) out.set(weight.data.subarray(rows[k]! * dim, (rows[k]! + 1) * dim), k * dim);
    const result = new Tensor(out, [...indexShape, dim]);
    return record(result, 'embedding', [weight], (g) => [this.sparse ? this.sparseGrad(rows, g) : this.denseGrad(rows, g)]);
  }

  /** Checks and converts the indices: integers in [0, numEmbeddings). */
  private rowsOf(indices: IndexLike): Int32Array {
    const values: ArrayLike<number> = indices instanceof Tensor ? indices.data : indices;
    const rows = new Int32Array(values.length);
    for (let k = 0; k < values.length; k++) {
      const r = values[k]!;
      if (!Number.isInteger(r) || r < 0 || r >= this.numEmbeddings) {
        throw new RangeError(`Embedding(${this.numEmbeddings}, ${this.embeddingDim}): index ${r} at position ${k} is out of range [0, ${this.numEmbeddings})`);
      }
      rows[k] = r;
    }
    return rows;
  }

  private denseGrad(rows: Int32Array, g: Tensor): Tensor {
    const dim = this.embeddingDim;
    const grad = allocate(this.weight.data.length, this.weight.dtype);
    for (let k = 0; k < rows.length; k++) {
      if (rows[k] === this.paddingIdx) continue;
      const to = rows[k]! * dim;
      for (let j = 0; j < dim; j++) grad[to + j]! += g.data[k * dim + j]!;
    }
    return new Tensor(grad, this.weight.shape);
  }

  private sparseGrad(rows: Int32Array, g: Tensor): SparseRows {
    const dim = this.embeddingDim;
    const kept = rows.filter((r) => r !== this.paddingIdx);
    const values = allocate(kept.length * dim, this.weight.dtype);
    let at = 0;
    for (let k = 0; k < rows.length; k++) {
      if (rows[k] === this.paddingIdx) continue;
      values.set(g.data.subarray(k * dim, (k + 1) * dim), at * dim);
      at++;
    }
    return new SparseRows(kept, new Tensor(values, [kept.length, dim]), this.weight.shape);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}${this.sparse ? ', sparse=true' : ''}`;
  }
}
