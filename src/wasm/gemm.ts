/**
 * A WebAssembly SIMD matrix product for float32, with the signature of the tensor engine's
 * `gemm` (src/tensor/linalg.ts): C[m×n] += op(A)·op(B), row-major, at offsets, where op(A)
 * is A (stored m×k) or, with `transA`, Aᵀ (A stored k×m); likewise op(B) is B (stored k×n)
 * or, with `transB`, Bᵀ (B stored n×k).
 *
 * The kernel (asm/matmul.ts) works in its own memory, so each call copies A, B and C in,
 * padded to whole 4 × 8 blocks, and C back out: O(mk + kn + mn) copying against O(mkn)
 * arithmetic, worth it from tens of thousands of multiply-adds up (`WASM_GEMM_MIN_WORK`).
 * The copies keep each operand's own layout (a transposed operand is copied row by row as it
 * is stored) and the kernel reads it through strides, so a transpose costs nothing here.
 * The workspace is a block of the WebAssembly heap (./heap.ts), replaced by a larger one when a
 * product needs more, and reused otherwise. Where no block can be had, `wasmGemm` returns false
 * and the caller multiplies in JavaScript.
 *
 * On several threads (./pool.ts) a large product is cut into row blocks of C: thread t computes
 * rows [t·r, (t + 1)·r) with r = ⌈m4 / 4T⌉·4 (so ⌈m4 / r⌉ threads take part), through its own packing panel. The cut depends only
 * on the shape and the thread count, and every element of C sums the same products in the same
 * order on any thread, so the result is the same bit for bit at any thread count.
 */
import type { MatmulKernels } from './loader.js';
import { allocate, release, type HeapBlock } from './heap.js';
import { noteFallback } from './backend.js';
import { callIndex, runParts, type PoolInstance } from './pool.js';
import { threads } from './threads.js';

/** m·k·n below which the copies cost more than the JavaScript loop saves. */
export const WASM_GEMM_MIN_WORK = 1 << 16;
/**
 * m·k·n from which a product is split across threads: 2²⁰ multiply-adds take about 50 µs at
 * this kernel's 20 G multiply-adds/s on one thread, several times the 13–17 µs a hand-off
 * costs (./pool.ts).
 */
export const PARALLEL_MIN_WORK = 1 << 20;

const PANEL_BYTES = 256 * 8 * 4;

let block: HeapBlock | null = null;
/** The workspace block as floats: index 0 is the block's first byte. */
let heap = new Float32Array(0);

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

let gemmIndex: { pool: PoolInstance; index: number } | null = null;
function gemmCall(pool: PoolInstance): number {
  if (gemmIndex?.pool !== pool) gemmIndex = { pool, index: callIndex(pool, 'gemm') };
  return gemmIndex.index;
}

/** A workspace of at least `bytes` bytes, or null (noted once) where none can be had. */
function workspace(bytes: number): MatmulKernels | null {
  if (block === null || block.bytes < bytes) {
    if (block !== null) release(block);
    block = null;
    try {
      block = allocate(bytes);
    } catch (error) {
      noteFallback('matmul', `a ${(bytes / 2 ** 20).toFixed(1)} MiB workspace could not be had (${(error as Error).message}); products run in JavaScript`);
      return null;
    }
    heap = new Float32Array(block.memory.buffer, block.address, block.bytes / 4);
  }
  return block.matmulKernels();
}

/**
 * Copies `rows` rows of `width` values from `src` (contiguous, from `offset`) into the heap at
 * `base`, each row padded with zeros to `paddedWidth`, then zero rows up to `paddedRows`.
 */
function copyPadded(src: Float32Array, offset: number, rows: number, width: number, base: number, paddedRows: number, paddedWidth: number): void {
  if (paddedWidth === width) {
    heap.set(src.subarray(offset, offset + rows * width), base);
  } else {
    for (let r = 0; r < rows; r++) {
      const at = base + r * paddedWidth;
      heap.set(src.subarray(offset + r * width, offset + (r + 1) * width), at);
      heap.fill(0, at + width, at + paddedWidth);
    }
  }
  heap.fill(0, base + rows * paddedWidth, base + paddedRows * paddedWidth);
}

/**
 * C += op(A)·op(B) on float32 arrays (op(A) is m×k, op(B) is k×n, C is m×n), in WebAssembly;
 * false (C untouched) when no workspace could be had.
 */
export function wasmGemm(
  a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number,
  m: number, k: number, n: number, transA = false, transB = false,
): boolean {
  if (m === 0 || n === 0 || k === 0) return true;
  const m4 = Math.ceil(m / 4) * 4;
  const n8 = Math.ceil(n / 8) * 8;
  const aAt = 64;
  const bAt = align64(aAt + 4 * m4 * k);
  const cAt = align64(bAt + 4 * k * n8);
  const panelAt = align64(cAt + 4 * m4 * n8);
  const wanted = m * k * n < PARALLEL_MIN_WORK ? 1 : Math.min(threads(), m4 / 4);
  const rows = Math.ceil(m4 / 4 / wanted) * 4;
  // As many parts as there are blocks of `rows`: 16 rows on 3 threads are 8 + 8, not 8 + 8 + 0.
  const parts = Math.ceil(m4 / rows);
  const gemm = workspace(panelAt + parts * PANEL_BYTES);
  if (gemm === null) return false;

  // A as stored: m rows of k (read with strides 4k, 4), or k rows of m (strides 4, 4·m4).
  if (transA) copyPadded(a, aOff, k, m, aAt / 4, k, m4);
  else copyPadded(a, aOff, m, k, aAt / 4, m4, k);
  // B as stored: k rows of n, or n rows of k that the kernel transposes while packing.
  if (transB) copyPadded(b, bOff, n, k, bAt / 4, n8, k);
  else copyPadded(b, bOff, k, n, bAt / 4, k, n8);
  copyPadded(c, cOff, m, n, cAt / 4, m4, n8);

  const [aRowStride, aStepStride] = transA ? [4, 4 * m4] : [4 * k, 4];
  const at = block!.address;
  const pool = parts > 1 ? block!.matmulPool() : null;
  if (pool === null) gemm.gemm(at + aAt, aRowStride, aStepStride, at + bAt, transB ? 1 : 0, at + cAt, at + panelAt, m4, k, n8);
  else {
    runParts(pool, gemmCall(pool), parts, (part, out, from) => {
      const first = part * rows;
      out[from] = at + aAt + first * aRowStride;
      out[from + 1] = aRowStride;
      out[from + 2] = aStepStride;
      out[from + 3] = at + bAt;
      out[from + 4] = transB ? 1 : 0;
      out[from + 5] = at + cAt + first * 4 * n8;
      out[from + 6] = at + panelAt + part * PANEL_BYTES;
      out[from + 7] = Math.min(rows, m4 - first);
      out[from + 8] = k;
      out[from + 9] = n8;
      return 10;
    });
  }

  const cBase = cAt / 4;
  if (n8 === n) c.set(heap.subarray(cBase, cBase + m * n), cOff);
  else for (let i = 0; i < m; i++) c.set(heap.subarray(cBase + i * n8, cBase + i * n8 + n), cOff + i * n);
  return true;
}
