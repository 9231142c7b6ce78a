/**
 * The training hot path against plain references: matrix products (JavaScript and WebAssembly
 * kernels, every transpose layout, the engine's `matmul` and `linear` with their gradients on
 * both kernel backends) and the fast paths of the elementwise ops and sums.
 *
 * Float32 tolerances: each entry within γ = (d + 2)·2⁻²⁴ of the exact product, relative to its
 * own Σ|aₚbₚ| (derived in ./helpers/gemm-reference.ts). Two float32 results (WebAssembly against
 * JavaScript) are each within γ, so they differ by at most 2γ. Float64 results get the same rule
 * with 2⁻⁵³.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { Tensor, tensor, Generator, nn, optim, matmul, add, sub, mul, div, relu, sum, withKernelBackend, broadcastShapes, numel, type FloatArray, type KernelBackend } from '../src/index.js';
import { gemm, linear, product } from '../src/tensor/linalg.js';
import { allocate, release } from '../src/wasm/heap.js';
import { wasmGemm, WASM_GEMM_MIN_WORK } from '../src/wasm/gemm.js';
import { F32_UNIT, F64_UNIT, assertWithinRounding, exactGemm, uniform, type Exact } from './helpers/gemm-reference.js';

// Counts the products that reach WebAssembly, to check which backend each size takes.
vi.mock('../src/wasm/gemm.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/wasm/gemm.js')>();
  return { ...actual, wasmGemm: vi.fn(actual.wasmGemm) };
});
const wasmCalls = (): number => vi.mocked(wasmGemm).mock.calls.length;

// ---- the kernels: C += op(A)·op(B) ----

describe('gemm kernels: C += op(A)·op(B) for every transpose layout', () => {
  // m, k, n off the 4 × 8 blocks; k = 600 spans three 256-deep panels of the WebAssembly kernel;
  // m = 133 spans two 128-row packed blocks of A; depths off a multiple of 4 take the scalar packing.
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [3, 5, 7], [13, 600, 21], [4, 256, 8], [33, 17, 9], [2, 300, 65], [133, 37, 17], [8, 260, 24]];
  const layouts: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

  it('the JavaScript gemm, float32 and float64, at offsets', () => {
    const rng = new Generator(1);
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of layouts) {
        for (const dtype of ['float32', 'float64'] as const) {
          const a = uniform(m * k + 3, rng, dtype);
          const b = uniform(k * n + 5, rng, dtype);
          const c = uniform(m * n + 2, rng, dtype);
          const exact = exactGemm(a.subarray(3), b.subarray(5), c.subarray(2), m, k, n, transA, transB);
          gemm(a, 3, b, 5, c, 2, m, k, n, transA, transB);
          assertWithinRounding(c.subarray(2), exact, dtype === 'float32' ? F32_UNIT : F64_UNIT, `gemm ${dtype} ${m}×${k}×${n} transA=${transA} transB=${transB}`);
        }
      }
    }
  });

  it('the WebAssembly gemm, at offsets, and within 2γ of the JavaScript one', () => {
    const rng = new Generator(2);
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of layouts) {
        const a = uniform(m * k + 3, rng) as Float32Array;
        const b = uniform(k * n + 5, rng) as Float32Array;
        const c = uniform(m * n + 2, rng) as Float32Array;
        const exact = exactGemm(a.subarray(3), b.subarray(5), c.subarray(2), m, k, n, transA, transB);
        const viaJs = Float32Array.from(c);
        gemm(a, 3, b, 5, viaJs, 2, m, k, n, transA, transB);
        wasmGemm(a, 3, b, 5, c, 2, m, k, n, transA, transB);
        const label = `wasmGemm ${m}×${k}×${n} transA=${transA} transB=${transB}`;
        assertWithinRounding(c.subarray(2), exact, F32_UNIT, label);
        assertWithinRounding(c.subarray(2), { ...exact, value: Float64Array.from(viaJs.subarray(2)) }, F32_UNIT, `${label} vs JS`, 2);
        expect(c[0]).toBe(viaJs[0]); // the values before the offset are left alone
        expect(c[1]).toBe(viaJs[1]);
      }
    }
  });

  it('the output pass: C = relu?(bias + op(A)·op(B)), in WebAssembly and in JavaScript, for every layout', () => {
    const rng = new Generator(3);
    const relu = (v: number) => (v > 0 ? v : 0);
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of layouts) {
        for (const [withBias, withRelu] of [[true, true], [true, false], [false, true]] as const) {
          const a = uniform(m * k, rng) as Float32Array;
          const b = uniform(k * n, rng) as Float32Array;
          const bias = withBias ? (uniform(n, rng) as Float32Array) : null;
          const rows = Float32Array.from({ length: m * n }, (_, i) => (bias === null ? 0 : bias[i % n]!));
          const exact = exactGemm(a, b, rows, m, k, n, transA, transB);
          // ReLU moves no value further from another (|relu(x) − relu(y)| ≤ |x − y|), so the bound holds after it.
          const expected = withRelu ? { ...exact, value: exact.value.map(relu) } : exact;
          const label = `${m}×${k}×${n} transA=${transA} transB=${transB} bias=${withBias} relu=${withRelu}`;
          const viaWasm = uniform(m * n + 1, rng) as Float32Array; // stale values that the pass must overwrite
          const before = viaWasm[0];
          expect(wasmGemm(a, 0, b, 0, viaWasm, 1, m, k, n, transA, transB, { bias, relu: withRelu })).toBe(true);
          assertWithinRounding(viaWasm.subarray(1), expected, F32_UNIT, `wasm ${label}`);
          expect(viaWasm[0]).toBe(before);
          const viaJs = uniform(m * n, rng) as Float32Array;
          withKernelBackend('js', () => product(a, 0, b, 0, viaJs, 0, m, k, n, transA, transB, { bias, relu: withRelu }));
          assertWithinRounding(viaJs, expected, F32_UNIT, `js ${label}`);
        }
      }
    }
  });

  it('an empty depth leaves relu?(bias) and adds nothing', () => {
    const c = Float32Array.of(9, 9, 9, 9);
    wasmGemm(new Float32Array(0), 0, new Float32Array(0), 0, c, 0, 2, 0, 2, false, false, { bias: Float32Array.of(-1, 2), relu: true });
    expect([...c]).toEqual([0, 2, 0, 2]);
    wasmGemm(new Float32Array(0), 0, new Float32Array(0), 0, c, 0, 2, 0, 2, false, false, { bias: null, relu: false });
    expect([...c]).toEqual([0, 0, 0, 0]);
  });

  it('reads operands that live in the kernel\'s memory in place, at offsets, in every layout', () => {
    const rng = new Generator(4);
    const [m, k, n] = [37, 300, 21];
    const block = allocate(4 * (m * k + k * n + 16));
    try {
      const a = new Float32Array(block.memory.buffer, block.address, m * k + 3);
      const b = new Float32Array(block.memory.buffer, block.address + 4 * (m * k + 3), k * n + 5);
      expect(block.addressOf(b)).toBe(block.address + 4 * (m * k + 3));
      expect(block.addressOf(new Float32Array(k * n))).toBeNull();
      for (const [transA, transB] of layouts) {
        a.set(uniform(m * k + 3, rng));
        b.set(uniform(k * n + 5, rng));
        const c = uniform(m * n, rng) as Float32Array;
        const exact = exactGemm(a.slice(3), b.slice(5), c, m, k, n, transA, transB);
        const aCopy = a.slice();
        wasmGemm(a, 3, b, 5, c, 0, m, k, n, transA, transB);
        assertWithinRounding(c, exact, F32_UNIT, `in place transA=${transA} transB=${transB}`);
        expect(a).toEqual(aCopy); // read, never written
      }
    } finally {
      release(block);
    }
  });

  it('relaxed SIMD (fused multiply-add) where the engine has it, plain SIMD where not: both within the rounding bound', () => {
    const run = (flag: string) => {
      const out = execFileSync(process.execPath, [flag, '--import', 'tsx', fileURLToPath(new URL('./helpers/relaxed-gemm.ts', import.meta.url))], { encoding: 'utf8' });
      return JSON.parse(out.trim().split('\n').pop()!) as { matmul: string; products: number };
    };
    expect(run('--experimental-wasm-relaxed-simd')).toEqual({ matmul: 'relaxed-simd', products: 32 });
    expect(run('--no-experimental-wasm-relaxed-simd')).toEqual({ matmul: 'simd', products: 32 });
  }, 60_000);

  it('the kernel on row ranges of C, each with its own work area, gives the bits of one call over all rows', () => {
    const rng = new Generator(5);
    const [m, k, n] = [70, 300, 37];
    const floats = m * k + k * n + 3 * m * n;
    const workRoom = 2 ** 20; // two work areas
    const block = allocate(4 * floats + 64 + workRoom);
    try {
      const kernels = block.matmulKernels();
      const work = kernels.workspaceBytes();
      expect(2 * work).toBeLessThanOrEqual(workRoom);
      const at = (float: number) => block.address + 4 * float;
      const view = new Float32Array(block.memory.buffer, block.address, floats);
      view.set(uniform(m * k + k * n, rng));
      const [a, b, whole, split] = [0, m * k, m * k + k * n, m * k + k * n + m * n];
      const workAt = at(floats) + 64 - (at(floats) % 64);
      for (const [transA, accumulate, relu] of [[false, true, false], [true, false, true]] as const) {
        const start = uniform(m * n, rng);
        view.set(start, whole);
        view.set(start, split);
        const [rowStride, stepStride] = transA ? [4, 4 * m] : [4 * k, 4];
        kernels.gemm(at(a), rowStride, stepStride, at(b), 4 * n, 4, at(whole), 4 * n, accumulate ? 1 : 0, 0, relu ? 1 : 0, workAt, m, k, n);
        for (const [first, rows, area] of [[0, 37, 0], [37, m - 37, 1]] as const) {
          kernels.gemm(at(a) + first * rowStride, rowStride, stepStride, at(b), 4 * n, 4, at(split) + first * 4 * n, 4 * n, accumulate ? 1 : 0, 0, relu ? 1 : 0, workAt + area * work, rows, k, n);
        }
        expect(view.subarray(split, split + m * n)).toEqual(view.subarray(whole, whole + m * n));
      }
    } finally {
      release(block);
    }
  });

  it('an empty product adds nothing', () => {
    const c = Float32Array.of(1, 2);
    wasmGemm(new Float32Array(0), 0, new Float32Array(0), 0, c, 0, 1, 0, 2);
    gemm(new Float32Array(0), 0, new Float32Array(0), 0, c, 0, 1, 0, 2, true, true);
    expect([...c]).toEqual([1, 2]);
  });
});

// ---- matmul and its gradients ----

/**
 * y = a·b with torch.matmul's broadcasting, and the gradients of L = Σ y∘w, by the definition
 * in float64: dA = Σ over the batches that read A of w·Bᵀ, dB likewise of Aᵀ·w. Shapes are
 * the matrix forms (a vector a is [1, k], a vector b is [k, 1]), whose flat data are the
 * vectors' own.
 */
