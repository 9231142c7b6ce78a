/**
 * A WebAssembly SIMD matrix product for float32, with the signature of the tensor engine's
 * `gemm` (src/tensor/linalg.ts): C[m×n] += op(A)·op(B), row-major, at offsets, where op(A)
 * is A (stored m×k) or, with `transA`, Aᵀ (A stored k×m); likewise op(B) is B (stored k×n)
 * or, with `transB`, Bᵀ (B stored n×k). With an `output` pass it computes instead
 * C = act(b + op(A)·op(B)), a layer's forward product with its bias and ReLU in one pass.
 *
 * The kernel (asm/matmul.ts) reads each operand through strides and packs it itself, so an
 * operand that already lives in the kernel's memory (a parameter or gradient in an optimizer
 * arena) is read where it is, and any other is copied in as stored, contiguous (one `set`, no
 * padding, no transpose): O(mk + kn + mn) copying against O(mkn) arithmetic, worth it from
 * tens of thousands of multiply-adds up (`WASM_GEMM_MIN_WORK`). C likewise: written in place
 * when it lives there, else copied in (only when accumulating) and back out. The workspace is
 * a block of the WebAssembly heap (./heap.ts), replaced by a larger one when a product needs
 * more, and reused otherwise. Where no block can be had, `wasmGemm` returns false and the
 * caller multiplies in JavaScript.
 *
 * On several threads (./pool.ts) a large product is cut into row blocks of C: part t computes
 * rows [t·r, (t + 1)·r) with r = ⌈⌈m / 4⌉ / T⌉·4 (whole register blocks), packing into a
 * workspace of its own. The kernel takes its rows of A and C by address and a count, so a part
 * is the same call with A and C moved to its first row, and calls on separate row ranges give
 * the bits of one call. A layer's forward product, whose B is a weight in an arena stored n×k,
 * is cut into column strips instead (whole 8-wide strips; B, C and the bias moved to the first
 * column), so that each thread reads the rows of W its own slice of the optimizer step writes
 * (./parallel.ts): moving W's rows between cores every step cost more than the split saved.
 * The cut depends only on the shape, where B lives and the thread count, and each
 * element of C is the same sequence of multiply-adds (bias and ReLU included) in whichever part
 * it falls, in the same build (workers instantiate the module this thread compiled, relaxed
 * SIMD or not), so the result is the same bit for bit at any thread count.
 */
import { allocate, release, type HeapBlock } from './heap.js';
import { noteFallback } from './backend.js';
import { callIndex, runParts, type PoolInstance } from './pool.js';
import { threads } from './threads.js';

/** m·k·n below which the copies cost more than the JavaScript loop saves. */
export const WASM_GEMM_MIN_WORK = 1 << 16;
/**
 * m·k·n from which a product is split across threads. Measured here on a shared 2-core machine,
 * 1 thread against 2, the best of 800–2000 alternating calls in each of four runs: 2²⁰
 * multiply-adds (75 µs on one thread) took 13–22 % longer on two, 2²¹ (145 µs) 8 % less in one
 * run and 10–14 % longer in three, 2²² (290 µs) 24 % less and 8 % longer in two. A worker woken
 * from `Atomics.wait` on a busy machine answers late (./pool.ts), the copies in and out stay on
 * the calling thread, and each part packs the whole of the operand it does not cut.
 */
export const PARALLEL_MIN_WORK = 1 << 22;

/** The kernel's register block is 8 columns wide: a bias row is read 8 values at a time. */
const BIAS_STEP = 8;
/** The kernel's register block is 4 rows high: a thread's share of C is a whole number of them. */
const ROW_STEP = 4;

/** What the output pass does instead of C += op(A)·op(B): C = relu?(bias + op(A)·op(B)). */
export interface GemmOutput {
  /** Added to every row of C (n values); null adds nothing. */
  bias: Float32Array | null;
  /** v > 0 ? v : 0 on every value after the bias (NaN to 0, as the engine's ReLU). */
  relu: boolean;
}

/** How a product is cut across threads: `parts` blocks of `size` rows of C, or of `size` columns. */
interface Cut {
  parts: number;
  byColumns: boolean;
  size: number;
}

/**
 * The cut of an m×k×n product. By rows of C, whole register blocks each; but by columns (whole
 * NR-wide strips) when B is a weight stored n×k in the heap (a layer's y = x·Wᵀ): then part t
 * reads only the rows of W that the same thread's optimizer slice updates (./parallel.ts cuts
 * an arena in order), and W's rows do not cross between cores every step.
 */
export function cutOf(m: number, k: number, n: number, weightRows: boolean): Cut {
  const byColumns = weightRows && n >= 2 * BIAS_STEP;
  const step = byColumns ? BIAS_STEP : ROW_STEP;
  const extent = byColumns ? n : m;
  const blocks = Math.ceil(extent / step);
  const wanted = m * k * n < PARALLEL_MIN_WORK ? 1 : Math.min(threads(), blocks);
  const size = Math.ceil(blocks / wanted) * step;
  // As many parts as there are blocks of `size`: 16 rows on 3 threads are 8 + 8, not 8 + 8 + 0.
  return { parts: Math.ceil(extent / size), byColumns, size };
}

/** Bytes the kernel packs its blocks into, learned from the kernel on first use. */
let kernelBytes = 0;
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
function workspace(bytes: number): HeapBlock | null {
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
  return block;
}

