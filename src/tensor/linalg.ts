/**
 * Matrix products: 2-D, batched with broadcast batch dims, the vector cases of `torch.matmul`,
 * and `linear` (x·Wᵀ + b in one op, as a layer needs it).
 *
 * Every product, forward or backward, is one call of C += op(A)·op(B), where op is the
 * identity or the transpose, so the backward passes build no transposed tensor (the
 * WebAssembly kernel reads a transposed operand in place):
 *   C = A·B    →   dA = dC·Bᵀ,   dB = Aᵀ·dC
 * Large float32 products run in WebAssembly SIMD (src/wasm/gemm.ts) when the kernel backend
 * is 'wasm'; everything else (float64, small products, the 'js' backend) runs `gemm` below.
 */
import { Tensor, allocate, type FloatArray } from './tensor.js';
import { record } from '../autograd/engine.js';
import { broadcastShapes, numel, shapeString, type Shape } from './shape.js';
import { reshape } from './movement.js';
import { kernelBackend } from '../wasm/backend.js';
import { wasmGemm, WASM_GEMM_MIN_WORK, type GemmOutput } from '../wasm/gemm.js';
import { checkKnownOptions } from '../util/options.js';

/**
 * C[m×n] += op(A)·op(B) over row-major arrays at the given offsets, in JavaScript. op(A) is
 * m×k: A stored m×k, or with `transA` its transpose, A stored k×m. Likewise op(B) is k×n:
 * B stored k×n, or with `transB` B stored n×k. A transposed operand is first copied into its
 * plain layout, O(mk) or O(kn) against the O(mkn) product, so that one loop serves every case.
 */
export function gemm(
  a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number,
  m: number, k: number, n: number, transA = false, transB = false,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  if (transA) [a, aOff] = [transposed(a, aOff, k, m), 0];
  if (transB) [b, bOff] = [transposed(b, bOff, n, k), 0];
  gemmRows(a, aOff, b, bOff, c, cOff, m, k, n);
}

/** The `cols × rows` transpose of the `rows × cols` matrix at `offset`, in the same array type. */
function transposed(x: FloatArray, offset: number, rows: number, cols: number): FloatArray {
  const out = x instanceof Float64Array ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const from = offset + i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = x[from + j]!;
  }
  return out;
}

/**
 * C += A·B, all stored as is. Two rows of C and four rows of B at a time: each value of B read
 * serves two rows, and each row of C is loaded and stored once per four steps of the depth.
 * The four products are summed in double precision before they meet C, so float32 results
 * round once per four terms (the WebAssembly kernel rounds after every term).
 */
function gemmRows(a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number, m: number, k: number, n: number): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i += 2) {
    const pair = i + 1 < m;
    const c0 = cOff + i * n;
    const c1 = pair ? c0 + n : c0;
    const r0 = aOff + i * k;
    // A lone last row reads its own values twice (staying in bounds) and takes the one-row loops.
    const r1 = pair ? r0 + k : r0;
    let p = 0;
    for (; p < k4; p += 4) {
      const x0 = a[r0 + p]!, x1 = a[r0 + p + 1]!, x2 = a[r0 + p + 2]!, x3 = a[r0 + p + 3]!;
      const y0 = a[r1 + p]!, y1 = a[r1 + p + 1]!, y2 = a[r1 + p + 2]!, y3 = a[r1 + p + 3]!;
      const b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      if (pair) {
        for (let j = 0; j < n; j++) {
          const v0 = b[b0 + j]!, v1 = b[b1 + j]!, v2 = b[b2 + j]!, v3 = b[b3 + j]!;
          c[c0 + j] = c[c0 + j]! + (x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3);
          c[c1 + j] = c[c1 + j]! + (y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3);
        }
      } else {
        for (let j = 0; j < n; j++) c[c0 + j] = c[c0 + j]! + (x0 * b[b0 + j]! + x1 * b[b1 + j]! + x2 * b[b2 + j]! + x3 * b[b3 + j]!);
      }
    }
    for (; p < k; p++) {
      const x = a[r0 + p]!;
      const y = a[r1 + p]!;
      const row = bOff + p * n;
      if (pair) {
        for (let j = 0; j < n; j++) {
          const v = b[row + j]!;
          c[c0 + j] = c[c0 + j]! + x * v;
          c[c1 + j] = c[c1 + j]! + y * v;
        }
      } else {
        for (let j = 0; j < n; j++) c[c0 + j] = c[c0 + j]! + x * b[row + j]!;
      }
    }
  }
}