function exactMatmul(a: FloatArray, aShape: number[], b: FloatArray, bShape: number[], w: FloatArray): { y: Exact; da: Exact; db: Exact } {
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  const batches = numel(batch);
  // The flat batch index an operand of batch shape `own` reads at output batch t.
  const readAt = (own: number[], t: number): number => {
    let flat = 0;
    let rest = t;
    let stride = 1;
    for (let d = batch.length - 1; d >= 0; d--) {
      const at = rest % batch[d]!;
      rest = Math.floor(rest / batch[d]!);
      const ownDim = d - (batch.length - own.length);
      if (ownDim < 0) continue;
      if (own[ownDim] !== 1) flat += at * stride;
      stride *= own[ownDim]!;
    }
    return flat;
  };
  const y = { value: new Float64Array(batches * m * n), scale: new Float64Array(batches * m * n), depth: k };
  const da = { value: new Float64Array(a.length), scale: new Float64Array(a.length), depth: n * batches };
  const db = { value: new Float64Array(b.length), scale: new Float64Array(b.length), depth: m * batches };
  for (let t = 0; t < batches; t++) {
    const ia = readAt(aBatch, t) * m * k;
    const ib = readAt(bBatch, t) * k * n;
    const iy = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < k; p++) {
          const av = a[ia + i * k + p]!;
          const bv = b[ib + p * n + j]!;
          const wv = w[iy + i * n + j]!;
          y.value[iy + i * n + j]! += av * bv;
          y.scale[iy + i * n + j]! += Math.abs(av * bv);
          da.value[ia + i * k + p]! += wv * bv;
          da.scale[ia + i * k + p]! += Math.abs(wv * bv);
          db.value[ib + p * n + j]! += av * wv;
          db.scale[ib + p * n + j]! += Math.abs(av * wv);
        }
      }
    }
  }
  return { y, da, db };
}

