/**
 * Where descent's WebAssembly memory comes from: every optimizer arena and the matrix product's
 * workspace are blocks of one heap, so the address space descent takes does not grow with the
 * number of param groups or optimizers.
 *
 * Why: a JavaScript engine reserves address space for every `WebAssembly.Memory` far beyond its
 * size (V8 reserves 10 GiB each, to drop bounds checks). With one memory per arena, a process
 * under `ulimit -v 24G` fitted two arenas. Here the heap is one *shared* memory: it grows up to
 * WebAssembly's 4 GiB as blocks are asked for, and growing a shared memory never detaches the
 * views already taken of it, so parameters bound into an arena stay valid (the same property
 * lets worker threads see the same memory). Blocks are found first-fit in a free list and
 * merged with their neighbours when released; a request that no heap can hold opens another
 * heap, so only every 4 GiB of blocks costs another reservation.
 *
 * Where the runtime has no shared memory (a browser page that is not cross-origin isolated),
 * each block gets a memory of its own, sized once and never grown (growing a plain memory would
 * detach every view): correct, with today's address-space cost. `heapReport()` says which.
 *
 * A block is released explicitly (`release`), or when its owner is garbage-collected and
 * nothing still uses it (`releaseWhenUnused`): a model keeps its parameters after its optimizer
 * is gone, and their values live in the optimizer's block until another arena takes them.
 */
import { instantiateMatmulKernels, instantiateOptimKernels, newMemory, newSharedMemory, type MatmulKernels, type OptimKernels, type WasmMemory } from './loader.js';
import { parallelOptimKernels } from './parallel.js';
import { registerInstance, type PoolInstance } from './pool.js';
import { noteSingleThread } from './threads.js';

const PAGE = 65536;
/** WebAssembly's 32-bit memories hold at most 65536 pages (4 GiB). */
export const MAX_HEAP_BYTES = 65536 * PAGE;
const ALIGN = 64;
/** Address 0 stays "nothing": a heap's first block starts here. */
const FIRST_ADDRESS = ALIGN;

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** The largest block handed out; tests lower it to reach the JavaScript fallbacks without 4 GiB of memory. */
export const heapLimits = { blockBytes: MAX_HEAP_BYTES - FIRST_ADDRESS };

/** A WebAssembly memory with the kernels bound to it, and its free space. */
class Heap {
  private optim: OptimKernels | null = null;
  private matmul: MatmulKernels | null = null;
  private matmulThreads: PoolInstance | null = null;
  /** Scratch for the kernel pool's per-thread segment tables (./parallel.ts): [address, bytes]. */
  private scratch: [number, number] | null = null;
  /** Free ranges [start, end), sorted by start, never adjacent (they are merged). */
  readonly free: Array<[number, number]> = [];
  /** End of the highest block ever handed out; the memory above it is free too. */
  top = FIRST_ADDRESS;
  /** Live blocks (a private heap is dropped when its one block is released), and their bytes. */
  blocks = 0;
  liveBytes = 0;
  /** Every buffer object the memory has shown (a shared memory shows a new one after each growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly memory: WasmMemory,
    readonly shared: boolean,
  ) {
    this.buffers.add(memory.buffer);
  }

  /** Whether `buffer` is (a view of) this heap's memory. */
  holds(buffer: ArrayBufferLike): boolean {
    if (this.buffers.has(buffer)) return true;
    if (buffer !== this.memory.buffer) return false;
    this.buffers.add(buffer);
    return true;
  }

  /** The optimizer kernels over this memory; on a shared memory, the `@parallel` ones split large tables across threads. */
  optimKernels(): OptimKernels {
    if (this.optim === null) {
      const { exports, module } = instantiateOptimKernels(this.memory, this.shared);
      this.optim = this.shared ? parallelOptimKernels(exports, module, this.memory, (bytes) => this.scratchBlock(bytes)) : exports;
    }
    return this.optim;
  }

  matmulKernels(): MatmulKernels {
    this.matmul ??= this.bindMatmul();
    return this.matmul;
  }

  /** The matmul kernels as the kernel pool runs them on every thread; null on a private memory. */
  matmulPool(): PoolInstance | null {
    this.matmul ??= this.bindMatmul();
    return this.matmulThreads;
  }

