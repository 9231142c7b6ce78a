/**
 * Loads descent's WebAssembly kernels from the base64 strings that scripts/build-wasm.mjs
 * generates, so there is no file to find and no fetch: the same code runs in Node, in
 * browsers and in bundles.
 *
 * Each module comes in two builds: one importing a shared memory (the heap of ./heap.ts) and one
 * importing a plain memory (where the runtime has no shared memory). The matrix product comes
 * twice more, built with relaxed SIMD (its multiply-adds fused): chosen where the engine
 * validates that build (Chrome ≥ 114, Node ≥ 22, Node 20 with --experimental-wasm-relaxed-simd),
 * the plain SIMD build otherwise. A module is compiled once and instantiated once per memory;
 * the kernel pool's workers (./pool.ts) instantiate the module compiled here, so every thread
 * runs the same build. Compilation is synchronous (the modules are a few KiB, under
 * the limit browsers put on synchronous compilation on the main thread); `preloadKernels()`
 * compiles asynchronously for pages that prefer to.
 */
import {
  optimWasmBase64, optimSharedWasmBase64, matmulWasmBase64, matmulSharedWasmBase64, matmulRelaxedWasmBase64, matmulRelaxedSharedWasmBase64,
  type OptimKernels, type MatmulKernels,
} from './generated.js';

/**
 * The few WebAssembly JS-API members descent uses, typed here: the project compiles against
 * ES2022 + Node types, which do not declare the `WebAssembly` namespace (lib.dom does).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

function wasmApi(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) throw new Error('descent: this JavaScript runtime has no WebAssembly; use the plain JavaScript kernels');
  return api;
}

/** A memory of `pages` 64 KiB pages; with `fixed`, it can never grow (so views never detach). */
export function newMemory(pages: number, fixed: boolean): WasmMemory {
  return new (wasmApi().Memory)(fixed ? { initial: pages, maximum: pages } : { initial: pages });
}

/**
 * A shared memory of `pages` pages that can grow to 4 GiB without detaching views, or the
 * runtime's reason for refusing one (no SharedArrayBuffer outside cross-origin isolation, or no
 * address space left).
 */
export function newSharedMemory(pages: number): { memory: WasmMemory } | { error: string } {
  try {
    return { memory: new (wasmApi().Memory)({ initial: pages, maximum: 65536, shared: true }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The kernels' signatures are generated from the AssemblyScript sources with their binaries. */
export type { OptimKernels, MatmulKernels } from './generated.js';

function decodeBase64(text: string): Uint8Array {
  const nodeBuffer = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (nodeBuffer !== undefined) return new Uint8Array(nodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compiled modules, by their base64 text. */
const compiled = new Map<string, WasmModule>();

function moduleSync(base64: string): WasmModule {
  let module = compiled.get(base64);
  if (module === undefined) {
    module = new (wasmApi().Module)(decodeBase64(base64));
    compiled.set(base64, module);
  }
  return module;
}

/** Whether this runtime has WebAssembly with fixed-width SIMD (every current browser and Node ≥ 16). */
export function wasmSimdSupported(): boolean {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return false;
  try {
    return api.validate(decodeBase64(optimWasmBase64));
  } catch {
    return false;
  }
}

let relaxed: boolean | null = null;

/** Whether this runtime has relaxed SIMD, so the matrix product runs its fused multiply-add build. */
export function relaxedSimdSupported(): boolean {
  if (relaxed === null) {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      relaxed = api !== undefined && api.validate(decodeBase64(matmulRelaxedWasmBase64));
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** The matmul module's build for this runtime: relaxed SIMD where it validates, plain SIMD otherwise. */
function matmulBase64(shared: boolean): string {
  if (relaxedSimdSupported()) return shared ? matmulRelaxedSharedWasmBase64 : matmulRelaxedWasmBase64;
  return shared ? matmulSharedWasmBase64 : matmulWasmBase64;
}

/** Compiles every module off the main thread; later instantiations are then synchronous and cheap. */
export async function preloadKernels(): Promise<void> {
  for (const base64 of [optimWasmBase64, optimSharedWasmBase64, matmulBase64(false), matmulBase64(true)]) {
    if (!compiled.has(base64)) compiled.set(base64, await wasmApi().compile(decodeBase64(base64)));
  }
}

/** A module's exports bound to a memory, and the compiled module (the kernel pool instantiates it again on its workers). */
export interface BoundKernels<K> {
  exports: K;
  module: WasmModule;
}

function instantiate<K>(base64: string, memory: WasmMemory): BoundKernels<K> {
  const module = moduleSync(base64);
  const instance = new (wasmApi().Instance)(module, { env: { memory } });
  return { exports: instance.exports as K, module };
}

/** The optimizer kernels bound to `memory` (`shared`: a memory from `newSharedMemory`). */
export function instantiateOptimKernels(memory: WasmMemory, shared: boolean): BoundKernels<OptimKernels> {
  return instantiate(shared ? optimSharedWasmBase64 : optimWasmBase64, memory);
}

/** The matmul kernel bound to `memory` (`shared`: a memory from `newSharedMemory`), in the build `relaxedSimdSupported()` chose. */
export function instantiateMatmulKernels(memory: WasmMemory, shared: boolean): BoundKernels<MatmulKernels> {
  return instantiate(matmulBase64(shared), memory);
}
