/**
 * descent training an MLP 784-256-10 with Adam, batch 128, on random data, exactly as a user
 * writes it with the public API (nn.Sequential of nn.Linear and nn.ReLU, F.crossEntropy,
 * optim.Adam): samples per second over one epoch, best of `reps`. The peers train the same
 * network on the same kind of data, the same way.
 *
 * One run per kernel backend: 'js' (every product in JavaScript) and 'wasm' (products from
 * `WASM_GEMM_MIN_WORK` multiply-adds up in WebAssembly SIMD, forward and backward), on the
 * threads asked for (the 'wasm' products and the Adam step split across them, src/wasm/pool.ts).
 * The thread counts of one call are timed in alternation, an epoch of each in turn, so that
 * each sees the same machine: on a shared machine a neighbour's burst otherwise lands on one
 * count's whole measurement. For the same reason PyTorch's epochs, when asked for, are timed
 * between descent's, paired with them (bench/paired.ts summarizes the pairs).
 */
import { Generator, Tensor, nn, F, optim, withKernelBackend, withThreads, type KernelBackend } from '../src/index.js';
import { wasmGemm } from '../src/wasm/gemm.js';
import { gemm } from '../src/tensor/linalg.js';
import { poolReport, workersServing } from '../src/wasm/pool.js';
import { bestOf, type Timing } from './optimizers.js';

export interface MlpConfig {
  samples: number;
  batch: number;
  reps: number;
}

/** One epoch of training a fresh MLP on its own random data (the same for every trainer made with the same config). */
function mlpTrainer({ samples, batch }: MlpConfig): () => void {
  const rng = new Generator(0);
  const X = new Tensor(Float32Array.from({ length: samples * 784 }, () => rng.normal()), [samples, 784]);
  const labels = Int32Array.from({ length: samples }, () => rng.integer(0, 10));
  const model = new nn.Sequential(new nn.Linear(784, 256, { generator: rng }), new nn.ReLU(), new nn.Linear(256, 10, { generator: rng }));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  return (): void => {
    for (let i = 0; i + batch <= samples; i += batch) {
      opt.zeroGrad();
      F.crossEntropy(model.call(X.slice(i, i + batch)) as Tensor, labels.subarray(i, i + batch)).backward();
      opt.step();
    }
  };
}

/** A trainer timed in turn with descent's, epoch for epoch (bench/torch-mlp.ts): seconds of one epoch of the same MLP at `threads`. */
export interface EpochPeer {
  epoch(threads: number): Promise<number>;
}

/** One round's epochs at one thread count, as samples per second. */
export interface EpochPair {
  descent: number;
  peer: number;
}

export interface MlpMeasurement {
  /** descent's samples/s per thread count (in the order asked for), the best of its timed epochs. */
  samplesPerSecond: number[];
  /** Kernel parts that ran on worker threads in each thread count's timed epochs: in all of them, and the fewest in one. */
  partsOnWorkers: Array<{ total: number; fewestInAnEpoch: number }>;
  /** With a peer that answered every epoch: per thread count, one pair per round. */
  pairs?: EpochPair[][];
  /** Why the peer's pairs are missing: it failed (descent's epochs went on without it). */
  peerFailure?: string;
}

/**
 * descent's MLP on each of `threadCounts`, `config.reps` rounds of one epoch per count, the counts
 * taking turns. With a `peer`, each of descent's epochs has the peer's epoch at the same thread
 * count right before or after it, descent first in even rounds and the peer first in odd ones,
 * so that a drift of the machine within a pair weighs on each side as often. Each trainer gets a
 * warm-up epoch per count first, not counted.
 */
