/**
 * descent training an MLP 784-256-10 with Adam, batch 128, on random data, exactly as a user
 * writes it with the public API (nn.Sequential of nn.Linear and nn.ReLU, F.crossEntropy,
 * optim.Adam): samples per second over one epoch, best of `reps`. The peers train the same
 * network on the same kind of data, the same way.
 *
 * One run per kernel backend: 'js' (every product in JavaScript) and 'wasm' (products from
 * `WASM_GEMM_MIN_WORK` multiply-adds up in WebAssembly SIMD, forward and backward), on the
 * threads asked for (the 'wasm' products and the Adam step split across them, src/wasm/pool.ts).
 */
import { Generator, Tensor, nn, F, optim, withKernelBackend, withThreads, type KernelBackend } from '../src/index.js';
import { wasmGemm } from '../src/wasm/gemm.js';
import { gemm } from '../src/tensor/linalg.js';
import { bestOf, threadsReady, type Timing } from './optimizers.js';

export interface MlpConfig {
  samples: number;
  batch: number;
  reps: number;
}

export async function measureMlp(backend: KernelBackend, { samples, batch, reps }: MlpConfig, threads = 1): Promise<number> {
  await threadsReady(threads);
  const rng = new Generator(0);
  const X = new Tensor(Float32Array.from({ length: samples * 784 }, () => rng.normal()), [samples, 784]);
  const labels = Int32Array.from({ length: samples }, () => rng.integer(0, 10));
  const model = new nn.Sequential(new nn.Linear(784, 256, { generator: rng }), new nn.ReLU(), new nn.Linear(256, 10, { generator: rng }));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });

  const epoch = (): void => {
    for (let i = 0; i + batch <= samples; i += batch) {
      opt.zeroGrad();
      F.crossEntropy(model.call(X.slice(i, i + batch)) as Tensor, labels.subarray(i, i + batch)).backward();
      opt.step();
    }
  };
  // A warm-up epoch; the workers then take the memory of the arenas and workspace it made.
  withKernelBackend(backend, () => withThreads(threads, epoch));
  await new Promise((done) => setTimeout(done, 50));
  return withKernelBackend(backend, () => withThreads(threads, () => {
    let best = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      epoch();
      best = Math.min(best, performance.now() - t0);
    }
    return (Math.floor(samples / batch) * batch) / (best / 1000);
  }));
}

/** GFLOP/s of C += A·B (m×k times k×n, float32) through the engine's JS gemm, and through WebAssembly on 1 and on 2 threads. */
export async function measureMatmul(m: number, k: number, n: number, timing: Timing): Promise<{ js: number; wasm: number; wasm2: number }> {
  const rng = new Generator(3);
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: k * n }, () => rng.normal());
  const c = new Float32Array(m * n);
  const flops = 2 * m * k * n;
  const js = bestOf(() => gemm(a, 0, b, 0, c, 0, m, k, n), { ...timing, reps: 3, warmup: 1 });
  const wasm = withThreads(1, () => bestOf(() => wasmGemm(a, 0, b, 0, c, 0, m, k, n), timing));
  await threadsReady(2);
  withThreads(2, () => wasmGemm(a, 0, b, 0, c, 0, m, k, n));
  await new Promise((done) => setTimeout(done, 50));
  const wasm2 = withThreads(2, () => bestOf(() => wasmGemm(a, 0, b, 0, c, 0, m, k, n), timing));
  return { js: flops / js / 1e6, wasm: flops / wasm / 1e6, wasm2: flops / wasm2 / 1e6 };
}