/** The engine's y = a·b and its gradients under L = Σ y∘w, on one backend and dtype. */
function engineMatmul(backend: KernelBackend, aData: FloatArray, aShape: number[], bData: FloatArray, bShape: number[], w: FloatArray) {
  return withKernelBackend(backend, () => {
    const a = new Tensor(aData.slice(), aShape, { requiresGrad: true });
    const b = new Tensor(bData.slice(), bShape, { requiresGrad: true });
    const y = matmul(a, b);
    y.mul(new Tensor(w.slice(), y.shape)).sum().backward();
    return { y: y.data, da: (a.grad as Tensor).data, db: (b.grad as Tensor).data };
  });
}

const asMatrix = (shape: number[], side: 'a' | 'b'): number[] => (shape.length > 1 ? shape : side === 'a' ? [1, shape[0]!] : [shape[0]!, 1]);

/** Both backends in float32 against the exact result and each other; the engine in float64 against it too. */
function checkMatmul(aShape: number[], bShape: number[], seed: number): void {
  const rng = new Generator(seed);
  const a = uniform(numel(aShape), rng) as Float32Array;
  const b = uniform(numel(bShape), rng) as Float32Array;
  const am = asMatrix(aShape, 'a');
  const bm = asMatrix(bShape, 'b');
  const outCount = numel(broadcastShapes(am.slice(0, -2), bm.slice(0, -2))) * am[am.length - 2]! * bm[bm.length - 1]!;
  const w = uniform(outCount, rng) as Float32Array;
  const exact = exactMatmul(a, am, b, bm, w);
  const label = `[${aShape}]@[${bShape}]`;
  const js = engineMatmul('js', a, aShape, b, bShape, w);
  const wasm = engineMatmul('wasm', a, aShape, b, bShape, w);
  for (const key of ['y', 'da', 'db'] as const) {
    assertWithinRounding(js[key], exact[key], F32_UNIT, `${label} ${key}, js`);
    assertWithinRounding(wasm[key], exact[key], F32_UNIT, `${label} ${key}, wasm`);
    assertWithinRounding(wasm[key], { ...exact[key], value: Float64Array.from(js[key]) }, F32_UNIT, `${label} ${key}, wasm vs js`, 2);
  }
  const f64 = engineMatmul('wasm', Float64Array.from(a), aShape, Float64Array.from(b), bShape, Float64Array.from(w));
  for (const key of ['y', 'da', 'db'] as const) assertWithinRounding(f64[key], exact[key], F64_UNIT, `${label} ${key}, float64`);
}

