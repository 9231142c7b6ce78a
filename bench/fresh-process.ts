/**
 * descent's training and matrix-product rows, each block in a Node process of its own (bench/
 * main.ts starts them): measured in a fresh process, as PyTorch's are (its MLP runs first in
 * its process), not after the optimizer benchmarks in the bench's own process. There the
 * 2-thread product ran at 1.17× its one-thread speed, where a fresh process ran it at 1.6–1.8×
 * (the cause is not known: replaying Adam's 16M rows alone before it did not slow it).
 * Started with --experimental-wasm-relaxed-simd for the row of the matmul's relaxed-SIMD build,
 * which Chrome ≥ 114 and Node ≥ 22 run by default and Node 20 only behind that flag.
 * An MLP job with `torchPython` starts PyTorch's MLP trainer (bench/torch-mlp.ts) and times
 * its epochs paired with descent's.
 *
 * Argument: a `FreshJob` as JSON. Prints one JSON line, a `FreshRun`.
 */
import { kernelReport, type KernelBackend } from '../src/index.js';
import { poolReport } from '../src/wasm/pool.js';
import { measureMatmul, measureMlp, type MlpConfig, type MlpMeasurement } from './mlp.js';
import { simdPeak } from './peak.js';
import { startTorchMlp, type TorchMlp } from './torch-mlp.js';
import type { Timing } from './optimizers.js';

export type FreshJob =
  | { kind: 'mlp'; backend: KernelBackend; config: MlpConfig; threadCounts: number[]; torchPython?: string[] }
  | { kind: 'matmul'; m: number; k: number; n: number; timing: Timing };

export interface FreshRun {
  /** The matmul build that ran: 'relaxed-simd' or 'simd'. */
  matmul: string;
  /** The MLP per thread count of the job: descent's samples/s and kernel parts on workers; with `torchPython`, the pairs or why there are none. */
  mlp?: MlpMeasurement & { torch?: { version: string; blas: string } };
  /** GFLOP/s of the product: JS, WebAssembly on 1 and on 2 threads, and the multiply-add peak. */
  gflops?: { js: number; wasm: number; wasm2: number; peak: number };
  /** Kernel parts that ran on worker threads (0 after a 2-thread job: it ran on one thread). */
  partsOnWorkers: number;
}

async function mlpRun(job: Extract<FreshJob, { kind: 'mlp' }>): Promise<NonNullable<FreshRun['mlp']>> {
  if (job.torchPython === undefined) return measureMlp(job.backend, job.config, job.threadCounts);
  let torch: TorchMlp;
  try {
    torch = await startTorchMlp(job.torchPython, job.config);
  } catch (error) {
    const mlp = await measureMlp(job.backend, job.config, job.threadCounts);
    return { ...mlp, peerFailure: error instanceof Error ? error.message : String(error) };
  }
  const mlp = await measureMlp(job.backend, job.config, job.threadCounts, torch);
  await torch.close();
  return { ...mlp, torch: { version: torch.version, blas: torch.blas } };
}

const job = JSON.parse(process.argv[2]!) as FreshJob;
const measured: Pick<FreshRun, 'mlp' | 'gflops'> = job.kind === 'mlp' ? { mlp: await mlpRun(job) } : { gflops: await measureMatmul(job.m, job.k, job.n, job.timing, simdPeak()) };
const run: FreshRun = { matmul: kernelReport().matmul, ...measured, partsOnWorkers: poolReport().partsOnWorkers };
console.log(JSON.stringify(run));
