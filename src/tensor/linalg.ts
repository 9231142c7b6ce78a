/** Matrix products: 2-D, batched with broadcast batch dims, and the vector cases of `torch.matmul`. */
import { Tensor, allocate, type FloatArray } from './tensor.js';
import { record } from '../autograd/engine.js';
import { broadcastShapes, broadcastStrides, numel, shapeString } from './shape.js';
import { reshape, transpose } from './movement.js';
import { sumTo } from './reduce.js';

/**
 * C[m×n] += A[m×k] · B[k×n] over row-major arrays at the given offsets. The i-k-j order
 * streams rows of B and C, which is what a JIT vectorises best.
 */
export function gemm(a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const cRow = cOff + i * n;
    const aRow = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const av = a[aRow + p]!;
      if (av === 0) continue;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) c[cRow + j]! += av * b[bRow + j]!;
    }
  }
}

/** Batched product of tensors of rank ≥ 2 with broadcast batch dims. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const k2 = b.shape[b.shape.length - 2]!;
  const n = b.shape[b.shape.length - 1]!;
  if (k !== k2) {
    throw new RangeError(`matmul: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} cannot be multiplied (${m}×${k} and ${k2}×${n})`);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, 'matmul');
  const batches = numel(batch);
  const dtype = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
  const out = allocate(batches * m * n, dtype);
  const aStrides = broadcastStrides(aBatch, batch);
  const bStrides = broadcastStrides(bBatch, batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < batches; t++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < batch.length; d++) {
      ia += idx[d]! * aStrides[d]!;
      ib += idx[d]! * bStrides[d]!;
    }
    gemm(a.data, ia * m * k, b.data, ib * k * n, out, t * m * n, m, k, n);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  const result = new Tensor(out, [...batch, m, n]);
  return record(result, 'matmul', [a, b], (g) => [
    a.requiresGrad ? sumTo(batchedMatmul(g, transpose(b, -1, -2)), a.shape) : null,
    b.requiresGrad ? sumTo(batchedMatmul(transpose(a, -1, -2), g), b.shape) : null,
  ]);
}

/** `torch.matmul` semantics: vector·vector, matrix·vector, vector·matrix, and batched matrices. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new RangeError(`matmul: both arguments need at least one dimension, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  const aMat = a.shape.length === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const bMat = b.shape.length === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  let out = batchedMatmul(aMat, bMat);
  if (a.shape.length === 1) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.shape.length - 1]!]);
  if (b.shape.length === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}