describe('matmul: values and gradients on both kernel backends', () => {
  it('2-D, with sizes off the 4 × 8 blocks and depths past one panel', () => {
    checkMatmul([3, 4], [4, 2], 10);
    checkMatmul([37, 300], [300, 9], 11);
    checkMatmul([5, 600], [600, 31], 12);
    checkMatmul([129, 33], [33, 65], 13);
  });

  it('batched, with broadcast batch dims', () => {
    checkMatmul([2, 3, 4], [4, 5], 20);
    checkMatmul([2, 1, 3, 4], [3, 4, 2], 21);
    checkMatmul([3, 4], [2, 4, 5], 22);
    checkMatmul([3, 40, 50], [50, 40], 23); // each of the three products per batch is above the threshold
    checkMatmul([2, 1, 20, 70], [3, 70, 60], 24);
  });

  it('vector cases', () => {
    checkMatmul([4], [4], 30);
    checkMatmul([3, 4], [4], 31);
    checkMatmul([4], [4, 2], 32);
    checkMatmul([4], [2, 4, 3], 33);
    checkMatmul([2, 3, 4], [4], 34);
    checkMatmul([300], [300, 250], 35);
  });

  it('sizes on both sides of WASM_GEMM_MIN_WORK', () => {
    expect(WASM_GEMM_MIN_WORK).toBe(16 * 64 * 64);
    checkMatmul([16, 64], [64, 64], 40); // m·k·n = the threshold
    checkMatmul([15, 17], [17, 257], 41); // m·k·n = the threshold − 1
  });

  it('the wasm backend sends float32 products from the threshold up to WebAssembly, forward and backward; nothing else', () => {
    const rng = new Generator(50);
    const run = (backend: KernelBackend, aShape: number[], bShape: number[], dtype: 'float32' | 'float64' = 'float32'): number => {
      const before = wasmCalls();
      engineMatmul(backend, uniform(numel(aShape), rng, dtype), aShape, uniform(numel(bShape), rng, dtype), bShape, uniform(aShape[0]! * bShape[1]!, rng, dtype));
      return wasmCalls() - before;
    };
    expect(run('wasm', [16, 64], [64, 64])).toBe(3); // y, dA, dB
    expect(run('wasm', [15, 17], [17, 257])).toBe(0);
    expect(run('js', [16, 64], [64, 64])).toBe(0);
    expect(run('wasm', [16, 64], [64, 64], 'float64')).toBe(0);
  });

  it('keeps its errors', () => {
    expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2, 3]]))).toThrow(/matmul: shapes \[1, 3\] and \[1, 3\] cannot be multiplied \(1×3 and 1×3\)/);
    expect(() => matmul(tensor(1), tensor([1]))).toThrow(/at least one dimension/);
  });
});

