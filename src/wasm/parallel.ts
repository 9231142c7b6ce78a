/**
 * The optimizer kernels on every thread. A kernel marked `@parallel` in asm/ updates each
 * element on its own, so the element range of its segment table can be cut into one slice per
 * thread: each thread runs the same kernel over a table of its own (written into scratch
 * memory of the same heap) that covers its slice, and the memory ends up bit for bit as one
 * thread would leave it. Kernels with a reduction (norms, LAMB's direction, Adafactor's
 * factors, Muon) stay on the calling thread.
 *
 * The slices depend only on the table and the thread count: the padded element range is cut
 * every `ceil(total / threads)` elements, rounded up to 16 (a 64-byte line, so two threads
 * rarely write the same cache line).
 */
import { optimParallelKernels, type OptimKernels } from './generated.js';
import type { WasmMemory, WasmModule } from './loader.js';
import { callIndex, registerInstance, runParts, type PoolInstance } from './pool.js';
import { MAX_THREADS, threads } from './threads.js';

const ENTRY_BYTES = 16;
const ENTRY_INTS = ENTRY_BYTES / 4;
/**
 * Elements (a segment's values; the arrays a kernel touches per element are not counted) below
 * which a kernel runs on the calling thread alone. Adam on one tensor, 1 thread against 2 on
 * this 2-core machine, the best of 8 alternating rounds each, workers awake (./pool.ts), in two
 * runs: 2¹⁶ values ran 1.13–1.16× as fast on two threads, 2¹⁷ 1.02–1.09×, 2¹⁸ 1.13–1.32×,
 * 2¹⁹ 1.30–1.50×. Both cores share the memory bus, and the second one computes about 12 %
 * slower while the first is busy too (a multiply-add loop on each, at once). In training the
 * split pays more: each thread updates about the rows of a weight that its part of the
 * products wrote (./gemm.ts), so they stay in its cache. The bench's MLP (203,530 params) on
 * two threads, split from 2¹⁷ against 2¹⁸, alternating epochs in one process, three runs:
 * best of 12 epochs 73,263–75,239 samples/s against 68,991–72,005, median 60,423–64,588
 * against 54,070–58,346.
 */
export const PARALLEL_MIN_ELEMENTS = 1 << 17;
/** Slice boundaries fall on multiples of this many elements (64 bytes). */
const SLICE_ALIGN = 16;

const padded = (count: number): number => (count + 7) & ~7;

/**
 * Cuts the `count` entries of the segment table at int index `table` of `words` into `parts`
 * slices of the padded element range, writing slice k's table at int index `out + k·stride`
 * (`stride` ≥ 4·count ints); `entries[k]` gets its entry count. Reads and writes plain typed
 * arrays only. An entry's float field is copied through `words`, which keeps its bits.
 */
export function splitSegments(words: Int32Array, table: number, count: number, parts: number, out: number, stride: number, entries: Int32Array): void {
  const slice = Math.ceil(paddedTotal(words, table, count) / parts / SLICE_ALIGN) * SLICE_ALIGN;
  let s = 0;
  /** Elements of segment s already given to earlier slices. */
  let used = 0;
  for (let k = 0; k < parts; k++) {
    let room = slice;
    let n = 0;
    const at = out + k * stride;
    while (room > 0 && s < count) {
      const entry = table + s * ENTRY_INTS;
      const length = words[entry + 1]!;
      const take = Math.min(room, padded(length) - used);
      const e = at + n * ENTRY_INTS;
      words[e] = words[entry]! + 4 * used;
      // A slice that ends inside the segment ends on a whole 8; the last keeps the true count.
      words[e + 1] = Math.min(take, length - used);
      words[e + 2] = words[entry + 2]!;
      words[e + 3] = 0;
      n++;
      room -= take;
      used += take;
      if (used === padded(length)) {
        s++;
        used = 0;
      }
    }
    entries[k] = n;
  }
}

/** Σ of the padded counts of the table's entries. */
function paddedTotal(words: Int32Array, table: number, count: number): number {
  let total = 0;
  for (let s = 0; s < count; s++) total += padded(words[table + s * ENTRY_INTS + 1]!);
  return total;
}

/**
 * `exports` with every `@parallel` kernel replaced by one that splits large tables across the
 * pool's threads. `scratch(bytes)` gives the byte address of at least `bytes` bytes of this
 * memory for the slices' tables (null: none, run on one thread).
 */
export function parallelOptimKernels(exports: OptimKernels, module: WasmModule, memory: WasmMemory, scratch: (bytes: number) => number | null): OptimKernels {
  let instance: PoolInstance | null = null;
  let words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  const entries = new Int32Array(MAX_THREADS);
  /** A view of the whole memory: a shared memory's buffer object changes when it grows (older views stay valid but shorter). */
  const view = (): Int32Array => {
    if (words.buffer !== memory.buffer) words = new Int32Array(memory.buffer);
    return words;
  };
  const kernels = { ...exports } as Record<string, unknown>;
  const split = (name: keyof OptimKernels): TableKernel => {
    const direct = exports[name] as unknown as TableKernel;
    let fn = -1;
    return (table: number, count: number, ...rest: number[]): void => {
      const parts = threads();
      if (parts === 1 || count === 0) return direct(table, count, ...rest);
      if (paddedTotal(view(), table / 4, count) < PARALLEL_MIN_ELEMENTS) return direct(table, count, ...rest);
      const stride = ENTRY_BYTES * (count + 1);
      const at = scratch(stride * parts);
      if (at === null) return direct(table, count, ...rest);
      // Taking the scratch may have grown the memory.
      view();
      instance ??= registerInstance(module, memory, exports as unknown as Record<string, unknown>);
      if (fn < 0) fn = callIndex(instance, name);
      splitSegments(words, table / 4, count, parts, at / 4, stride / 4, entries);
      runParts(instance, fn, parts, (part, out, from) => {
        out[from] = at + part * stride;
        out[from + 1] = entries[part]!;
        for (let k = 0; k < rest.length; k++) out[from + 2 + k] = rest[k]!;
        return 2 + rest.length;
      });
    };
  };
  for (const name of optimParallelKernels) kernels[name] = split(name);
  const wrapped = kernels as unknown as OptimKernels;
  splitters.set(wrapped, split);
  return wrapped;
}

type TableKernel = (table: number, count: number, ...rest: number[]) => void;
const splitters = new WeakMap<OptimKernels, (name: keyof OptimKernels) => TableKernel>();

/**
 * Kernel `name` of `kernels` (an arena's) split across threads as the `@parallel` ones are;
 * null where the memory is not shared. For a kernel that is element-wise in the call at hand
 * though not marked (the bandwidth floor's writing passes, which the bench runs on as many
 * threads as the step it is the floor of).
 */
export function splitKernel(kernels: OptimKernels, name: keyof OptimKernels): TableKernel | null {
  return splitters.get(kernels)?.(name) ?? null;
}
