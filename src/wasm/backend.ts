/**
 * Which kernels run: the fused WebAssembly SIMD ones, or the plain JavaScript ones that are
 * their reference. `auto` (the default) picks WebAssembly where the runtime has SIMD. The
 * environment variable `DESCENT_KERNELS=js|wasm|auto` sets the starting choice, so a whole test
 * run or benchmark can be pinned to one path without touching code.
 */
import { wasmSimdSupported } from './loader.js';

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
let simd: boolean | null = null;

/** Chooses the kernels from now on; `wasm` throws where the runtime lacks WebAssembly SIMD. */
export function setKernelBackend(choice: KernelPreference): void {
  const checked = checkPreference(choice, 'setKernelBackend');
  if (checked === 'wasm' && !hasWasmSimd()) {
    throw new Error('setKernelBackend: this runtime has no WebAssembly SIMD; use "js" or "auto"');
  }
  preference = checked;
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

function hasWasmSimd(): boolean {
  simd ??= wasmSimdSupported();
  return simd;
}