/**
 * Operands (A, B and C together) past this many values stay in JavaScript: WebAssembly's 32-bit
 * memory could not hold the workspace for much more.
 */
const WASM_GEMM_MAX_VALUES = 2 ** 28;

/**
 * C += op(A)·op(B) in WebAssembly for float32 products worth the copies, in JavaScript otherwise.
 * With `output`, C = relu?(bias + op(A)·op(B)) instead: the WebAssembly kernel does the bias and
 * the ReLU in its output pass; the JavaScript path fills the rows with the bias, multiplies, then
 * applies the ReLU, which rounds the same way.
 */
export function product(
  a: FloatArray, aOff: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number,
  m: number, k: number, n: number, transA: boolean, transB: boolean, output?: { bias: FloatArray | null; relu: boolean },
): void {
  const wasm = a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array &&
    (output?.bias == null || output.bias instanceof Float32Array) &&
    m * k * n >= WASM_GEMM_MIN_WORK && m * k + k * n + m * n <= WASM_GEMM_MAX_VALUES && kernelBackend() === 'wasm';
  // `wasm` holds only when the bias, if any, is a Float32Array.
  if (wasm && wasmGemm(a, aOff, b, bOff, c, cOff, m, k, n, transA, transB, output as GemmOutput | undefined)) return;
  if (output !== undefined) {
    const { bias } = output;
    if (bias === null) c.fill(0, cOff, cOff + m * n);
    else for (let r = 0; r < m; r++) c.set(bias.subarray(0, n), cOff + r * n);
  }
  gemm(a, aOff, b, bOff, c, cOff, m, k, n, transA, transB);
  if (output?.relu) reluInPlace(c, cOff, m * n);
}

/** The output pass of a plain product into C: C = op(A)·op(B), whatever C held. */
const WRITE = { bias: null, relu: false } as const;

/** v > 0 ? v : 0 over `length` values from `offset` (NaN to 0), as the engine's `relu`. */
function reluInPlace(x: FloatArray, offset: number, length: number): void {
  for (let i = offset; i < offset + length; i++) {
    const v = x[i]!;
    x[i] = v > 0 ? v : 0;
  }
}

/**
 * g where y > 0, else 0: the gradient through a ReLU, read from its output y (y > 0 exactly
 * where the input was > 0). For float32, on the bits: a ReLU's output is +0 or positive, so
 * y > 0 is its bits > 0 as an integer, and the mask is an AND with no branch to mispredict.
 */
function reluGradient(g: FloatArray, y: FloatArray): FloatArray {
  const out = g instanceof Float32Array ? new Float32Array(g.length) : new Float64Array(g.length);
  if (g instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array) {
    const gBits = new Int32Array(g.buffer, g.byteOffset, g.length);
    const yBits = new Int32Array(y.buffer, y.byteOffset, y.length);
    const outBits = new Int32Array(out.buffer);
    for (let i = 0; i < outBits.length; i++) outBits[i] = gBits[i]! & -(yBits[i]! > 0);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = y[i]! > 0 ? g[i]! : 0;
  }
  return out;
}

/**
 * out[j] = Σ_r x[r, j] over the `rows` × `cols` matrix x, each sum in float64 from row 0 down.
 * Four columns at a time, each in a local: twice as fast as adding every row into an array of
 * sums, with the same additions in the same order.
 */
function sumRows(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  const end = rows * cols;
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let at = j; at < end; at += cols) {
      s0 += x[at]!;
      s1 += x[at + 1]!;
      s2 += x[at + 2]!;
      s3 += x[at + 3]!;
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < cols; j++) {
    let sum = 0;
    for (let at = j; at < end; at += cols) sum += x[at]!;
    out[j] = sum;
  }
}