/**
 * Where `length` floats from `offset` of `array` lie in the kernel's memory: in place, or at
 * `spare` (a byte address in the workspace), copied there when `copy`.
 */
function place(array: Float32Array, offset: number, length: number, spare: number, at: HeapBlock, copy = true): { address: number; inPlace: boolean } {
  const address = at.addressOf(array);
  if (address !== null) return { address: address + 4 * offset, inPlace: true };
  if (copy) heap.set(array.subarray(offset, offset + length), (spare - at.address) / 4);
  return { address: spare, inPlace: false };
}

/** C = relu?(bias + 0) for an empty depth (no product to run). */
function outputOfNothing(c: Float32Array, cOff: number, m: number, n: number, { bias, relu }: GemmOutput): void {
  for (let i = 0; i < m; i++) {
    const row = cOff + i * n;
    if (bias === null) c.fill(0, row, row + n);
    else c.set(bias.subarray(0, n), row);
    if (relu) for (let j = row; j < row + n; j++) c[j] = c[j]! > 0 ? c[j]! : 0;
  }
}

/**
 * C += op(A)·op(B) on float32 arrays (op(A) is m×k, op(B) is k×n, C is m×n), in WebAssembly;
 * with `output`, C = relu?(bias + op(A)·op(B)) instead. False (C untouched) when no workspace
 * could be had.
 */
export function wasmGemm(
  a: Float32Array, aOff: number, b: Float32Array, bOff: number, c: Float32Array, cOff: number,
  m: number, k: number, n: number, transA = false, transB = false, output?: GemmOutput,
): boolean {
  if (m === 0 || n === 0) return true;
  if (k === 0) {
    if (output !== undefined) outputOfNothing(c, cOff, m, n, output);
    return true;
  }
  // A B in the heap is a parameter (the workspace's heap holds the arenas too).
  const split = cutOf(m, k, n, transB && block?.addressOf(b) != null);
  const { parts } = split;
  // The workspace holds each part's packed blocks, then whatever must be copied in.
  const nBias = Math.ceil(n / BIAS_STEP) * BIAS_STEP;
  const kernelAt = 64;
  const layout = (kernelBytes: number) => {
    const biasAt = align64(kernelAt + parts * align64(kernelBytes));
    const cAt = align64(biasAt + 4 * nBias);
    const aAt = align64(cAt + 4 * m * n);
    const bAt = align64(aAt + 4 * m * k);
    return { biasAt, cAt, aAt, bAt, bytes: bAt + 4 * k * n };
  };
  let at = workspace(layout(kernelBytes).bytes);
  if (at !== null && kernelBytes === 0) {
    kernelBytes = at.matmulKernels().workspaceBytes();
    at = workspace(layout(kernelBytes).bytes);
  }
  if (at === null) return false;
  const { biasAt, cAt, aAt, bAt } = layout(kernelBytes);
  const base = at.address;

  const aAddress = place(a, aOff, m * k, base + aAt, at).address;
  const bAddress = place(b, bOff, k * n, base + bAt, at).address;
  // C is read only when accumulating; a C in the heap (a gradient in an arena) is written in place.
  const cPlace = place(c, cOff, m * n, base + cAt, at, output === undefined);
  let biasAddress = 0;
  if (output?.bias != null) {
    heap.set(output.bias.subarray(0, n), biasAt / 4);
    heap.fill(0, biasAt / 4 + n, biasAt / 4 + nBias);
    biasAddress = base + biasAt;
  }

  // A[i, p] and B[p, j] as stored: A m rows of k, or k rows of m; B k rows of n, or n rows of k.
  const [aRowStride, aStepStride] = transA ? [4, 4 * m] : [4 * k, 4];
  const [bStepStride, bColStride] = transB ? [4, 4 * k] : [4 * n, 4];
  const accumulate = output === undefined ? 1 : 0;
  const relu = output?.relu ? 1 : 0;
  const pool = parts > 1 ? at.matmulPool() : null;
  if (pool === null) {
    at.matmulKernels().gemm(
      aAddress, aRowStride, aStepStride,
      bAddress, bStepStride, bColStride,
      cPlace.address, 4 * n,
      accumulate, biasAddress, relu,
      base + kernelAt, m, k, n,
    );
  } else {
    const workBytes = align64(kernelBytes);
    const { byColumns, size } = split;
    runParts(pool, gemmCall(pool), parts, (part, out, from) => {
      // The part's first row and column of C, and its extent.
      const row = byColumns ? 0 : part * size;
      const col = byColumns ? part * size : 0;
      const rows = byColumns ? m : Math.min(size, m - row);
      const cols = byColumns ? Math.min(size, n - col) : n;
      out[from] = aAddress + row * aRowStride;
      out[from + 1] = aRowStride;
      out[from + 2] = aStepStride;
      out[from + 3] = bAddress + col * bColStride;
      out[from + 4] = bStepStride;
      out[from + 5] = bColStride;
      out[from + 6] = cPlace.address + row * 4 * n + 4 * col;
      out[from + 7] = 4 * n;
      out[from + 8] = accumulate;
      out[from + 9] = biasAddress === 0 ? 0 : biasAddress + 4 * col;
      out[from + 10] = relu;
      out[from + 11] = base + kernelAt + part * workBytes;
      out[from + 12] = rows;
      out[from + 13] = k;
      out[from + 14] = cols;
      return 15;
    });
  }
  if (!cPlace.inPlace) c.set(heap.subarray(cAt / 4, cAt / 4 + m * n), cOff);
  return true;
}
