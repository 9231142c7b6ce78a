/**
 * descent training an MLP 784-256-10 with Adam, batch 128, on random data (the peers train the
 * same network on the same kind of data): samples per second over one epoch, best of `reps`.
 *
 * Three paths: the plain one (nn.Linear, autograd, the Adam class: all JavaScript); the same
 * with the fused WebAssembly Adam over an arena; and that plus the WebAssembly matmul for the
 * three products of each layer (forward, and both gradients), the hot path once the engine's
 * `gemm` calls it.
 */
import { Tensor } from '../src/tensor/tensor.js';
import { Generator } from '../src/tensor/random.js';
import { Linear, Sequential, ReLU, Module } from '../src/nn/index.js';
import * as F from '../src/nn/functional.js';
import { Adam } from '../src/optim/adam.js';
import { ParamArena } from '../src/optim/wasm/arena.js';
import { adamStep, fusedStateArrays } from '../src/optim/wasm/fused.js';
import { wasmGemm, wasmMatmul } from '../src/wasm/gemm.js';
import { gemm } from '../src/tensor/linalg.js';
import { bestOf, type Timing } from './optimizers.js';

export interface MlpConfig {
  samples: number;
  batch: number;
  reps: number;
}

export type MlpPath = 'js' | 'wasm-adam' | 'wasm-adam-matmul';

/** x·Wᵀ + b with the product in WebAssembly. */
class WasmLinear extends Module {
  constructor(readonly inner: Linear) {
    super();
  }
  forward(x: Tensor): Tensor {
    const y = wasmMatmul(x, this.inner.weight.T);
    return this.inner.bias === null ? y : y.add(this.inner.bias);
  }
}

export function measureMlp(path: MlpPath, { samples, batch, reps }: MlpConfig): number {
  const rng = new Generator(0);
  const x = new Float32Array(samples * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const X = new Tensor(x, [samples, 784]);
  const labels = Int32Array.from({ length: samples }, () => rng.integer(0, 10));
  const first = new Linear(784, 256, { generator: rng });
  const second = new Linear(256, 10, { generator: rng });
  const model = new Sequential(first, new ReLU(), second);
  const forward = path === 'wasm-adam-matmul' ? new Sequential(new WasmLinear(first), new ReLU(), new WasmLinear(second)) : model;
  const params = model.parameters();

  let step: () => void;
  if (path === 'js') {
    const opt = new Adam(params, { lr: 1e-3 });
    step = () => opt.step();
  } else {
    const arena = new ParamArena(params, { state: fusedStateArrays('adam') });
    const hyper = { lr: 1e-3, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false };
    let t = 0;
    step = () => {
      adamStep(arena, arena.stageGrads().dense, hyper, ++t);
    };
  }

  const epoch = (): void => {
    for (let i = 0; i + batch <= samples; i += batch) {
      for (const p of params) p.grad = null;
      const loss = F.crossEntropy(forward.call(X.slice(i, i + batch)) as Tensor, labels.subarray(i, i + batch));
      loss.backward();
      step();
    }
  };
  epoch();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    epoch();
    best = Math.min(best, performance.now() - t0);
  }
  return (Math.floor(samples / batch) * batch) / (best / 1000);
}

/** GFLOP/s of C += A·B (m×k times k×n, float32) through the engine's JS gemm and through WebAssembly. */
export function measureMatmul(m: number, k: number, n: number, timing: Timing): { js: number; wasm: number } {
  const rng = new Generator(3);
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: k * n }, () => rng.normal());
  const c = new Float32Array(m * n);
  const flops = 2 * m * k * n;
  const js = bestOf(() => gemm(a, 0, b, 0, c, 0, m, k, n), { ...timing, reps: 3, warmup: 1 });
  const wasm = bestOf(() => wasmGemm(a, 0, b, 0, c, 0, m, k, n), timing);
  return { js: flops / js / 1e6, wasm: flops / wasm / 1e6 };
}