export async function measureMlp(backend: KernelBackend, config: MlpConfig, threadCounts: readonly number[] = [1], peer: EpochPeer | null = null): Promise<MlpMeasurement> {
  await workersServing(Math.max(...threadCounts));
  const trained = Math.floor(config.samples / config.batch) * config.batch;
  const trainers = threadCounts.map(() => mlpTrainer(config));
  const descentEpoch = (t: number): { samplesPerSecond: number; partsOnWorkers: number } => {
    const partsBefore = poolReport().partsOnWorkers;
    const t0 = performance.now();
    withKernelBackend(backend, () => withThreads(threadCounts[t]!, trainers[t]!));
    const seconds = (performance.now() - t0) / 1000;
    return { samplesPerSecond: trained / seconds, partsOnWorkers: poolReport().partsOnWorkers - partsBefore };
  };
  const pairs: EpochPair[][] = threadCounts.map(() => []);
  let peerFailure: string | undefined;
  const peerEpoch = async (t: number): Promise<number | null> => {
    if (peer === null || peerFailure !== undefined) return null;
    try {
      return trained / (await peer.epoch(threadCounts[t]!));
    } catch (error) {
      const paired = pairs.reduce((sum, list) => sum + list.length, 0);
      peerFailure = `${error instanceof Error ? error.message : String(error)}; after ${paired} of ${config.reps * threadCounts.length} pairs, descent's epochs went on alone`;
      return null;
    }
  };

  for (let t = 0; t < threadCounts.length; t++) {
    descentEpoch(t);
    await peerEpoch(t);
  }
  // The workers take the memory of the arenas and workspace the warm-up made in their event loop.
  await new Promise((done) => setTimeout(done, 50));

  const best = threadCounts.map(() => 0);
  const partsOnWorkers = threadCounts.map(() => ({ total: 0, fewestInAnEpoch: Infinity }));
  for (let round = 0; round < config.reps; round++) {
    for (let t = 0; t < threadCounts.length; t++) {
      const peerFirst = round % 2 === 1;
      const peerBefore = peerFirst ? await peerEpoch(t) : null;
      const ours = descentEpoch(t);
      const peerSamplesPerSecond = peerFirst ? peerBefore : await peerEpoch(t);
      best[t] = Math.max(best[t]!, ours.samplesPerSecond);
      partsOnWorkers[t] = { total: partsOnWorkers[t]!.total + ours.partsOnWorkers, fewestInAnEpoch: Math.min(partsOnWorkers[t]!.fewestInAnEpoch, ours.partsOnWorkers) };
      if (peerSamplesPerSecond !== null) pairs[t]!.push({ descent: ours.samplesPerSecond, peer: peerSamplesPerSecond });
    }
  }
  const measurement: MlpMeasurement = { samplesPerSecond: best, partsOnWorkers };
  if (peerFailure !== undefined) return { ...measurement, peerFailure };
  return peer === null ? measurement : { ...measurement, pairs };
}

/**
 * GFLOP/s of C += A·B (m×k times k×n, float32) through the engine's JS gemm, and through
 * WebAssembly on 1 and on 2 threads; with `peak` (one run of the multiply-add peak loop, its
 * GFLOP/s), that too. The WebAssembly products and the peak take turns, so their ratio is
 * measured on the same machine.
 */
export async function measureMatmul(m: number, k: number, n: number, timing: Timing, peak: () => number): Promise<{ js: number; wasm: number; wasm2: number; peak: number }> {
  const rng = new Generator(3);
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: k * n }, () => rng.normal());
  const c = new Float32Array(m * n);
  const flops = 2 * m * k * n;
  const js = bestOf(() => gemm(a, 0, b, 0, c, 0, m, k, n), { ...timing, reps: 3, warmup: 1, minMs: 0 });
  await workersServing(2);
  withThreads(2, () => wasmGemm(a, 0, b, 0, c, 0, m, k, n));
  await new Promise((done) => setTimeout(done, 50));
  let best = { wasm: Infinity, wasm2: Infinity, peak: 0 };
  const round = (): void => {
    const t0 = performance.now();
    withThreads(1, () => wasmGemm(a, 0, b, 0, c, 0, m, k, n));
    const t1 = performance.now();
    withThreads(2, () => wasmGemm(a, 0, b, 0, c, 0, m, k, n));
    const t2 = performance.now();
    best = { wasm: Math.min(best.wasm, t1 - t0), wasm2: Math.min(best.wasm2, t2 - t1), peak: Math.max(best.peak, peak()) };
  };
  for (let r = 0; r < timing.warmup; r++) round();
  best = { wasm: Infinity, wasm2: Infinity, peak: 0 };
  const start = performance.now();
  for (let r = 0; r < timing.reps || performance.now() - start < timing.minMs; r++) round();
  return { js: flops / js / 1e6, wasm: flops / best.wasm / 1e6, wasm2: flops / best.wasm2 / 1e6, peak: best.peak };
}
