/**
 * Run in a child Node process (by test/matmul.test.ts) with or without
 * --experimental-wasm-relaxed-simd: which matmul build the loader chose, and whether its products
 * (C += op(A)·op(B) in every layout, and the bias + ReLU output pass) lie within the float32
 * rounding bound of the exact ones. Prints one JSON line.
 */
import { Generator, kernelReport } from '../../src/index.js';
import { wasmGemm } from '../../src/wasm/gemm.js';
import { F32_UNIT, assertWithinRounding, exactGemm, uniform } from './gemm-reference.js';

const rng = new Generator(7);
let products = 0;
for (const [m, k, n] of [[3, 5, 7], [13, 600, 21], [133, 37, 17], [64, 300, 40]] as const) {
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const a = uniform(m * k, rng) as Float32Array;
    const b = uniform(k * n, rng) as Float32Array;
    const c = uniform(m * n, rng) as Float32Array;
    const exact = exactGemm(a, b, c, m, k, n, transA, transB);
    wasmGemm(a, 0, b, 0, c, 0, m, k, n, transA, transB);
    assertWithinRounding(c, exact, F32_UNIT, `${m}×${k}×${n} transA=${transA} transB=${transB}`);
    const bias = uniform(n, rng) as Float32Array;
    const rows = Float32Array.from({ length: m * n }, (_, i) => bias[i % n]!);
    const withBias = exactGemm(a, b, rows, m, k, n, transA, transB);
    wasmGemm(a, 0, b, 0, c, 0, m, k, n, transA, transB, { bias, relu: true });
    assertWithinRounding(c, { ...withBias, value: withBias.value.map((v) => (v > 0 ? v : 0)) }, F32_UNIT, `relu(bias + ${m}×${k}×${n})`);
    products += 2;
  }
}
console.log(JSON.stringify({ matmul: kernelReport().matmul, products }));
