/**
 * The measured WebAssembly SIMD multiply-add peak (asm/peak.ts, compiled here at bench
 * time so the library carries no benchmark code): the floor that descent's matrix product is
 * compared with, as the bandwidth floor is for the optimizer steps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FLOPS_PER_ITERATION = 64;

/** The engine's WebAssembly API, typed as far as this file uses it (the project's lib has no DOM types). */
const wasm = (globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: Record<string, unknown> } };
}).WebAssembly;

/**
 * The peak loop, compiled: each call runs it once (about as long as the matrix product it is
 * the floor of) and returns that run's GFLOP/s. The caller takes the best of many calls.
 */
export function simdPeak(): () => number {
  const dir = mkdtempSync(join(tmpdir(), 'descent-peak-'));
  try {
    const out = join(dir, 'peak.wasm');
    execFileSync(process.execPath, [join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), join(root, 'asm', 'peak.ts'), '--enable', 'simd', '-O3', '--runtime', 'stub', '--use', 'abort=', '--initialMemory', '1', '--outFile', out], { stdio: 'inherit' });
    const instance = new wasm.Instance(new wasm.Module(readFileSync(out)), {});
    const peak = instance.exports.mulAddPeak as (iterations: number, seed: number) => number;
    const iterations = 500_000;
    let seed = 0;
    for (let i = 0; i < 5; i++) peak(iterations, seed++);
    return (): number => {
      const t0 = performance.now();
      peak(iterations, seed++);
      return (iterations * FLOPS_PER_ITERATION) / (performance.now() - t0) / 1e6;
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
