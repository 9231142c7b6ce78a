/**
 * Loads descent's WebAssembly kernels from the base64 strings that scripts/build-wasm.mjs
 * generates, so there is no file to find and no fetch: the same code runs in Node, in
 * browsers and in bundles.
 *
 * A module is compiled once; every arena instantiates it over its own memory. Compilation is
 * synchronous (the modules are a few KiB, under the limit browsers put on synchronous
 * compilation on the main thread); `preloadKernels()` compiles asynchronously for pages that
 * prefer to.
 */
import { optimWasmBase64, matmulWasmBase64 } from './generated.js';

/**
 * The few WebAssembly JS-API members descent uses, typed here: the project compiles against
 * ES2022 + Node types, which do not declare the `WebAssembly` namespace (lib.dom does).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
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

/** The optimizer kernels of asm/optim.ts and the floor of asm/floor.ts; addresses are byte offsets. */
export interface OptimKernels {
  sgd(table: number, count: number, gOff: number, bufOff: number, lr: number, weightDecay: number, sign: number, momentum: number, dampening: number, nesterov: number, firstStep: number): void;
  adagrad(table: number, count: number, gOff: number, sumOff: number, clr: number, weightDecay: number, sign: number, eps: number): void;
  adagradRows(param: number, sum: number, values: number, indices: number, rows: number, width: number, clr: number, sign: number, eps: number): void;
  rmsprop(table: number, count: number, gOff: number, squareOff: number, gradAvgOff: number, bufOff: number, lr: number, alpha: number, eps: number, weightDecay: number, sign: number, momentum: number, centered: number): void;
  adam(table: number, count: number, gOff: number, mOff: number, vOff: number, vMaxOff: number, beta1: number, beta2: number, stepSize: number, invSqrtBc2: number, eps: number, l2: number, decay: number, sign: number, amsgrad: number): void;
  adadelta(table: number, count: number, gOff: number, squareOff: number, deltaOff: number, lr: number, rho: number, eps: number, weightDecay: number, sign: number): void;
  adamax(table: number, count: number, gOff: number, mOff: number, uOff: number, beta1: number, beta2: number, eps: number, weightDecay: number, sign: number, clr: number): void;
  nadam(table: number, count: number, gOff: number, mOff: number, vOff: number, beta1: number, beta2: number, invBc2: number, eps: number, weightDecay: number, sign: number, gradCoef: number, momentumCoef: number): void;
  radam(table: number, count: number, gOff: number, mOff: number, vOff: number, beta1: number, beta2: number, weightDecay: number, sign: number, scale: number, numer: number, sqrtWeight: number, floor: number): void;
  sparseAdamRows(param: number, mBase: number, vBase: number, values: number, indices: number, rows: number, width: number, beta1: number, beta2: number, eps: number, stepSize: number, sign: number): void;
  sumSquares(table: number, count: number, off: number, out: number): void;
  scaleSegments(table: number, count: number, off: number, factor: number): void;
  /** LAMB's Adam direction u into its own region (`uOff`), so the gradient survives the step. */
  lambDirection(table: number, count: number, gOff: number, mOff: number, vOff: number, uOff: number, beta1: number, beta2: number, invBc1: number, invBc2: number, eps: number, weightDecay: number, gradScale: number, out: number): void;
  subtractScaled(table: number, count: number, off: number): void;
  /** Returns 0 for an unsupported (reads, writes) pair. */
  stream(table: number, count: number, reads: number, writes: number, off1: number, off2: number, off3: number, off4: number, scale: number): number;
  streamRows(param: number, values: number, indices: number, rows: number, width: number, states: number, off1: number, off2: number, scale: number): void;
}

export interface MatmulKernels {
  /** C += op(A)·op(B) over padded panels; strides in bytes let A be read transposed in place. */
  gemm(a: number, aRowStride: number, aStepStride: number, b: number, bTransposed: number, c: number, panel: number, m4: number, k: number, n8: number): void;
}

function decodeBase64(text: string): Uint8Array {
  const nodeBuffer = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (nodeBuffer !== undefined) return new Uint8Array(nodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let optimModule: WasmModule | null = null;
let matmulModule: WasmModule | null = null;

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

function optimModuleSync(): WasmModule {
  optimModule ??= new (wasmApi().Module)(decodeBase64(optimWasmBase64));
  return optimModule;
}

function matmulModuleSync(): WasmModule {
  matmulModule ??= new (wasmApi().Module)(decodeBase64(matmulWasmBase64));
  return matmulModule;
}

/** Compiles both modules off the main thread; later instantiations are then synchronous and cheap. */
export async function preloadKernels(): Promise<void> {
  optimModule ??= await wasmApi().compile(decodeBase64(optimWasmBase64));
  matmulModule ??= await wasmApi().compile(decodeBase64(matmulWasmBase64));
}

/** The optimizer kernels bound to `memory` (an arena's memory). */
export function instantiateOptimKernels(memory: WasmMemory): OptimKernels {
  const instance = new (wasmApi().Instance)(optimModuleSync(), { env: { memory } });
  return instance.exports as unknown as OptimKernels;
}

/** The matmul kernel bound to `memory`. */
export function instantiateMatmulKernels(memory: WasmMemory): MatmulKernels {
  const instance = new (wasmApi().Instance)(matmulModuleSync(), { env: { memory } });
  return instance.exports as unknown as MatmulKernels;
}