// ---- linear ----

describe('linear: x·Wᵀ + b in one op', () => {
  /**
   * linear's values and gradients under L = Σ y∘w against the definition, on one backend:
   *   y = b + x·Wᵀ,  dx = w·W,  dW = wᵀ·x,  db = Σ_rows w
   * (x flattened to its rows), each a product that `exactGemm` writes out term by term.
   */
  function check(backend: KernelBackend, xShape: number[], outFeatures: number, withBias: boolean, dtype: 'float32' | 'float64', seed: number) {
    const rng = new Generator(seed);
    const inFeatures = xShape[xShape.length - 1]!;
    const rows = numel(xShape) / inFeatures;
    const x = uniform(rows * inFeatures, rng, dtype);
    const weight = uniform(outFeatures * inFeatures, rng, dtype);
    const bias = withBias ? uniform(outFeatures, rng, dtype) : null;
    const w = uniform(rows * outFeatures, rng, dtype);
    const startRows = bias === null ? new Float64Array(rows * outFeatures) : Float64Array.from({ length: rows * outFeatures }, (_, i) => bias[i % outFeatures]!);
    const columnSums = { value: new Float64Array(outFeatures), scale: new Float64Array(outFeatures), depth: rows };
    for (let i = 0; i < rows * outFeatures; i++) {
      columnSums.value[i % outFeatures]! += w[i]!;
      columnSums.scale[i % outFeatures]! += Math.abs(w[i]!);
    }
    const exact = {
      y: exactGemm(x, weight, startRows, rows, inFeatures, outFeatures, false, true),
      dx: exactGemm(w, weight, new Float64Array(rows * inFeatures), rows, outFeatures, inFeatures, false, false),
      dW: exactGemm(w, x, new Float64Array(outFeatures * inFeatures), outFeatures, rows, inFeatures, true, false),
      db: columnSums,
    };
    const got = withKernelBackend(backend, () => {
      const xt = new Tensor(x.slice(), xShape, { requiresGrad: true });
      const wt = new Tensor(weight.slice(), [outFeatures, inFeatures], { requiresGrad: true });
      const bt = bias === null ? null : new Tensor(bias.slice(), [outFeatures], { requiresGrad: true });
      const y = linear(xt, wt, bt);
      expect(y.shape).toEqual([...xShape.slice(0, -1), outFeatures]);
      y.mul(new Tensor(w.slice(), y.shape)).sum().backward();
      const gradOf = (t: Tensor) => (t.grad as Tensor).data;
      return { y: y.data, dx: gradOf(xt), dW: gradOf(wt), db: bt === null ? null : gradOf(bt) };
    });
    const unit = dtype === 'float32' ? F32_UNIT : F64_UNIT;
    for (const key of ['y', 'dx', 'dW', 'db'] as const) {
      const values = got[key];
      if (values !== null) assertWithinRounding(values, exact[key], unit, `linear ${backend} ${dtype} [${xShape}]→${outFeatures} ${key}`);
    }
    return got;
  }

  it('gives the exact values and gradients within rounding on both backends and dtypes, with leading dims and without a bias', () => {
    const both = ['float32', 'float64'] as const;
    const cases: Array<[number[], number, boolean, readonly ('float32' | 'float64')[]]> = [
      [[2, 33, 40], 50, true, both], // 66·40·50 multiply-adds: WebAssembly on 'wasm'
      [[7, 5], 3, true, both],
      [[40], 9, false, both],
      [[128, 784], 256, true, ['float32']], // the MLP's first layer
    ];
    cases.forEach(([xShape, outFeatures, withBias, dtypes], i) => {
      for (const dtype of dtypes) {
        const js = check('js', xShape, outFeatures, withBias, dtype, 60 + i);
        const wasm = check('wasm', xShape, outFeatures, withBias, dtype, 60 + i);
        if (dtype === 'float64') expect(wasm).toEqual(js); // float64 never leaves JavaScript
      }
    });
  });

  it('sends its three products to WebAssembly from the threshold up', () => {
    const before = wasmCalls();
    check('wasm', [2, 33, 40], 50, true, 'float32', 65);
    expect(wasmCalls() - before).toBe(3); // y, dx, dW
  });

  it('leaves inputs that need no gradient out of the backward pass', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const weight = tensor([[1, 0], [0, 1], [1, 1]], undefined, { requiresGrad: true });
    const bias = tensor([0.5, -0.5, 0]);
    const y = linear(x, weight, bias);
    expect(y.toArray()).toEqual([[1.5, 1.5, 3], [3.5, 3.5, 7]]);
    y.sum().backward();
    // dW = 1ᵀ·x: every row of W gets the column sums of x.
    expect((weight.grad as Tensor).toArray()).toEqual([[4, 6], [4, 6], [4, 6]]);
    expect(x.grad).toBeNull();
    expect(bias.grad).toBeNull();
  });

  /** relu(linear(x, W, b)) as two ops and as one, values and gradients under L = Σ y∘w, on one backend. */
  function reluPaths(backend: KernelBackend, rows: number, inFeatures: number, outFeatures: number, withBias: boolean, seed: number) {
    const rng = new Generator(seed);
    const x = uniform(rows * inFeatures, rng) as Float32Array;
    const weight = uniform(outFeatures * inFeatures, rng) as Float32Array;
    const bias = withBias ? (uniform(outFeatures, rng) as Float32Array) : null;
    const w = uniform(rows * outFeatures, rng) as Float32Array;
    const run = (fused: boolean) =>
      withKernelBackend(backend, () => {
        const xt = new Tensor(x.slice(), [rows, inFeatures], { requiresGrad: true });
        const wt = new Tensor(weight.slice(), [outFeatures, inFeatures], { requiresGrad: true });
        const bt = bias === null ? null : new Tensor(bias.slice(), [outFeatures], { requiresGrad: true });
        const y = fused ? linear(xt, wt, bt, { activation: 'relu' }) : relu(linear(xt, wt, bt));
        y.mul(new Tensor(w.slice(), y.shape)).sum().backward();
        const gradOf = (t: Tensor | null) => (t === null ? null : Array.from((t.grad as Tensor).data));
        return { op: y.node?.op, y: Array.from(y.data), dx: gradOf(xt), dW: gradOf(wt), db: gradOf(bt) };
      });
    return { fused: run(true), unfused: run(false) };
  }

  it("with activation 'relu', equals relu(linear(...)) exactly, values and gradients, on both backends", () => {
    for (const backend of ['js', 'wasm'] as const) {
      for (const [rows, inFeatures, outFeatures, withBias] of [[33, 40, 50, true], [128, 784, 256, true], [7, 5, 3, true], [9, 70, 130, false]] as const) {
        const { fused, unfused } = reluPaths(backend, rows, inFeatures, outFeatures, withBias, rows + outFeatures);
        expect(fused.op).toBe('linearRelu');
        expect(unfused.op).toBe('relu');
        const zeros = fused.y.filter((v) => v === 0).length;
        expect(zeros > 0 && zeros < fused.y.length).toBe(true); // both sides of the kink are exercised
        expect({ ...fused, op: null }).toEqual({ ...unfused, op: null });
      }
    }
  });

  it("nn.Sequential runs a Linear followed by a ReLU as one fused op, unless either module's forward is its own", () => {
    const rng = new Generator(90);
    const x = new Tensor(uniform(6 * 20, rng), [6, 20]);
    const model = new nn.Sequential(new nn.Linear(20, 30, { generator: rng }), new nn.ReLU(), new nn.Linear(30, 4, { generator: rng }), new nn.ReLU());
    const [first, , second] = [model.at(0) as nn.Linear, model.at(1), model.at(2) as nn.Linear];
    const fused = model.call(x);
    expect(fused.node?.op).toBe('linearRelu');
    expect((fused.node?.inputs[0]?.node?.op)).toBe('linearRelu');
    const byHand = relu(second.call(relu(first.call(x))));
    expect(Array.from(fused.data)).toEqual(Array.from(byHand.data));

    class LoudReLU extends nn.ReLU {
      calls = 0;
      override forward(t: Tensor): Tensor {
        this.calls += 1;
        return super.forward(t);
      }
    }
    const loud = new LoudReLU();
    const custom = new nn.Sequential(first, loud);
    expect(custom.call(x).node?.op).toBe('relu');
    expect(loud.calls).toBe(1);
  });

  it("writes a parameter's gradient straight into its optimizer slot, and still sums the gradients of a parameter used twice", () => {
    const rng = new Generator(91);
    const [x1, x2] = [new Tensor(uniform(33 * 40, rng), [33, 40]), new Tensor(uniform(33 * 40, rng), [33, 40])];
    const weights = uniform(30 * 40, rng);
    /** dW of Σ linear(x, W) for each x, on a fresh W that no optimizer holds. */
    const plainGradient = (x: Tensor): Float32Array => {
      const w = new Tensor(weights.slice(), [30, 40], { requiresGrad: true });
      linear(x, w).sum().backward();
      return (w.grad as Tensor).data as Float32Array;
    };
    withKernelBackend('wasm', () => {
      const w = new Tensor(weights.slice(), [30, 40], { requiresGrad: true });
      const opt = new optim.SGD([w], { lr: 0 });
      linear(x1, w).sum().backward();
      opt.step(); // binds w into the optimizer's arena
      expect(w.gradBuffer).not.toBeNull();

      opt.zeroGrad();
      linear(x1, w).sum().backward();
      expect((w.grad as Tensor).data).toBe(w.gradBuffer);
      expect((w.grad as Tensor).data).toEqual(plainGradient(x1));

      opt.zeroGrad();
      linear(x1, w).add(linear(x2, w)).sum().backward();
      const [g1, g2] = [plainGradient(x1), plainGradient(x2)];
      expect((w.grad as Tensor).data).toEqual(g1.map((v, i) => v + g2[i]!));

      linear(x2, w).sum().backward(); // no zeroGrad: accumulates
      expect((w.grad as Tensor).data).toEqual(g1.map((v, i) => v + g2[i]!).map((v, i) => v + g2[i]!));
    });
  });

  it('names a bad activation or option', () => {
    const x = tensor([[1, 2]]);
    const weight = tensor([[1, 2]]);
    expect(() => linear(x, weight, null, { activation: 'gelu' as 'relu' })).toThrow(/linear: activation must be 'relu' or null, got "gelu"/);
    expect(() => linear(x, weight, null, { activaton: 'relu' } as never)).toThrow(/linear: unknown option "activaton" \(did you mean activation\?\)/);
  });

  it('names the shapes that do not fit', () => {
    const weight = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => linear(tensor([[1, 2]]), weight)).toThrow(/linear: input of shape \[1, 2\] does not end in 3 features \(weight \[2, 3\]\)/);
    expect(() => linear(tensor([1, 2, 3]), tensor([1, 2, 3]))).toThrow(/linear: weight must be 2-D \[out, in\], got \[3\]/);
    expect(() => linear(tensor([1, 2, 3]), weight, tensor([1, 2, 3]))).toThrow(/linear: bias must have shape \[2\], got \[3\]/);
  });
});

