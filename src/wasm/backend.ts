/**
 * Which kernels run: the fused WebAssembly SIMD ones, or the plain JavaScript ones that are
 * their reference. `auto` (the default) picks WebAssembly where the runtime has SIMD. The
 * environment variable `DESCENT_KERNELS=js|wasm|auto` sets the starting choice, so a whole test
 * run or benchmark can be pinned to one path without touching code.
 *
 * No fallback is silent: where WebAssembly was chosen but some work runs in JavaScript anyway
 * (an arena or a matmul workspace that no memory could hold), `noteFallback` warns once per
 * kind of work and `kernelReport()` lists every such fallback with its reason, beside why the
 * backend is what it is and how the WebAssembly memory is laid out.
 */
import { relaxedSimdSupported, wasmSimdSupported } from './loader.js';
import { heapReport, type HeapReport } from './heap.js';
import { poolReport } from './pool.js';
import { requestedThreads, singleThreadReason, threads } from './threads.js';

export type KernelBackend = 'wasm' | 'js';
export type KernelPreference = KernelBackend | 'auto';

const CHOICES: readonly KernelPreference[] = ['auto', 'wasm', 'js'];

function checkPreference(value: unknown, source: string): KernelPreference {
  if (!CHOICES.includes(value as KernelPreference)) {
    throw new RangeError(`${source}: unknown kernel backend ${JSON.stringify(value)} (expected one of ${CHOICES.join(', ')})`);
  }
  return value as KernelPreference;
}

function fromEnvironment(): KernelPreference {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.DESCENT_KERNELS;
  return value === undefined || value === '' ? 'auto' : checkPreference(value, 'DESCENT_KERNELS');
}

let preference: KernelPreference = fromEnvironment();
/** Where the preference came from, for `kernelReport()`. */
let preferenceSource = preference === 'auto' ? 'the default' : 'DESCENT_KERNELS';
let simd: boolean | null = null;

/** Chooses the kernels from now on; `wasm` throws where the runtime lacks WebAssembly SIMD. */
export function setKernelBackend(choice: KernelPreference): void {
  const checked = checkPreference(choice, 'setKernelBackend');
  if (checked === 'wasm' && !hasWasmSimd()) {
    throw new Error('setKernelBackend: this runtime has no WebAssembly SIMD; use "js" or "auto"');
  }
  preference = checked;
  preferenceSource = 'setKernelBackend';
}

/** The kernels in use now. */
export function kernelBackend(): KernelBackend {
  if (preference === 'auto') return hasWasmSimd() ? 'wasm' : 'js';
  return preference;
}

/** Runs `fn` with `choice` in force, then restores the previous choice (tests, benchmarks). */
export function withKernelBackend<T>(choice: KernelPreference, fn: () => T): T {
  const previous = preference;
  setKernelBackend(choice);
  try {
    return fn();
  } finally {
    preference = previous;
  }
}

/** Work that was meant for WebAssembly and ran in JavaScript, by kind: the first reason and how often. */
const fallbacks = new Map<string, { reason: string; count: number }>();

/**
 * Records that `subject` (e.g. 'optimizer arena', 'matmul') runs in JavaScript although
 * WebAssembly was chosen, and why; warns the first time for each subject.
 */
export function noteFallback(subject: string, reason: string): void {
  const known = fallbacks.get(subject);
  if (known !== undefined) {
    known.count += 1;
    return;
  }
  fallbacks.set(subject, { reason, count: 1 });
  const message = `descent: ${subject} falls back to the plain JavaScript kernels: ${reason} (kernelReport() lists every fallback)`;
  const process = (globalThis as { process?: { emitWarning?: (message: string, type: string) => void } }).process;
  if (typeof process?.emitWarning === 'function') process.emitWarning(message, 'DescentKernelFallback');
  else console.warn(message);
}

export interface KernelReport {
  /** What `kernelBackend()` returns now. */
  backend: KernelBackend;
  /** Why: the preference and where it came from, and whether the runtime has WebAssembly SIMD. */
  reason: string;
  /** How the WebAssembly memory is laid out (memories open, shared or one per block, bytes). */
  memory: HeapReport;
  /** Threads the kernels run on, why that many, and the worker threads started so far (0 until a product or step is large enough to split). */
  threads: { count: number; reason: string; workers: number };
  /**
   * The matrix product's WebAssembly build: with relaxed SIMD's fused multiply-add where the
   * engine has it. Workers instantiate the module the calling thread compiled, so every thread
   * runs the same build and a product's bytes do not depend on the thread count.
   */
  matmul: 'relaxed-simd' | 'simd';
  /** Work that fell back to JavaScript although WebAssembly was chosen. */
  fallbacks: Array<{ subject: string; reason: string; count: number }>;
}

/** Which kernels run and why, including every fallback to JavaScript so far. */
export function kernelReport(): KernelReport {
  const backend = kernelBackend();
  const runtime = hasWasmSimd() ? 'this runtime has WebAssembly SIMD' : 'this runtime has no WebAssembly SIMD';
  return {
    backend,
    reason: `${preference} (${preferenceSource}); ${runtime}`,
    memory: heapReport(),
    threads: threadReport(),
    matmul: relaxedSimdSupported() ? 'relaxed-simd' : 'simd',
    fallbacks: [...fallbacks].map(([subject, { reason, count }]) => ({ subject, reason, count })),
  };
}

function threadReport(): KernelReport['threads'] {
  const asked = requestedThreads();
  const held = singleThreadReason();
  const count = threads();
  const reason = held !== null && asked.count > 1 ? `${asked.count} asked for (${asked.source}), 1 runs: ${held}` : `${count} (${asked.source})`;
  return { count, reason, workers: poolReport().workers };
}

function hasWasmSimd(): boolean {
  simd ??= wasmSimdSupported();
  return simd;
}