/** For each position of the broadcast `batch`, the flat batch index it reads in an operand of batch shape `own`. */
function batchIndices(own: Shape, batch: Shape): Int32Array {
  const out = new Int32Array(numel(batch));
  const offset = batch.length - own.length;
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < out.length; t++) {
    let flat = 0;
    for (let d = offset; d < batch.length; d++) flat = flat * own[d - offset]! + (own[d - offset] === 1 ? 0 : idx[d]!);
    out[t] = flat;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Batched product of tensors of rank ≥ 2 with broadcast batch dims. In the backward pass a
 * batch that an operand shares (broadcast) adds its gradient into the same slot, since every
 * product accumulates: that is the reduction over broadcast dims, done in place.
 */
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
  const aAt = batchIndices(aBatch, batch);
  const bAt = batchIndices(bBatch, batch);
  const dtype = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
  const out = allocate(aAt.length * m * n, dtype);
  for (let t = 0; t < aAt.length; t++) {
    product(a.data, aAt[t]! * m * k, b.data, bAt[t]! * k * n, out, t * m * n, m, k, n, false, false, WRITE);
  }
  return record(new Tensor(out, [...batch, m, n]), 'matmul', [a, b], (g) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      const d = allocate(a.data.length, a.dtype);
      // dA = dC·Bᵀ: (m×n)·(n×k), B stored k×n.
      for (let t = 0; t < aAt.length; t++) product(g.data, t * m * n, b.data, bAt[t]! * k * n, d, aAt[t]! * m * k, m, n, k, false, true);
      da = new Tensor(d, a.shape);
    }
    if (b.requiresGrad) {
      const d = allocate(b.data.length, b.dtype);
      // dB = Aᵀ·dC: (k×m)·(m×n), A stored m×k.
      for (let t = 0; t < bAt.length; t++) product(a.data, aAt[t]! * m * k, g.data, t * m * n, d, bAt[t]! * k * n, k, m, n, true, false);
      db = new Tensor(d, b.shape);
    }
    return [da, db];
  });
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

const LINEAR_OPTIONS = ['activation'];

/** Options of `linear`: an activation applied in the product's output pass. */
export interface LinearOpOptions {
  /** 'relu': y = relu(x·Wᵀ + b) as one op (what nn.Sequential runs for a Linear followed by a ReLU). */
  activation?: 'relu' | null;
}

/**
 * y = x·Wᵀ + b (PyTorch's `F.linear`): x is [..., in], the weight W is [out, in], the bias b
 * is [out] or null. One op rather than a transpose, a product and an add, so that no
 * transposed copy of W is ever made and the bias rides along:
 *   y  = b + x·Wᵀ      (every row of y starts as b; the product accumulates into it)
 *   dx = dy·W
 *   dW = dyᵀ·x         (all rows of every batch at once)
 *   db = Σ_rows dy     (summed in float64, `sumRows`)
 * With `activation: 'relu'`, y = relu(b + x·Wᵀ) in the same pass over y, and the backward
 * first masks the incoming gradient, dy ← dy where y > 0 (else 0): the values and gradients
 * of `relu(linear(x, W, b))`, with one intermediate fewer each way.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: LinearOpOptions = {}): Tensor {
  if (weight.shape.length !== 2) throw new RangeError(`linear: weight must be 2-D [out, in], got ${shapeString(weight.shape)}`);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  if (x.shape.length === 0 || x.shape[x.shape.length - 1] !== inFeatures) {
    throw new RangeError(`linear: input of shape ${shapeString(x.shape)} does not end in ${inFeatures} features (weight ${shapeString(weight.shape)})`);
  }
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new RangeError(`linear: bias must have shape [${outFeatures}], got ${shapeString(bias.shape)}`);
  }
  checkKnownOptions('linear', options, LINEAR_OPTIONS);
  const activation = options.activation ?? null;
  if (activation !== null && activation !== 'relu') {
    throw new RangeError(`linear: activation must be 'relu' or null, got ${JSON.stringify(activation)}`);
  }
  const relu = activation === 'relu';
  const rows = numel(x.shape.slice(0, -1));
  const dtype = [x, weight, bias].some((t) => t?.dtype === 'float64') ? 'float64' : 'float32';
  const out = allocate(rows * outFeatures, dtype);
  product(x.data, 0, weight.data, 0, out, 0, rows, inFeatures, outFeatures, false, true, { bias: bias?.data ?? null, relu });
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  return record(new Tensor(out, [...x.shape.slice(0, -1), outFeatures]), relu ? 'linearRelu' : 'linear', inputs, (gradOut) => {
    const gd = relu ? reluGradient(gradOut.data, out) : gradOut.data;
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    // Each gradient is a fresh product (written, not added to); a parameter's may go straight to its arena slot.
    if (x.requiresGrad) {
      const d = x.gradientTarget();
      product(gd, 0, weight.data, 0, d, 0, rows, outFeatures, inFeatures, false, false, WRITE);
      dx = new Tensor(d, x.shape);
    }
    if (weight.requiresGrad) {
      const d = weight.gradientTarget();
      product(gd, 0, x.data, 0, d, 0, outFeatures, rows, inFeatures, true, false, WRITE);
      dw = new Tensor(d, weight.shape);
    }
    if (bias !== null && bias.requiresGrad) {
      const d = bias.gradientTarget();
      sumRows(gd, rows, outFeatures, d);
      db = new Tensor(d, bias.shape);
    }
    return bias === null ? [dx, dw] : [dx, dw, db];
  });
}
