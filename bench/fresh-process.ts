/**
 * descent's training and matrix-product rows, each block in a Node process of its own (bench/
 * main.ts starts them): measured in a fresh process, as PyTorch's are (its MLP runs first in
 * its process), not after the optimizer benchmarks in the bench's own process. There the
 * 2-thread product ran at 1.17× its one-thread speed, where a fresh process ran it at 1.6–1.8×
 * (the cause is not known: replaying Adam's 16M rows alone before it did not slow it).
 * Started with --experimental-wasm-relaxed-simd for the row of the matmul's relaxed-SIMD build,
 * which Chrome ≥ 114 and Node ≥ 22 run by default and Node 20 only behind that flag.
 *
 * Argument: a `FreshJob` as JSON. Prints one JSON line, a `FreshRun`.
 */
import { kernelReport, type KernelBackend } from '../src/index.js';
import { poolReport } from '../src/wasm/pool.js';
import { measureMatmul, measureMlp, type MlpConfig } from './mlp.js';
import { simdPeak } from './peak.js';
import type { Timing } from './optimizers.js';

export type FreshJob =
  | { kind: 'mlp'; backend: KernelBackend; config: MlpConfig; threadCounts: number[] }
  | { kind: 'matmul'; m: number; k: number; n: number; timing: Timing };

export interface FreshRun {
  /** The matmul build that ran: 'relaxed-simd' or 'simd'. */
  matmul: string;
  /** MLP samples/s per thread count of the job. */
  samplesPerSecond?: number[];
  /** GFLOP/s of the product: JS, WebAssembly on 1 and on 2 threads, and the multiply-add peak. */
  gflops?: { js: number; wasm: number; wasm2: number; peak: number };
  /** Kernel parts that ran on worker threads (0 after a 2-thread job: it ran on one thread). */
  partsOnWorkers: number;
}

const job = JSON.parse(process.argv[2]!) as FreshJob;
const measured: Pick<FreshRun, 'samplesPerSecond' | 'gflops'> = job.kind === 'mlp'
  ? { samplesPerSecond: await measureMlp(job.backend, job.config, job.threadCounts) }
  : { gflops: await measureMatmul(job.m, job.k, job.n, job.timing, simdPeak()) };
const run: FreshRun = { matmul: kernelReport().matmul, ...measured, partsOnWorkers: poolReport().partsOnWorkers };
console.log(JSON.stringify(run));
