/**
 * A WebAssembly SIMD matrix product for float32, with the signature of the tensor engine's
 * `gemm` (src/tensor/linalg.ts): C[m×n] += A[m×k]·B[k×n], row-major, at offsets.
 *
 * The kernel (asm/matmul.ts) works in its own memory, so each call copies A, B and C in,
 * padded to whole 4 × 8 blocks, and C back out: O(mk + kn + mn) copying against O(mkn)
 * arithmetic, worth it from a few hundred thousand multiply-adds up (`WASM_GEMM_MIN_WORK`).
 * The memory grows to the largest product seen and is then reused; views are re-derived
 * after every growth.
 */
import { Tensor } from '../tensor/tensor.js';
import { record } from '../autograd/engine.js';
import { instantiateMatmulKernels, newMemory, type MatmulKernels, type WasmMemory } from './loader.js';

/** m·k·n below which the copies cost more than the JavaScript loop saves. */
export const WASM_GEMM_MIN_WORK = 1 << 16;

const PAGE = 65536;
const PANEL_BYTES = 256 * 8 * 4;

let memory: WasmMemory | null = null;
let kernels: MatmulKernels | null = null;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

function workspace(bytes: number): { memory: WasmMemory; kernels: MatmulKernels } {
  if (memory === null || kernels === null) {
    memory = newMemory(Math.max(1, Math.ceil(bytes / PAGE)), false);
    kernels = instantiateMatmulKernels(memory);
  } else if (memory.buffer.byteLength < bytes) {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }
  return { memory, kernels };
}

/** C += A·B on float32 arrays (row-major, m×k times k×n, at the given offsets), in WebAssembly. */
export function wasmGemm(a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number, m: number, k: number, n: number): void {
  if (m === 0 || n === 0 || k === 0) return;
  const m4 = Math.ceil(m / 4) * 4;
  const n8 = Math.ceil(n / 8) * 8;
  const aAt = 64;
  const bAt = align64(aAt + 4 * m4 * k);
  const cAt = align64(bAt + 4 * k * n8);
  const panelAt = align64(cAt + 4 * m4 * n8);
  const ws = workspace(panelAt + PANEL_BYTES);
  const heap = new Float32Array(ws.memory.buffer);

  const aBase = aAt / 4;
  heap.set(a.subarray(aOff, aOff + m * k), aBase);
  heap.fill(0, aBase + m * k, aBase + m4 * k);

  const bBase = bAt / 4;
  if (n8 === n) heap.set(b.subarray(bOff, bOff + k * n), bBase);
  else {
    for (let p = 0; p < k; p++) {
      heap.set(b.subarray(bOff + p * n, bOff + (p + 1) * n), bBase + p * n8);
      heap.fill(0, bBase + p * n8 + n, bBase + (p + 1) * n8);
    }
  }

  const cBase = cAt / 4;
  if (n8 === n) heap.set(c.subarray(cOff, cOff + m * n), cBase);
  else for (let i = 0; i < m; i++) heap.set(c.subarray(cOff + i * n, cOff + (i + 1) * n), cBase + i * n8);
  heap.fill(0, cBase + m * n8, cBase + m4 * n8);

  ws.kernels.gemm(aAt, bAt, cAt, panelAt, m4, k, n8);

  if (n8 === n) c.set(heap.subarray(cBase, cBase + m * n), cOff);
  else for (let i = 0; i < m; i++) c.set(heap.subarray(cBase + i * n8, cBase + i * n8 + n), cOff + i * n);
}

function transposed(x: Tensor): Float32Array {
  const [rows, cols] = x.shape as [number, number];
  const out = new Float32Array(rows * cols);
  const src = x.data;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j]!;
  return out;
}

/**
 * A·B for 2-D float32 tensors through `wasmGemm`, recorded for autograd
 * (dA = G·Bᵀ, dB = Aᵀ·G, both also in WebAssembly). What `matmul` could do for large float32
 * products once the engine calls `wasmGemm` (see the proposed hook in the report).
 */
export function wasmMatmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new RangeError(`wasmMatmul: needs 2-D tensors [m, k] and [k, n], got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (!(a.data instanceof Float32Array) || !(b.data instanceof Float32Array)) throw new TypeError('wasmMatmul: float32 tensors only');
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out = new Float32Array(m * n);
  wasmGemm(a.data, 0, b.data, 0, out, 0, m, k, n);
  return record(new Tensor(out, [m, n]), 'matmul', [a, b], (g) => {
    const gData = g.data as Float32Array;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      const d = new Float32Array(m * k);
      wasmGemm(gData, 0, transposed(b), 0, d, 0, m, n, k);
      da = new Tensor(d, [m, k]);
    }
    if (b.requiresGrad) {
      const d = new Float32Array(k * n);
      wasmGemm(transposed(a), 0, gData, 0, d, 0, k, m, n);
      db = new Tensor(d, [k, n]);
    }
    return [da, db];
  });
}