  private bindMatmul(): MatmulKernels {
    const { exports, module } = instantiateMatmulKernels(this.memory, this.shared);
    if (this.shared) this.matmulThreads = registerInstance(module, this.memory, exports as unknown as Record<string, unknown>);
    return exports;
  }

  /** The address of at least `bytes` bytes of scratch in this memory (the last request's, grown when needed); null if none fits. */
  private scratchBlock(bytes: number): number | null {
    if (this.scratch !== null && this.scratch[1] >= bytes) return this.scratch[0];
    if (this.scratch !== null) this.give(...this.scratch);
    this.scratch = null;
    const size = alignUp(Math.max(bytes, 1024));
    const address = this.take(size);
    if (address === null) return null;
    this.scratch = [address, size];
    return address;
  }

  /** A block of `bytes` (aligned) from the free list or the top, growing the memory if it may; null if it does not fit. */
  take(bytes: number): number | null {
    for (let k = 0; k < this.free.length; k++) {
      const [start, end] = this.free[k]!;
      if (end - start < bytes) continue;
      if (end - start === bytes) this.free.splice(k, 1);
      else this.free[k] = [start + bytes, end];
      this.blocks += 1;
      this.liveBytes += bytes;
      return start;
    }
    const start = this.top;
    const end = start + bytes;
    if (end > this.memory.buffer.byteLength) {
      if (!this.shared || end > MAX_HEAP_BYTES) return null;
      try {
        this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
        this.buffers.add(this.memory.buffer);
      } catch {
        return null; // the system would not commit more memory
      }
    }
    this.top = end;
    this.blocks += 1;
    this.liveBytes += bytes;
    return start;
  }

  /** Returns [start, start + bytes) to the free list, merged with free neighbours (and the top). */
  give(start: number, bytes: number): void {
    this.blocks -= 1;
    this.liveBytes -= bytes;
    let end = start + bytes;
    let from = start;
    let k = this.free.findIndex(([s]) => s > start);
    if (k < 0) k = this.free.length;
    const before = this.free[k - 1];
    if (before !== undefined && before[1] === from) {
      from = before[0];
      this.free.splice(--k, 1);
    }
    const after = this.free[k];
    if (after !== undefined && after[0] === end) {
      end = after[1];
      this.free.splice(k, 1);
    }
    if (end === this.top) this.top = from;
    else this.free.splice(k, 0, [from, end]);
  }
}

/** A block of a heap: `bytes` bytes at byte address `address` of `memory`. */
export interface HeapBlock {
  readonly memory: WasmMemory;
  readonly address: number;
  readonly bytes: number;
  /** The optimizer kernels, bound to this block's memory. */
  readonly optimKernels: OptimKernels;
  /** The matrix product kernel, bound to this block's memory. */
  matmulKernels(): MatmulKernels;
  /** The same, as the kernel pool runs it on every thread; null where the memory is not shared. */
  matmulPool(): PoolInstance | null;
  /** The byte address of `view`'s first byte when it lies in this block's memory (any block of it), else null. */
  addressOf(view: ArrayBufferView): number | null;
}

interface LiveBlock extends HeapBlock {
  readonly heap: Heap;
  released: boolean;
}

const heaps: Heap[] = [];
/** Why blocks get memories of their own, once that was found out; null while shared memory works. */
let sharedUnavailable: string | null = null;

function openSharedHeap(bytes: number): Heap | null {
  if (sharedUnavailable !== null) return null;
  const made = newSharedMemory(Math.max(1, Math.ceil((FIRST_ADDRESS + bytes) / PAGE)));
  if ('error' in made) {
    // No shared memory at all (not merely no room for this one): every block gets its own memory,
    // and the kernels keep to the calling thread.
    if (heaps.every((h) => !h.shared)) {
      sharedUnavailable = made.error;
      noteSingleThread(`no shared WebAssembly memory (${made.error})`);
    }
    return null;
  }
  const heap = new Heap(made.memory, true);
  heaps.push(heap);
  return heap;
}

function openPrivateHeap(bytes: number): Heap {
  const heap = new Heap(newMemory(Math.ceil((FIRST_ADDRESS + bytes) / PAGE), true), false);
  heaps.push(heap);
  return heap;
}

/**
 * A block of at least `bytes` bytes, 64-byte aligned, zero-filled. Throws a RangeError saying
 * why when no memory can hold it (over 4 GiB, or the system refused the memory).
 */
