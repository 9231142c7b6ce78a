/**
 * Run by bench/main.ts in a Node started with --experimental-wasm-relaxed-simd: the MLP row with
 * the matrix product's relaxed-SIMD build (fused multiply-add), which Chrome ≥ 114 and Node ≥ 22
 * run by default and Node 20 only behind that flag. Prints one JSON line.
 */
import { kernelReport } from '../src/index.js';
import { measureMlp, type MlpConfig } from './mlp.js';

const config = JSON.parse(process.argv[2]!) as MlpConfig;
const [samplesPerSecond] = await measureMlp('wasm', config);
console.log(JSON.stringify({ matmul: kernelReport().matmul, samplesPerSecond }));