// ---- elementwise fast paths and sums ----

/** f over the broadcast of a and b by the definition: each output multi-index read back into both operands. */
function broadcastReference(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const shape = broadcastShapes(a.shape, b.shape);
  const flatIndex = (own: number[], index: number[]): number => {
    let flat = 0;
    own.forEach((size, d) => {
      flat = flat * size + (size === 1 ? 0 : index[index.length - own.length + d]!);
    });
    return flat;
  };
  const values: number[] = [];
  for (let i = 0; i < numel(shape); i++) {
    const index: number[] = [];
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      index.unshift(rest % shape[d]!);
      rest = Math.floor(rest / shape[d]!);
    }
    values.push(f(a.data[flatIndex(a.shape, index)]!, b.data[flatIndex(b.shape, index)]!));
  }
  return { shape, values };
}

describe('elementwise fast paths give the values of the definition', () => {
  const pairs: Array<[number[], number[]]> = [
    [[3, 4], [3, 4]],
    [[3, 4], []],
    [[], [3, 4]],
    [[128, 256], [256]], // a bias row
    [[256], [128, 256]],
    [[5, 1], [1, 4]],
    [[2, 3, 4], [3, 1]],
    [[4], [2, 3, 4]],
    [[2, 1, 3], [4, 1]],
    [[2, 3, 1, 5], [3, 4, 1]],
    [[0, 3], [3]],
    [[1], [2, 2]],
  ];
  const ops = [
    ['add', add, (x: number, y: number) => x + y],
    ['sub', sub, (x: number, y: number) => x - y],
    ['mul', mul, (x: number, y: number) => x * y],
    ['div', div, (x: number, y: number) => x / y],
  ] as const;

  it('add, sub, mul, div over broadcast shapes, float32 and mixed with float64, exactly', () => {
    const rng = new Generator(70);
    for (const [aShape, bShape] of pairs) {
      for (const bDtype of ['float32', 'float64'] as const) {
        const a = new Tensor(uniform(numel(aShape), rng), aShape);
        const b = new Tensor(uniform(numel(bShape), rng, bDtype), bShape);
        for (const [name, op, f] of ops) {
          const out = op(a, b);
          const expected = broadcastReference(a, b, f);
          expect(out.shape, `${name} [${aShape}] [${bShape}]`).toEqual(expected.shape);
          expect(out.dtype).toBe(bDtype);
          // The same double-precision operation, rounded once to the output's dtype: equal to the bit.
          const rounded = bDtype === 'float32' ? Float32Array.from(expected.values) : Float64Array.from(expected.values);
          expect(Array.from(out.data), `${name} [${aShape}] [${bShape}]`).toEqual(Array.from(rounded));
        }
      }
    }
  });

  it('the gradient of a broadcast operand is its exact float64 sum over the broadcast dims', () => {
    const rng = new Generator(71);
    const h = new Tensor(uniform(6 * 5, rng), [6, 5], { requiresGrad: true });
    const bias = new Tensor(uniform(5, rng), [5], { requiresGrad: true });
    const g = new Tensor(uniform(6 * 5, rng), [6, 5]);
    add(h, bias).backward(g);
    const columnSums = Array.from({ length: 5 }, (_, j) => Array.from({ length: 6 }, (_, i) => g.data[i * 5 + j]!).reduce((s, v) => s + v, 0));
    expect(Array.from((bias.grad as Tensor).data)).toEqual(Array.from(Float32Array.from(columnSums)));
    expect(Array.from((h.grad as Tensor).data)).toEqual(Array.from(g.data));
  });

  it('sum over any dims equals the float64 sum in row-major order, rounded once', () => {
    const rng = new Generator(72);
    const x = new Tensor(uniform(3 * 4 * 5, rng), [3, 4, 5]);
    const cases: Array<[number | number[] | undefined, boolean]> = [[0, false], [1, true], [2, false], [-1, true], [[0, 1], false], [[1, 2], true], [[0, 2], false], [[0, 1, 2], false], [undefined, false]];
    for (const [dim, keepdim] of cases) {
      const dims = dim === undefined ? [0, 1, 2] : (typeof dim === 'number' ? [dim] : dim).map((d) => (d + 3) % 3);
      const keepShape = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
      const expected = new Float64Array(numel(keepShape));
      for (let i = 0; i < x.data.length; i++) {
        const index = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
        const slot = index.reduce((flat, v, d) => flat * keepShape[d]! + (dims.includes(d) ? 0 : v), 0);
        expected[slot]! += x.data[i]!;
      }
      const out = sum(x, dim, keepdim);
      expect(out.shape).toEqual(keepdim ? keepShape : x.shape.filter((_, i) => !dims.includes(i)));
      expect(Array.from(out.data), `sum dim=${JSON.stringify(dim)}`).toEqual(Array.from(Float32Array.from(expected)));
    }
    expect(sum(tensor(2.5)).item()).toBe(2.5);
    expect(Array.from(sum(new Tensor(new Float32Array(0), [0, 3]), 0).data)).toEqual([0, 0, 0]);
  });

  it('relu and its gradient: x > 0 ? x : 0, NaN, ±0 and ±∞ included', () => {
    const values = [1.5, -2, 0, -0, NaN, Infinity, -Infinity, 3e-40, -3e-40];
    const x = tensor(values, undefined, { requiresGrad: true });
    const y = relu(x);
    expect(Array.from(y.data)).toEqual(Array.from(Float32Array.from(values, (v) => (v > 0 ? v : 0))));
    expect(Object.is(y.data[3], 0)).toBe(true); // relu(−0) is +0
    const g = tensor([10, 20, 30, 40, 50, 60, NaN, 80, NaN]);
    y.backward(g);
    expect(Array.from((x.grad as Tensor).data)).toEqual([10, 0, 0, 0, 0, 60, 0, 80, 0]);
  });
});