export function allocate(bytes: number): HeapBlock {
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new RangeError(`allocate: ${bytes} is not a byte count`);
  reclaim();
  const size = alignUp(Math.max(bytes, 1));
  if (size > heapLimits.blockBytes) {
    const limit = heapLimits.blockBytes >= MAX_HEAP_BYTES - FIRST_ADDRESS ? 'one WebAssembly memory (4 GiB at most)' : `the block limit of ${heapLimits.blockBytes} bytes`;
    throw new RangeError(`${(size / 2 ** 20).toFixed(1)} MiB do not fit in ${limit}`);
  }
  let heap: Heap | null = null;
  let address: number | null = null;
  for (const candidate of heaps) {
    if (!candidate.shared) continue;
    address = candidate.take(size);
    if (address !== null) {
      heap = candidate;
      break;
    }
  }
  if (heap === null) {
    try {
      heap = openSharedHeap(size) ?? openPrivateHeap(size);
    } catch (cause) {
      throw new RangeError(`the system refused ${(size / 2 ** 20).toFixed(1)} MiB of WebAssembly memory (${(cause as Error).message})`, { cause });
    }
    address = heap.take(size);
    if (address === null) throw new RangeError(`a new WebAssembly memory could not hold ${size} bytes`);
  }
  // A block taken from the free list holds what its last owner left.
  new Uint8Array(heap.memory.buffer, address!, size).fill(0);
  const block: LiveBlock = {
    heap,
    memory: heap.memory,
    address: address!,
    bytes: size,
    optimKernels: heap.optimKernels(),
    matmulKernels: () => heap.matmulKernels(),
    matmulPool: () => heap.matmulPool(),
    addressOf: (view) => (heap.holds(view.buffer) ? view.byteOffset : null),
    released: false,
  };
  return block;
}

/** Gives a block back; its memory may be handed out again at once. Releasing twice is an error. */
export function release(block: HeapBlock): void {
  const live = block as LiveBlock;
  if (live.released) throw new Error('release: this block was released already');
  live.released = true;
  live.heap.give(live.address, live.bytes);
  if (!live.heap.shared && live.heap.blocks === 0) heaps.splice(heaps.indexOf(live.heap), 1);
}

/** Blocks whose owners were collected, each kept until `stillUsed()` says nothing reads it. */
const pending: Array<{ block: HeapBlock; stillUsed: () => boolean }> = [];
const owners = new FinalizationRegistry<{ block: HeapBlock; stillUsed: () => boolean }>((entry) => pending.push(entry));

/**
 * Releases `block` once `owner` has been garbage-collected and `stillUsed()` is false.
 * `stillUsed` must not refer to `owner` (that would keep it alive forever).
 */
export function releaseWhenUnused(owner: object, block: HeapBlock, stillUsed: () => boolean): void {
  owners.register(owner, { block, stillUsed });
}

/** Releases the pending blocks nothing uses any more (before each allocation). */
function reclaim(): void {
  for (let k = pending.length - 1; k >= 0; k--) {
    const entry = pending[k]!;
    if (entry.stillUsed()) continue;
    pending.splice(k, 1);
    if (!(entry.block as LiveBlock).released) release(entry.block);
  }
}

/** How descent's WebAssembly memory is laid out now, for `kernelReport()` and tests. */
export interface HeapReport {
  /** `shared`: blocks share growable shared memories; `per-block`: each block has a memory of its own. */
  mode: 'shared' | 'per-block';
  /** Why the mode is `per-block` (the runtime's error for a shared memory); null when shared. */
  reason: string | null;
  /** WebAssembly memories open now (each costs the engine's address-space reservation). */
  memories: number;
  /** Bytes those memories hold, and bytes in live blocks. */
  memoryBytes: number;
  blockBytes: number;
  /** Blocks whose owners were collected but whose memory something still reads. */
  pendingBlocks: number;
}

export function heapReport(): HeapReport {
  reclaim();
  return {
    mode: sharedUnavailable === null ? 'shared' : 'per-block',
    reason: sharedUnavailable,
    memories: heaps.length,
    memoryBytes: heaps.reduce((sum, h) => sum + h.memory.buffer.byteLength, 0),
    blockBytes: heaps.reduce((sum, h) => sum + h.liveBytes, 0),
    pendingBlocks: pending.length,
  };
}
